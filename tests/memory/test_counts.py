"""The learned counts: examination-weighted impressions, one search's own contribution taken back,
and the bounds that keep the counts flat and evict the same queries on replay."""
from __future__ import annotations

from collections import OrderedDict

import pytest

from ltrr.memory import QueryMemory, posterior
from ltrr.memory.counts import check_id, impression_weights, rounded_rows, trim, without_search


def test_impressions_are_weighted_by_examination_probability():
    memory = QueryMemory()
    memory.record_impressions("love", [f"track:{i}" for i in range(1, 11)])
    observed = memory.observed("love")
    assert observed["track:1"] == (1.0, 0) and observed["track:10"] == (pytest.approx(0.1), 0)
    # An item shown at rank 9 a hundred times was examined ~11 times: it keeps most of its prior.
    for _ in range(99):
        memory.record_impressions("love", [f"track:{i}" for i in range(1, 11)])
    imp, _ = memory.observed("love")["track:9"]
    assert imp == pytest.approx(100 / 9)
    assert posterior(0.5, imp, 0) > 2 * posterior(0.5, 100, 0)


def test_observed_as_of_removes_one_searchs_own_contribution():
    memory = QueryMemory()
    memory.record_impressions("q", ["track:a", "track:b"])
    memory.record_impressions("q", ["track:b", "track:a"])
    memory.record_click("q", "track:a")
    before = memory.observed_as_of("q", ["track:b", "track:a"], ["track:a"])
    assert before == {"track:a": (pytest.approx(1.0), 0), "track:b": (pytest.approx(0.5), 0)}


def test_memory_size_stays_bounded_under_many_distinct_queries():
    memory = QueryMemory(max_queries=50, max_entities=5)
    for i in range(1_000):
        query = f"query {i}"
        memory.record_impressions(query, [f"track:{i}-{r}" for r in range(10)])
        if i % 3 == 0:
            memory.record_click(query, f"track:{i}-7")
    assert memory.n_queries == 50 and len(memory) <= 50 * 5
    state = memory.state_dict()
    assert len(state["queries"]) == 50 and len(state["clicked_queries"]) <= 50
    # The most recently searched stay; a click survives the cut of its query's unclicked pairs.
    assert memory.observed("query 999", exact=True) and not memory.observed("query 0", exact=True)
    assert memory.observed("query 999", exact=True)["track:999-7"][1] == 1
    assert set(memory.observed("query 999", exact=True)) == {"track:999-0", "track:999-1", "track:999-2",
                                                             "track:999-3", "track:999-7"}


def test_eviction_follows_writes_only_so_replay_evicts_the_same_queries():
    a, b = QueryMemory(max_queries=2), QueryMemory(max_queries=2)
    for memory in (a, b):
        memory.record_impressions("q1", ["track:a"])
        memory.record_impressions("q2", ["track:a"])
    b.observed("q1")                        # a read (a live search's arm) changes nothing
    b.pair_scores("q1", ["track:a"])
    for memory in (a, b):
        memory.record_click("q1", "track:a")   # q1 written again: q2 is now the oldest
        memory.record_impressions("q3", ["track:a"])
    assert a.state_dict()["queries"] == b.state_dict()["queries"] == ["q1", "q3"]


def test_a_list_shows_each_entity_once_at_its_first_rank():
    assert impression_weights(["track:a", "track:b", "track:a", "track:c"], 1.0) == {
        "track:a": 1.0, "track:b": 0.5, "track:c": pytest.approx(1 / 4)}


def test_one_search_taken_back_never_leaves_negative_counts():
    observed = {"track:a": (1.5, 1), "track:b": (0.2, 0)}
    back = without_search(observed, impression_weights(["track:b", "track:a"], 1.0), ["track:a", "track:b"])
    assert back == {"track:a": (pytest.approx(1.0), 0), "track:b": (0.0, 0)}


def test_trimming_drops_the_fewest_clicks_and_says_when_the_last_click_left():
    pairs = {"track:a": [3.0, 1], "track:b": [5.0, 0], "track:c": [1.0, 0]}
    clicks = {"q": 1}
    assert not trim("q", pairs, clicks, 2) and set(pairs) == {"track:a", "track:b"}
    assert trim("q", pairs, clicks, 0) and pairs == {} and clicks == {}


def test_rows_round_impressions_and_keep_the_order():
    counts = OrderedDict([("q2", {"track:b": [1 / 3, 0]}), ("q1", {"track:a": [2.0, 2]})])
    assert rounded_rows(counts) == [("q2", "track:b", 0.333333, 0), ("q1", "track:a", 2.0, 2)]
    with pytest.raises(ValueError, match="entity id"):
        check_id("")
