"""The arms' lifecycle (ltrr.engine.arms): opening, background builds, readiness, build ETAs,
and every ready arm's list for one query."""
from __future__ import annotations

import threading

import pytest

from ltrr.progress import silent
from tests.engine.engines import open_engine


def test_unknown_policy_and_arm_are_clear(tiny_catalog_path, tmp_path):
    with pytest.raises(ValueError, match="linucb"):
        open_engine(tiny_catalog_path, tmp_path / "s", policy="greedy-ish")
    with pytest.raises(KeyError, match="unknown arm"):
        open_engine(tiny_catalog_path, tmp_path / "s2", arms=["lexical", "telepathy"])


# --- the lifecycle alone (ltrr.engine.arms), with the fake arms of tests/engine/fake_arms.py -----------

FAKES = {"built_slow": "BuiltSlowArm", "unbuilt_slow": "UnbuiltSlowArm", "paced": "PacedArm", "failing": "FailingArm",
         "partial": "PartialArm"}


@pytest.fixture()
def fake_arms(monkeypatch):
    """Register the fake arms; each starts with no record of where it was opened."""
    from ltrr.strategies import registry
    from tests.engine import fake_arms

    for name, cls in FAKES.items():
        monkeypatch.setitem(registry.ARMS, name, f"tests.engine.fake_arms:{cls}")
        getattr(fake_arms, cls).opened_in = []
    fake_arms.UnbuiltSlowArm.release = threading.Event()
    return fake_arms


def test_an_arm_whose_index_is_on_disk_is_ready_when_open_returns(fake_arms, tiny_catalog_path, tmp_path):
    """Issue 28: a slow arm with its index built loads in open, not in the background."""
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="static:built_slow", arms=["lexical", "built_slow"])
    try:
        assert eng.status()["arms"]["built_slow"]["ready"]
        assert fake_arms.BuiltSlowArm.opened_in == [threading.current_thread().name]
        resp = eng.search("anything at all")
        assert [r.entity_id for r in resp.results] == ["track:halo"]
    finally:
        eng.close()


def test_an_arm_that_must_build_builds_in_the_background(fake_arms, tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="all", arms=["lexical", "unbuilt_slow"])
    try:
        status = eng.status()["arms"]["unbuilt_slow"]
        assert not status["ready"]
        resp = eng.search("halo")             # served by the other arms meanwhile
        assert resp.results and not {c.arm: c for c in resp.selection}["unbuilt_slow"].ready
        fake_arms.UnbuiltSlowArm.release.set()
        assert eng.wait_until_ready(60)
        assert fake_arms.UnbuiltSlowArm.opened_in == ["ltrr-open-unbuilt_slow"]
        assert eng.status()["arms"]["unbuilt_slow"]["eta_s"] == 0.0
    finally:
        fake_arms.UnbuiltSlowArm.release.set()
        eng.close()


def test_without_background_every_arm_opens_in_open(fake_arms, tiny_catalog):
    from ltrr.engine.arms import ArmSet

    arms = ArmSet(tiny_catalog, ["unbuilt_slow"])
    fake_arms.UnbuiltSlowArm.release.set()
    assert arms.open(silent, background=False) == [] and arms.is_ready("unbuilt_slow")
    arms = ArmSet(tiny_catalog, ["unbuilt_slow", "built_slow"])
    assert arms.must_build("unbuilt_slow") and not arms.must_build("built_slow")
    assert arms.open(silent, background=True) == ["unbuilt_slow"] and arms.ready() == ["built_slow"]


def test_the_eta_follows_the_measured_pace_of_each_stage():
    from ltrr.engine.arms import Throughput

    times = iter([0.0, 10.0, 20.0, 20.0, 25.0, 30.0, 31.0])
    pace = Throughput(clock=lambda: next(times))
    assert pace.update(100, 1000, "embedding") is None          # resumed work: no pace yet
    assert pace.update(200, 1000, "embedding") == pytest.approx(80.0)    # 100 per 10 s, 800 left
    assert pace.update(600, 1000, "embedding") == pytest.approx(16.0)    # 500 per 20 s, 400 left
    assert pace.update(0, 50, "vector index") is None            # a new stage starts its own clock
    assert pace.update(0, 50, "vector index") is None            # no progress: not measurable
    assert pace.update(25, 50, "vector index") == pytest.approx(10.0)
    assert pace.update(50, 50, "vector index") == pytest.approx(0.0)


def test_an_arms_status_carries_the_eta_of_its_build(fake_arms, tiny_catalog):
    from ltrr.engine.arms import ArmSet

    times = iter([0.0, 4.0, 6.0])
    arms = ArmSet(tiny_catalog, ["paced"], clock=lambda: next(times))
    fake_arms.PacedArm.steps = [(0, 100, "building"), (20, 100, "building"), (50, 100, "building")]
    seen: list = []
    fake_arms.PacedArm.watch = lambda: seen.append(arms.status["paced"]["eta_s"])
    assert arms.status["paced"]["eta_s"] is None
    arms.open(silent, background=True)
    assert seen == [None, pytest.approx(16.0), pytest.approx(6.0)]
    assert arms.report()["paced"]["eta_s"] == 0.0 and arms.is_ready("paced")


def test_every_ready_arms_list_leaves_out_a_failing_arm_and_an_empty_query(fake_arms, tiny_catalog):
    from ltrr.engine.arms import ArmSet
    from ltrr.query import Query

    arms = ArmSet(tiny_catalog, ["lexical", "failing", "unbuilt_slow"])
    assert arms.open(silent, background=True) == ["unbuilt_slow"]
    lists = arms.lists(Query.make("halo"), 5)
    assert set(lists) == {"lexical"} and lists["lexical"][0] == "track:halo" and len(lists["lexical"]) <= 5
    assert arms.lists(Query.make("  !! "), 5) == {}


def test_an_arm_that_serves_a_partial_index_is_ready_but_not_complete_until_it_finishes(fake_arms, tiny_catalog):
    from ltrr.engine.arms import ArmSet

    arms = ArmSet(tiny_catalog, ["partial", "lexical"])
    arms.open(silent, background=False)
    assert arms.status["partial"]["ready"] and not arms.status["partial"]["complete"]
    assert arms.status["lexical"]["ready"] and arms.status["lexical"]["complete"]
    fake_arms.PartialArm.last.progress(5, 10, "embedding")
    assert arms.status["partial"]["ready"] and not arms.status["partial"]["complete"]
    fake_arms.PartialArm.last.finish()
    assert arms.status["partial"]["complete"]
