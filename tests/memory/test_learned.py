"""QueryMemory as the rest of ltrr uses it: counts per normalised query, input checks, many threads at
once, and reformulations read like clicks. Its parts have their own tests (test_counts, test_typos,
test_pin, test_rewordings, test_taught, test_entries, test_saved)."""
from __future__ import annotations

import json
import threading

import pytest

from ltrr.memory import NEW_PAIR_PRIOR, QueryMemory, posterior


def test_counts_are_per_normalised_query():
    memory = QueryMemory()
    memory.record_impressions("Tayler  Swift!", ["track:a", "track:b", "track:a"])
    memory.record_click("tayler swift", "track:b")
    assert memory.observed("TAYLER SWIFT") == {"track:a": (1, 0), "track:b": (1, 1)}
    assert memory.observed("something else") == {}
    assert len(memory) == 2


def test_a_click_implies_an_impression():
    memory = QueryMemory()
    memory.record_click("q", "track:a")
    memory.record_click("q", "track:a")
    assert memory.observed("q") == {"track:a": (2, 2)}


def test_empty_queries_are_ignored_and_bad_ids_rejected():
    memory = QueryMemory()
    memory.record_click("   ", "track:a")
    memory.record_impressions("!!!", ["track:a"])
    assert len(memory) == 0
    with pytest.raises(ValueError, match="entity id"):
        memory.record_click("q", "")
    with pytest.raises(ValueError, match="entity id"):
        memory.record_impressions("q", [None])


def test_concurrent_clicks_are_all_counted():
    memory = QueryMemory()

    def click() -> None:
        for _ in range(500):
            memory.record_click("love", "track:halo")
            memory.record_impressions("love", ["track:kill"])

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert memory.observed("love") == {"track:halo": (4000, 4000), "track:kill": (4000, 0)}


def test_memory_takes_the_query_made_once_as_its_string():
    """A Query's text is the memory's key as it was normalised once; a string is normalised here."""
    from ltrr.memory import QueryMemory, query_key
    from ltrr.query import Query

    q = Query.make("Tayler  Swift!")
    assert query_key(q) == query_key("tayler swift") == "tayler swift"
    mem = QueryMemory()
    mem.record_impressions(q, ["track:a", "track:b"])
    mem.record_click(q, "track:b")
    assert mem.observed(q) == mem.observed("TAYLER swift") and mem.observed(q)["track:b"][1] == 1
    assert mem.entry(q, "track:b") == mem.entry("tayler swift", "track:b")


def test_reformulations_score_like_clicks_of_their_own_weight_and_round_trip(seed):
    memory = QueryMemory(seed=seed)
    for user in ("a", "b", "c"):
        memory.record_reformulation("tunes to unwind to", "track:gooddays", user)
    memory.record_reformulation("tunes to unwind to", "track:theworld", "d")
    scores = memory.pair_scores("tunes to unwind to", ["track:gooddays", "track:theworld", "track:halo"])
    assert scores[0] == pytest.approx(posterior(NEW_PAIR_PRIOR, 3, 3), abs=1e-4)
    assert scores[0] > scores[1] > 0 and scores[2] == 0
    assert memory.pinned("tunes to unwind to") is None          # never one answer for everybody
    entry = memory.entry("tunes to unwind to", "track:gooddays")
    assert (entry.clicks, entry.reformulation_users, entry.learned_from_reformulations) == (0, 3, True)
    for restored in (QueryMemory.from_dict(json.loads(json.dumps(memory.to_dict())), seed=seed),):
        assert restored.entries().equals(memory.entries())
    again = QueryMemory(seed=seed)
    again.load_state_dict(memory.state_dict())
    assert again.entries().equals(memory.entries())
