"""The discover arm inside an engine: the full-information rerun after a find draws the list the
search drew (live, and from the log after a restart), and replay rebuilds the same state."""
from __future__ import annotations

from ltrr import Engine
from ltrr.log_export import load_exported
from ltrr.query import Query
from tests.engine.test_replay_property import assert_same

ARMS = ["lexical", "memory", "popular", "discover"]
CONTEXT = {"user_id": "u1", "session_id": "s-1", "hour": 21}


def _open(catalog, state) -> Engine:
    return Engine.open(catalog=catalog, state=state, policy="coverage", seed=0, arms=ARMS, ranker_training="off")


def logged_ranks(eng: Engine) -> dict:
    return [e for e in eng.log_events() if e["kind"] == "feedback"][-1]["arm_ranks"]


def test_reruns_rank_finds_where_the_search_listed_them(tiny_catalog_path, tmp_path):
    eng = _open(tiny_catalog_path, tmp_path / "s")
    try:
        resp = eng.search("rap", context=CONTEXT)
        logged = [e for e in eng.log_events() if e["kind"] == "search"][-1]
        arm = eng._core.arms.arms["discover"]                                    # noqa: SLF001
        # The list as a reader of the log rebuilds it: the logged query and context.
        rebuilt = Query.make(logged["query"], understanding=resp.understanding, context=logged["context"])
        listed = [c.entity_id for c in arm.retrieve(rebuilt, 50)]
        assert len(listed) >= 5
        eng.feedback(resp.id, listed[2], action="found_later")
        assert logged_ranks(eng)["discover"] == 3
    finally:
        eng.close()
    # After a restart the search is no longer in memory: the rerun rebuilds its query from the log.
    eng = _open(tiny_catalog_path, tmp_path / "s")
    try:
        eng.feedback(resp.id, listed[4], action="found_later")
        assert logged_ranks(eng)["discover"] == 5
        export = eng.export(tmp_path / "out", "jsonl")
        live = eng.selector.state_dict()
    finally:
        eng.close()
    rebuilt_engine = _open(tiny_catalog_path, tmp_path / "rebuilt")
    try:
        rebuilt_engine.replay(load_exported(export))
        assert_same(rebuilt_engine.selector.state_dict(), live, "selector")
    finally:
        rebuilt_engine.close()


def test_other_users_see_other_samples(tiny_catalog_path, tmp_path):
    eng = _open(tiny_catalog_path, tmp_path / "s")
    try:
        arm = eng._core.arms.arms["discover"]                                    # noqa: SLF001
        lists = set()
        for i in range(10):
            resp = eng.search("love", context={"user_id": f"u{i}"}, explain=True)
            lists.add(tuple(r.entity_id for r in resp.by_arm["discover"]))
            # What the response shows is what the arm lists for the same query and context.
            q = Query.make("love", understanding=resp.understanding, context={"user_id": f"u{i}"})
            shown = resp.by_arm["discover"]
            assert [r.entity_id for r in shown] == [c.entity_id for c in arm.retrieve(q, len(shown))]
            assert all(0 < r.features["discover_propensity"] <= 1 for r in shown)
        assert len(lists) > 1
    finally:
        eng.close()
