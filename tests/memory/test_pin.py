"""The rise-to-the-top rule: an entity that holds most of a query's clicks goes first, until it is
shown first and ignored."""
from __future__ import annotations

import pytest

from ltrr.memory import QueryMemory
from ltrr.memory.pin import pinned_entity


def test_the_rise_to_the_top_rule():
    memory = QueryMemory()
    shown = [f"track:{i}" for i in range(1, 11)]
    memory.record_impressions("q", shown)
    memory.record_click("q", "track:6")
    assert memory.pinned("q") is None                          # one click is not yet a pattern
    memory.record_impressions("q", shown)
    memory.record_click("q", "track:6")
    assert memory.pinned("q") == "track:6"
    memory.record_click("q", "track:2")
    memory.record_click("q", "track:2")
    assert memory.pinned("q") is None                          # no longer most of the query's clicks
    # Shown first and ignored again and again, a pinned item loses its place.
    other = QueryMemory()
    for _ in range(2):
        other.record_impressions("q", ["track:6"])
        other.record_click("q", "track:6")
    assert other.pinned("q") == "track:6"
    for _ in range(5):
        other.record_impressions("q", ["track:6"])
    assert other.pinned("q") is None


@pytest.mark.parametrize("query", ["love", "dance"])
def test_an_item_clicked_again_and_again_reaches_the_top_within_three_clicks(shared_catalog_path, tmp_path,
                                                                               query):
    from ltrr import Engine

    engine = Engine.open(shared_catalog_path, tmp_path / "state", policy="all", seed=0, ranker_training="off",
                         arms=["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"])
    try:
        engine.set_ranking_experiments(swap_share=0.0)
        resp = engine.search(query, context={"user_id": "u1"})
        target = resp.results[5].entity_id                       # rank 6, and nothing else is clicked
        ranks = []
        for _ in range(3):
            engine.feedback(resp.id, target)
            resp = engine.search(query, context={"user_id": "u1"})
            ranks.append(next((r.rank for r in resp.results if r.entity_id == target), None))
        assert ranks[-1] == 1, ranks
        assert engine._searches[resp.id]["pinned"] == target               # noqa: SLF001  logged why
    finally:
        engine.close()


@pytest.mark.parametrize("observed, expected", [
    ({}, None),
    ({"track:a": (2.0, 2)}, "track:a"),
    ({"track:a": (3.0, 2), "track:b": (1.0, 1)}, "track:a"),             # two of three clicks
    ({"track:a": (3.0, 2), "track:b": (1.0, 1), "track:c": (1.0, 1)}, None),  # half is not more than half
    ({"track:a": (7.0, 2)}, None),                                       # 2 / 7 below the CTR floor
    ({"track:a": (6.0, 2)}, "track:a"),
])
def test_the_rule_on_counts(observed, expected):
    assert pinned_entity(observed) == expected
