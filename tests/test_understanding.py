"""Query understanding: slots, eras, artists (exact and misspelt),
competing readings with likelihoods, persistence, and robustness."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.catalog.store import Catalog
from ltrr.indexfiles import clear_shared
from ltrr.lexicon import Lexicon
from ltrr.understanding import INDEX_NAME, QueryUnderstander
from ltrr.understanding_results import Understanding
from ltrr.vocabulary import era_range
from tests.strategies.contract import ODD_QUERIES


@pytest.fixture()
def qu(tiny_catalog) -> QueryUnderstander:
    return QueryUnderstander.open(tiny_catalog)


# --- slots on the tiny catalog ----------------------------------------------

def test_90s_rap_is_genre_rap_and_the_nineties(qu):
    best = qu.understand("90s rap").best
    assert best.genres == ("rap",)
    assert (best.year_from, best.year_to) == (1990, 1999)
    assert best.free_text == ""


def test_misspelt_artist_is_recognised(qu):
    best = qu.understand("tayler swift").best
    assert best.artist_ids == ("artist:taylor",)
    assert best.artist_names == ("Taylor Swift",)
    assert best.free_text == ""


def test_rap_playlist_is_type_and_genre(qu):
    u = qu.understand("rap playlist")
    assert u.best.entity_type == "playlist"
    assert u.best.genres == ("rap",)
    assert u.intent == "playlist"


def test_love_is_free_text_only(qu):
    u = qu.understand("love")
    assert len(u.interpretations) == 1
    only = u.interpretations[0]
    assert not only.has_constraints
    assert only.free_text == "love"
    assert only.likelihood == 1.0
    assert u.slot_confidence == {}


@pytest.mark.parametrize("text, years", [
    ("90s", (1990, 1999)), ("'90s", (1990, 1999)), ("1990s", (1990, 1999)), ("nineties", (1990, 1999)),
    ("eighties", (1980, 1989)), ("'80s", (1980, 1989)), ("2000s", (2000, 2009)), ("00s", (2000, 2009)),
    ("2019", (2019, 2019)),
])
def test_eras(qu, text, years):
    best = qu.understand(text).best
    assert (best.year_from, best.year_to) == years


@pytest.mark.parametrize("phrase, expected", [
    ("90s", (1990, 1999, 0.9)), ("1980s", (1980, 1989, 0.95)), ("2019", (2019, 2019, 0.6)),
    ("20s", (2020, 2029, 0.9)), ("199s", None), ("3000", None), ("rap", None),
])
def test_era_range(phrase, expected):
    assert era_range(phrase) == expected


def test_a_bare_year_keeps_a_free_text_reading(qu):
    u = qu.understand("1989")                # the era, or Taylor Swift's album
    readings = {(i.year_from, i.free_text) for i in u.interpretations}
    assert readings == {(1989, ""), (None, "1989")}


def test_mood_phrases_and_type_words(qu):
    sad = qu.understand("sad songs").best
    assert (sad.entity_type, sad.moods) == ("track", ("sad",))
    assert qu.understand("rainy day").best.moods == ("sad", "chill")


def test_weather_words_read_as_moods_when_the_catalog_has_them(qu):
    u = qu.understand("songs for a rainy day")
    assert (u.best.entity_type, u.best.moods) == ("track", ("sad", "chill"))
    assert u.unmatched_moods == ()
    assert qu.understand("stormy").best.moods == ("dark", "sad")


def test_mood_words_without_catalog_moods_are_reported_not_matched(tiny_catalog):
    frame = tiny_catalog.entities.frame.copy()
    frame["mood"] = None   # a catalog imported without mood labels (the Spotify CSV has none)
    bare = QueryUnderstander(Lexicon.from_entities(frame))
    u = bare.understand("songs for a rainy day")
    assert u.best.moods == ()
    assert u.unmatched_moods == ("rainy day",)
    assert "rainy day" in u.best.free_text
    assert bare.understand("sad chill songs").unmatched_moods == ("sad", "chill")
    assert bare.understand("taylor swift").unmatched_moods == ()
    assert u.to_dict()["unmatched_moods"] == ["rainy day"]


def test_activity_new_and_filler_words(qu):
    assert qu.understand("workout").best.activities == ("workout",)
    assert qu.understand("new releases").best.new_release is True
    best = qu.understand("songs by tayler swift").best
    assert (best.entity_type, best.artist_ids, best.free_text) == ("track", ("artist:taylor",), "")


def test_artist_with_title_words_leaves_the_title_as_free_text(qu):
    best = qu.understand("sza good days").best
    assert best.artist_ids == ("artist:sza",)
    assert best.free_text == "good days"


def test_accents_and_case_do_not_matter(qu):
    assert qu.understand("BEYONCÉ").best.artist_ids == ("artist:beyonce",)
    assert qu.understand("beyonce").best.artist_ids == ("artist:beyonce",)


# --- the shape of an Understanding ---------------------------------------------

@pytest.mark.parametrize("text", ["90s rap", "tayler swift", "rap playlist", "love", "1989 pop songs"])
def test_likelihoods_are_sorted_probabilities(qu, text):
    u = qu.understand(text)
    likelihoods = [i.likelihood for i in u.interpretations]
    assert likelihoods == sorted(likelihoods, reverse=True)
    assert all(0 < p <= 1 for p in likelihoods)
    assert sum(likelihoods) <= 1 + 1e-6
    assert set(u.type_scores) == set(ENTITY_TYPES)
    assert math.isclose(sum(u.type_scores.values()), 1.0, abs_tol=1e-3)


def test_slot_confidence_is_the_best_span_per_slot(qu):
    u = qu.understand("90s rap playlist")
    spans = [s for i in u.interpretations for s in i.spans]
    for slot, conf in u.slot_confidence.items():
        assert conf == max(s.confidence for s in spans if s.slot == slot)
    assert set(u.slot_confidence) == {"era", "genre", "entity_type"}


def test_empty_query_gives_an_empty_understanding(qu):
    for text in ("", "   ", None, "!!!"):
        u = qu.understand(text)
        assert u == Understanding(query="")


@pytest.mark.parametrize("text", ODD_QUERIES + [None, 12345, "90s" * 500, "tayler " * 100])
def test_odd_inputs_never_raise(qu, text):
    u = qu.understand(text)
    assert isinstance(u, Understanding)


@pytest.fixture(scope="module")
def qu_and_ids(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    yield QueryUnderstander.open(catalog), set(catalog.entities.row_of)
    catalog.close()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80) | st.lists(st.sampled_from(
    ["90s", "rap", "tayler", "swift", "playlist", "love", "new", "r&b", "the", "by", "sza", "hip", "hop"]),
    max_size=8).map(" ".join))
def test_any_text_gives_consistent_readings(qu_and_ids, text):
    qu, known = qu_and_ids
    u = qu.understand(text)
    words = set(u.query.split())
    for interp in u.interpretations:
        assert set(interp.artist_ids) <= known
        assert set(interp.free_text.split()) <= words
        assert all(set(span.text.split()) <= words for span in interp.spans)


# --- persistence ----------------------------------------------------------------

def test_open_persists_and_reloads(tiny_catalog):
    first = QueryUnderstander.open(tiny_catalog)
    assert (tiny_catalog.index_dir / f"{INDEX_NAME}.manifest.json").is_file()
    clear_shared()
    second = QueryUnderstander.open(tiny_catalog)
    assert second is not first
    assert second.lexicon == first.lexicon
    assert second.understand("tayler swift 90s rap") == first.understand("tayler swift 90s rap")


def test_a_damaged_index_is_rebuilt(tiny_catalog):
    QueryUnderstander.open(tiny_catalog)
    (tiny_catalog.index_dir / "qu.lexicon.json").write_text("{not json")
    clear_shared()
    rebuilt = QueryUnderstander.open(tiny_catalog)
    assert rebuilt.understand("tayler swift").best.artist_ids == ("artist:taylor",)


# --- the real catalog -------------------------------------------------------------

def test_shared_catalog_readings(shared_catalog):
    qu = QueryUnderstander.open(shared_catalog)
    ids = shared_catalog.entities
    rap = qu.understand("90s rap").best
    assert (rap.genres, rap.year_from, rap.year_to) == (("rap",), 1990, 1999)
    taylor = qu.understand("tayler swift").best
    assert [ids.get(a)["title"] for a in taylor.artist_ids] == ["Taylor Swift"]
    assert not qu.understand("love").best.has_constraints
    assert qu.understand("drake").best.artist_names == ("Drake",)
    assert qu.understand("ed sheran").best.artist_names == ("Ed Sheeran",)
    playlist = qu.understand("rap playlist").best
    assert (playlist.entity_type, playlist.genres) == ("playlist", ("rap",))


QUERY_TEXTS = st.one_of(st.sampled_from(list(ODD_QUERIES) + ["Tayler  Swift!", "Beyoncé  HALO", "rap 2020 sad"]),
                        st.text(max_size=40))


@settings(max_examples=60, deadline=None)
@given(text=QUERY_TEXTS)
def test_the_query_made_once_is_understood_as_its_string_is(qu_and_ids, text):
    """Query.make cleans and tokenises once; understanding its tokens equals understanding the string."""
    from ltrr.query import Query
    from ltrr.text import normalize_query

    qu, _ = qu_and_ids
    q = Query.make(text)
    assert q.text == normalize_query(text)
    assert qu.understand_tokens(q.tokens) == qu.understand(text)
