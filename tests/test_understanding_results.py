"""The result types of query understanding: an Understanding, its best reading, intent and JSON form."""
from __future__ import annotations

import json

import pytest

from ltrr.understanding import QueryUnderstander
from ltrr.understanding_results import Interpretation, Understanding


@pytest.fixture()
def qu(tiny_catalog) -> QueryUnderstander:
    return QueryUnderstander.open(tiny_catalog)


def test_to_dict_is_json(qu):
    data = json.loads(json.dumps(qu.understand("90s rap playlist").to_dict()))
    assert data["intent"] == "playlist"
    assert data["interpretations"][0]["genres"] == ["rap"]


def test_an_understanding_without_readings_is_free_text_of_any_type():
    u = Understanding(query="some words")
    assert u.best == Interpretation(1.0, free_text="some words")
    assert not u.best.has_constraints
    assert u.intent == "any"
    assert Understanding(query="x", type_scores={"track": 0.49, "artist": 0.3}).intent == "any"
    assert Understanding(query="x", type_scores={"track": 0.5, "artist": 0.3}).intent == "track"
