"""The lexicon: a catalog's own spellings, and the vocabulary's synonyms mapped onto them."""
from __future__ import annotations

import pytest

from ltrr.lexicon import Lexicon, canonical_map
from ltrr.understanding import QueryUnderstander


@pytest.fixture()
def qu(tiny_catalog) -> QueryUnderstander:
    return QueryUnderstander.open(tiny_catalog)


@pytest.mark.parametrize("text", ["hip hop", "hip-hop", "HipHop", "rap music"])
def test_genre_synonyms_map_to_the_catalog_spelling(qu, text):
    assert qu.understand(text).best.genres == ("rap",)


@pytest.mark.parametrize("text", ["r&b", "rnb", "R & B", "rhythm and blues"])
def test_rnb_spellings_map_to_r_and_b(qu, text):
    assert qu.understand(text).best.genres == ("r&b",)


def test_a_synonym_the_catalog_lacks_stays_free_text(qu):
    u = qu.understand("country")            # the tiny catalog has no country
    assert u.best.genres == ()
    assert u.best.free_text == "country"


def test_canonical_map_folds_values_and_maps_synonyms_to_present_values():
    table = canonical_map([("hip hop", "rap"), ("country", "americana")], ["r&b", "rap"], 0.9, 0.85)
    assert table["r b"] == (("r&b",), 0.9)
    assert table["rap"] == (("rap",), 0.9)            # a catalog value keeps its own confidence
    assert table["hip hop"] == (("rap",), 0.85)
    assert "country" not in table and "americana" not in table


def test_lexicon_json_round_trip(tiny_catalog):
    lexicon = Lexicon.from_entities(tiny_catalog.entities.frame)
    assert Lexicon.from_json(lexicon.to_json()) == lexicon
    assert lexicon.genres == ["pop", "r&b", "rap"]
    assert "Taylor Swift" in lexicon.artist_names
