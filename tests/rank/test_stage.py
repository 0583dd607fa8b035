"""The rank stage on its own: what exploration alone brought, and showing it where it can be seen."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from ltrr import Engine
from ltrr.rank.position import searches_from_log
from ltrr.rank.stage import EXPOSE_AT, RankStage, explored_rows


class FixedRanker:
    """Scores given up front; never trained (so no interleaving)."""

    is_trained = False
    label = "fixed"

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.float64)

    def score(self, X):
        return self.scores

    heuristic_score = score


class NoMemory:
    def pinned(self, query):
        return None


IDS = [f"e{i}" for i in range(12)]
# The ranker's order is e0, e1, ..., e11 (scores fall with the index).
SCORES = np.linspace(1.0, 0.0, len(IDS))


def test_explored_rows_are_what_only_the_extra_depth_brought_in_the_arms_order():
    lists = {"a": ["e0", "e1", "e2", "e3"], "b": ["e4", "e1", "e5"], "c": ["e6"]}
    # Greedy would run a at 1 and b at 3; c not at all. a's e1 is also b's within its budget.
    rows = explored_rows({"a": 1, "b": 3}, lists, IDS)
    assert rows == {"a": [2, 3], "c": [6]}
    assert explored_rows({"a": 4, "b": 3, "c": 1}, lists, IDS) == {}


def test_an_explored_candidate_ranked_low_is_shown_at_the_exposure_slot_and_logged():
    stage = RankStage(NoMemory(), seed=1, swap_share=1.0)
    ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored={"c": [8, 9]})
    shown = [IDS[i] for i in ranked.order]
    assert shown[EXPOSE_AT - 1] == "e8" and len(shown) == 10
    # Everything else keeps the ranker's order; the swap gives way to the exposure.
    assert [e for e in shown if e != "e8"] == IDS[:8] + ["e9"]
    assert ranked.swap is None
    assert ranked.log_fields()["expose"] == [{"arm": "c", "entity_id": "e8", "p": 1.0, "from": 9, "to": EXPOSE_AT}]


def test_an_explored_candidate_already_high_stays_where_the_ranker_put_it():
    stage = RankStage(NoMemory(), seed=1)
    ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored={"c": [1]})
    assert [IDS[i] for i in ranked.order] == IDS[:10]
    assert ranked.expose[0]["from"] == ranked.expose[0]["to"] == 2


def test_several_explored_arms_take_consecutive_slots_and_the_ranker_keeps_the_rest_in_order():
    stage = RankStage(NoMemory(), seed=2, expose_slots=3)
    explored = {"a": [6, 7], "b": [9], "c": [11], "d": [10]}
    ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored=explored)
    shown = [IDS[i] for i in ranked.order]
    log = ranked.expose
    assert len(log) == 3 and len({x["arm"] for x in log}) == 3
    assert [x["to"] for x in log] == [EXPOSE_AT, EXPOSE_AT + 1, EXPOSE_AT + 2]
    assert shown[EXPOSE_AT - 1:EXPOSE_AT + 2] == [x["entity_id"] for x in log]
    for x in log:
        assert x["entity_id"] == IDS[explored[x["arm"]][0]] and x["p"] == pytest.approx(3 / 4)
        assert x["from"] == IDS.index(x["entity_id"]) + 1
    moved = {x["entity_id"] for x in log}
    assert [e for e in shown if e not in moved] == [e for e in IDS if e not in moved][:7]


def test_two_drawn_arms_that_found_the_same_row_expose_their_next_finds():
    stage = RankStage(NoMemory(), seed=0, expose_slots=2)
    ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10,
                        explored={"a": [8, 10], "b": [8, 11]})
    entities = [x["entity_id"] for x in ranked.expose]
    assert len(entities) == 2 and len(set(entities)) == 2 and "e8" in entities


def test_each_explored_arm_is_exposed_with_its_logged_chance():
    stage = RankStage(NoMemory(), seed=3, expose_slots=2)
    explored = {"a": [5], "b": [7], "c": [11], "d": [9]}
    drawn = Counter()
    first = Counter()
    for _ in range(3000):
        ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored=explored)
        first[ranked.expose[0]["arm"]] += 1
        for x in ranked.expose:
            drawn[x["arm"]] += 1
            assert x["p"] == pytest.approx(2 / 4, abs=1e-6)
        assert IDS[ranked.order[EXPOSE_AT - 1]] == IDS[explored[ranked.expose[0]["arm"]][0]]
    # Each arm shown on half the searches (binomial sd about 27), first on a quarter (sd about 24).
    assert all(abs(n - 1500) < 140 for n in drawn.values()), drawn
    assert all(abs(n - 750) < 120 for n in first.values()), first


def test_one_slot_exposes_a_single_uniformly_drawn_arm():
    stage = RankStage(NoMemory(), seed=3, expose_slots=1)
    drawn = Counter()
    for _ in range(3000):
        ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10,
                            explored={"a": [5], "b": [7], "c": [11]})
        assert len(ranked.expose) == 1 and ranked.expose[0]["p"] == pytest.approx(1 / 3, abs=1e-6)
        drawn[ranked.expose[0]["arm"]] += 1
    assert all(abs(n - 1000) < 130 for n in drawn.values()), drawn


def test_without_exploration_nothing_moves_and_the_swap_still_runs():
    stage = RankStage(NoMemory(), seed=1, swap_share=1.0)
    ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored={})
    assert ranked.expose is None and ranked.swap is not None


def test_the_engine_exposes_what_its_selection_explored_and_position_bias_leaves_it_out(
        tiny_catalog_path, tmp_path, monkeypatch):
    engine = Engine.open(catalog=tiny_catalog_path, state=tmp_path / "state", seed=0, policy="all",
                         arms=["lexical", "fuzzy", "popular", "fresh"], ranker_training="off")
    try:
        real = engine.selector.select

        def explored_select(x, available, query=None):
            # As if the greedy configuration were lexical at 1 and everything else were exploration.
            return replace(real(x, available, query=query), decision={"explored": "wide", "greedy": {"lexical": 1}})
        monkeypatch.setattr(engine.selector, "select", explored_select)
        resp = engine.search("love", context={"user_id": "u"})
        event = [e for e in engine.log_events() if e["kind"] == "search"][-1]
        assert resp.exposed == event["expose"] and event["expose"]
        shown = [r.entity_id for r in resp.results]
        plain = {e for e, _ in event["by_arm"]["lexical"][:1]}
        for j, expose in enumerate(event["expose"]):
            assert expose["arm"] in {"fuzzy", "popular", "fresh", "lexical"}
            assert shown[expose["to"] - 1] == expose["entity_id"] and expose["to"] <= EXPOSE_AT + j
            # It is the arm's best candidate that lexical at 1 would not have brought (and no
            # earlier exposed arm showed).
            arm_list = [e for e, _ in event["by_arm"][expose["arm"]]]
            before = {x["entity_id"] for x in event["expose"][:j]}
            assert expose["entity_id"] == next(e for e in arm_list[1 if expose["arm"] == "lexical" else 0:]
                                               if e not in plain and e not in before)
        assert searches_from_log([event], []) == []
    finally:
        engine.close()


def test_the_engine_exposes_what_a_failing_query_tried(tiny_catalog_path, tmp_path, monkeypatch):
    """Arms in the greedy configuration only because the query kept failing (decision "tried")
    are shown like exploration's finds, though nothing was explored."""
    engine = Engine.open(catalog=tiny_catalog_path, state=tmp_path / "state", seed=0, policy="all",
                         arms=["lexical", "fuzzy", "popular", "fresh"], ranker_training="off")
    try:
        real = engine.selector.select
        tried = ["popular", "fresh"]

        def tried_select(x, available, query=None):
            greedy = {"lexical": 20, "fuzzy": 20, "popular": 1, "fresh": 1}
            return replace(real(x, available, query=query),
                           decision={"explored": "", "greedy": greedy, "tried": tried})
        monkeypatch.setattr(engine.selector, "select", tried_select)
        engine.search("love", context={"user_id": "u"})
        event = [e for e in engine.log_events() if e["kind"] == "search"][-1]
        assert event["expose"] and {x["arm"] for x in event["expose"]} <= set(tried)
        for expose in event["expose"]:
            # The tried arm's own best candidate that lexical and fuzzy did not bring.
            plain = {e for arm in ("lexical", "fuzzy") for e, _ in event["by_arm"].get(arm, [])}
            assert expose["entity_id"] not in plain
            assert expose["entity_id"] == event["by_arm"][expose["arm"]][0][0] or \
                event["by_arm"][expose["arm"]][0][0] in plain
    finally:
        engine.close()


def test_exposure_can_be_turned_off():
    stage = RankStage(NoMemory(), seed=1, swap_share=0.0, expose=False)
    ranked = stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored={"c": [8]})
    assert ranked.expose is None and [IDS[i] for i in ranked.order] == IDS[:10]
    stage.set_shares(swap_share=1.0)
    assert stage.rank(FixedRanker(SCORES), "q", IDS, np.zeros((12, 1)), 10, explored={"c": [8]}).swap is not None
    with pytest.raises(ValueError, match="expose"):
        stage.set_exposure("yes")
    with pytest.raises(ValueError, match="expose_slots"):
        stage.set_exposure(True, 0)


def test_the_swap_is_drawn_within_the_list_shown():
    """A pool of four shown in a top 10: every swap moves two of the four (positions 1-3, each with
    p = share / 3); an unswapped list logs its chance of no swap; a single result is never swapped."""
    stage = RankStage(NoMemory(), seed=2, swap_share=0.6, expose=False)
    drawn = [stage.rank(FixedRanker(SCORES[:4]), "q", IDS[:4], np.zeros((4, 1)), 10) for _ in range(600)]
    moved = [r for r in drawn if r.swap.moved]
    counts = Counter(r.swap.pos for r in moved)
    assert set(counts) == {1, 2, 3} and min(counts.values()) > 80
    assert 0.5 < len(moved) / len(drawn) < 0.7                  # the share, not share x 3/9
    for r in moved:
        i = r.swap.pos - 1
        shown = [IDS[j] for j in r.order]
        assert shown[i:i + 2] == [IDS[i + 1], IDS[i]] and r.log_fields()["swap"] == {"pos": r.swap.pos, "p": 0.2,
                                                                                      "share": 0.6}
    assert {tuple(r.log_fields()["swap"].items()) for r in drawn if not r.swap.moved} == {
        (("pos", 0), ("p", 0.4), ("share", 0.6))}
    assert all([IDS[j] for j in r.order] == IDS[:4] for r in drawn if not r.swap.moved)
    single = stage.rank(FixedRanker(SCORES[:1]), "q", IDS[:1], np.zeros((1, 1)), 10)
    assert single.swap is None and "swap" not in single.log_fields()
