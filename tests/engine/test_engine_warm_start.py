"""Engine.warm_start: the coverage learner reads full-information searches of another stream first."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from ltrr.engine.warm import JudgedSearch, judged_searches
from ltrr.errors import LtrrError
from tests.engine.engines import open_engine, reopened_and_rebuilt


def _context(eng, query: str) -> tuple[float, ...]:
    """The bandit context ``eng`` logs for ``query`` (its first search)."""
    eng.search(query, context={"user_id": "u0"})
    return tuple([e for e in eng.log_events() if e["kind"] == "search"][-1]["x"])


def _reopened(catalog, state, policy: str):
    """The engine of ``state`` reopened from its checkpoint, then from its whole log (the checkpoint
    removed); each closed after its turn."""
    for drop_checkpoint in (False, True):
        if drop_checkpoint:
            shutil.rmtree(state / "checkpoint")
        eng = open_engine(catalog, state, policy=policy)
        try:
            yield eng
        finally:
            eng.close()


def _only(arm: str, arms, rank: int = 1) -> dict[str, int | None]:
    """Ranks where only ``arm`` holds what was wanted."""
    return {a: (rank if a == arm else None) for a in arms}


def test_a_warm_start_sets_what_the_learner_runs_before_any_click(tiny_catalog_path, tmp_path):
    cold = open_engine(tiny_catalog_path, tmp_path / "cold", policy="coverage")
    try:
        x = _context(cold, "love story")
        first = cold.search("love story", context={"user_id": "u1"})
        arms = cold.selector.learner.arms
    finally:
        cold.close()
    assert sum(1 for c in first.selection if c.budget > 0) > 1      # cold: it runs several arms
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        # Every search of this kind wanted what only `popular` holds, at its top.
        searches = [JudgedSearch(x, _only("popular", arms), {a: 50 for a in arms})] * 200
        assert eng.warm_start(searches) == 200
        resp = eng.search("love story", context={"user_id": "u1"})
        assert resp.decision["greedy"]["popular"] >= 1
        assert all(b == 0 for a, b in resp.decision["greedy"].items() if a != "popular")
        assert eng.status()["warm_start"] == 200 and eng.status()["searches"] == 1
        logged = [e for e in eng.log_events() if e["kind"] == "warm"]
        assert len(logged) == 200 and logged[0]["arm_ranks"]["popular"] == 1
        state = eng.selector.learner.state_dict()
        path = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()
    for again, counts in reopened_and_rebuilt(tiny_catalog_path, tmp_path, "coverage", path):
        # Reopened (checkpoint or log) and replayed from the export: the same learner.
        got = again.selector.learner.state_dict()
        assert got["n_events"] == state["n_events"] == 200
        assert np.array_equal(got["ranks"], state["ranks"]) and np.array_equal(got["inv_w"], state["inv_w"])
        assert again.status()["warm_start"] == 200
    for again in _reopened(tiny_catalog_path, tmp_path / "s", "coverage"):
        got = again.selector.learner.state_dict()
        assert np.array_equal(got["ranks"], state["ranks"]) and np.array_equal(got["inv_w"], state["inv_w"])
        assert again.status()["warm_start"] == 200


def test_a_bad_warm_start_search_is_refused_and_teaches_nothing(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        x = _context(eng, "love story")
        arms = eng.selector.learner.arms
        good = JudgedSearch(x, _only("lexical", arms))
        for bad, message in [(JudgedSearch(x[:-1], _only("lexical", arms)), "finite numbers"),
                             (JudgedSearch(x, {"lexical": 0}), "whole number"),
                             (JudgedSearch(x, {"lexical": 1}, {"lexical": -1}), "list lengths"),
                             ("not a search", "expected a JudgedSearch")]:
            with pytest.raises(LtrrError, match=message):
                eng.warm_start([good, bad])
        assert eng.status()["warm_start"] == 0 and eng.selector.learner.n_events == 0
        assert not [e for e in eng.log_events() if e["kind"] == "warm"]
    finally:
        eng.close()


def test_only_the_coverage_learner_takes_a_warm_start(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="linucb")
    try:
        with pytest.raises(LtrrError, match="only the coverage learner"):
            eng.warm_start([])
    finally:
        eng.close()


def test_judged_searches_of_an_exported_log_warm_another_engine(tiny_catalog_path, tmp_path):
    staging = open_engine(tiny_catalog_path, tmp_path / "staging", policy="coverage:judged=1")
    try:
        for query, wanted in [("love story", "track:lovestory"), ("halo", "track:halo"), ("love", None)]:
            resp = staging.search(query, context={"user_id": "u1"})
            if wanted:
                staging.judge(resp.id, [wanted])
        events = staging.log_events()
    finally:
        staging.close()
    found = judged_searches(events)
    judged = [e for e in events if e["kind"] == "feedback" and e["action"] == "judged"]
    assert len(found) == len(judged) == 2                          # the unjudged search is left out
    assert [s.ranks for s in found] == [e["arm_ranks"] for e in judged]
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        assert eng.warm_start(found) == 2 and eng.selector.learner.n_events == 2
    finally:
        eng.close()


def test_a_routing_table_is_chosen_from_a_warm_start_and_kept(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="route")
    try:
        x = _context(eng, "love story")
        arms = eng.selector.arms
        ran = [c.budget for c in eng.search("love story").selection if c.budget > 0]
        assert len(ran) > 1 and len(set(ran)) == 1                  # nothing read yet: every arm, as `all`
        assert eng.warm_start([JudgedSearch(x, _only("popular", arms, rank=2), {a: 50 for a in arms})] * 30) == 30
        routed = {c.arm: c.budget for c in eng.search("love story", context={"user_id": "u1"}).selection}
        assert routed == {a: (3 if a == "popular" else 0) for a in arms}
    finally:
        eng.close()
    for again in _reopened(tiny_catalog_path, tmp_path / "s", "route"):
        assert {c.arm: c.budget for c in again.search("love story").selection} == routed


def test_a_held_warm_start_is_kept_apart_and_rebuilt_from_checkpoint_log_and_export(tiny_catalog_path, tmp_path):
    policy = "coverage:hold=1"
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy=policy)
    try:
        x = _context(eng, "love story")
        arms = eng.selector.learner.arms
        assert eng.warm_start([JudgedSearch(x, _only("popular", arms), {a: 50 for a in arms})] * 200) == 200
        resp = eng.search("love story", context={"user_id": "u1"})
        assert resp.decision["greedy"]["popular"] >= 1
        state = eng.selector.learner.state_dict()
        assert len(state["held"]["ranks"]) > 0 and state["ranks"].shape[0] == 0     # nothing in its own cells
        path = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()

    def same(again) -> None:
        got = again.selector.learner.state_dict()
        assert np.array_equal(got["held"]["ranks"], state["held"]["ranks"])
        assert got["held"]["cells"] == state["held"]["cells"] and again.status()["warm_start"] == 200
    for again, _ in reopened_and_rebuilt(tiny_catalog_path, tmp_path, policy, path):
        same(again)
    for again in _reopened(tiny_catalog_path, tmp_path / "s", policy):
        same(again)
