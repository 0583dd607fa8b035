"""Derived state, replay and persistence through the engine's public API: restart, reset, snapshots,
restore, export and replay."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.errors import FeedbackError, LtrrError
from tests.engine.engines import open_engine


def test_state_survives_restart_and_equals_replay(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    for q in ["halo", "kill bill", "love", "nas", "halo"]:
        resp = eng.search(q, context={"user_id": "u1", "hour": 20})
        eng.feedback(resp.id, resp.results[0].entity_id)
    before_report = eng.arm_report(context={"query": "halo", "user_id": "u1"})
    before_memory = eng.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True)
    eng.close()
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    try:
        after_report = eng.arm_report(context={"query": "halo", "user_id": "u1"})
        after_memory = eng.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True)
        assert after_memory.equals(before_memory)
        for a, b in zip(before_report, after_report):
            assert a["arm"] == b["arm"] and a["pulls"] == b["pulls"]
            assert a["expected_reward"] == pytest.approx(b["expected_reward"], abs=1e-9)
        assert eng.status()["searches"] == 5 and eng.status()["clicks"] == 5
    finally:
        eng.close()


def test_two_states_learn_independently(tiny_catalog_path, tmp_path):
    a = open_engine(tiny_catalog_path, tmp_path / "a")
    b = open_engine(tiny_catalog_path, tmp_path / "b")
    try:
        resp = a.search("halo")
        clicked = resp.results[0].entity_id
        a.feedback(resp.id, clicked)
        b.feedback(b.search("halo").id, action="skip")       # b saw the same query, nobody clicked
        assert a.status()["clicks"] == 1 and b.status()["clicks"] == 0
        a_halo, b_halo = a.memory_entries("halo"), b.memory_entries("halo")
        assert a_halo.loc[a_halo["entity_id"] == clicked, "clicks"].tolist() == [1]
        assert b_halo["clicks"].sum() == 0                     # a's click did not leak into b
        a_pulls = {r["arm"]: r["rewards"] for r in a.arm_report()}
        b_pulls = {r["arm"]: r["rewards"] for r in b.arm_report()}
        assert sum(a_pulls.values()) > 0 and sum(b_pulls.values()) == 0
        assert {e["id"] for e in a.log_events() if e["kind"] == "search"}.isdisjoint(
            e["id"] for e in b.log_events() if e["kind"] == "search")
    finally:
        a.close()
        b.close()


def test_second_writer_on_same_state_is_refused(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    try:
        import subprocess
        import sys
        code = ("from ltrr import Engine\nfrom ltrr.errors import StateError\n"
                f"try:\n    Engine.open({str(tiny_catalog_path)!r}, {str(tmp_path / 's')!r}, arms=['popular'])\n"
                "except StateError as e:\n    print('REFUSED:', e)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert "REFUSED:" in out.stdout and "in use" in out.stdout, out.stderr[-2000:]
    finally:
        eng.close()


def test_reset_forgets_and_old_ids_are_unknown(engine):
    resp = engine.search("halo")
    engine.feedback(resp.id, resp.results[0].entity_id)
    snap = engine.reset()
    assert (snap / "log" / "events.jsonl").exists()
    assert engine.status()["searches"] == 0 and engine.ranker_status()["n_examples"] == 0
    assert all(r["pulls"] == 0 for r in engine.arm_report())
    with pytest.raises(FeedbackError, match="unknown response"):
        engine.feedback(resp.id, resp.results[0].entity_id)


def test_a_reset_or_restore_whose_snapshot_fails_keeps_the_engine_logging(engine, monkeypatch):
    resp = engine.search("halo")
    engine.feedback(resp.id, resp.results[0].entity_id)
    engine.snapshot("kept")

    def full_disk():
        raise OSError("No space left on device")
    monkeypatch.setattr(engine.state, "clear", full_disk)
    for call in (engine.reset, lambda: engine.restore("kept")):
        with pytest.raises(OSError, match="No space"):
            call()
        # Nothing was forgotten, and the engine still writes its log.
        after = engine.search("halo")
        engine.feedback(after.id, after.results[0].entity_id)
    kinds = [e["kind"] for e in engine.log_events()]
    assert kinds.count("search") == 3 and kinds.count("feedback") == 3


def test_export_and_replay_rebuild_the_state(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    rng = np.random.default_rng(1)
    for q in ["halo", "kill bill", "love", "nas", "rap", "taylor swift"] * 3:
        resp = eng.search(q, context={"user_id": f"u{rng.integers(3)}"})
        if resp.results:
            eng.feedback(resp.id, resp.results[int(rng.integers(len(resp.results)))].entity_id)
    path = eng.export(tmp_path / "out", "parquet")
    expected = eng.arm_report(context={"query": "halo"})
    expected_memory = eng.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True)
    eng.close()

    from ltrr.log_export import load_exported
    fresh = open_engine(tiny_catalog_path, tmp_path / "rebuilt")
    try:
        counts = fresh.replay(load_exported(path))
        assert counts == {"searches": 18, "feedbacks": 18, "skipped": 0}
        got = fresh.arm_report(context={"query": "halo"})
        for a, b in zip(expected, got):
            assert a["pulls"] == b["pulls"] and a["expected_reward"] == pytest.approx(b["expected_reward"], abs=1e-9)
        got_memory = fresh.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True)
        assert got_memory.equals(expected_memory)
        assert fresh.ranker_status()["n_sessions"] == 18
        with pytest.raises(LtrrError, match="empty state"):
            fresh.replay(load_exported(path))
    finally:
        fresh.close()


def test_arm_run_times_are_logged_and_priced_the_same_after_replay(tiny_catalog_path, tmp_path):
    import shutil

    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage:ms=0.01")
    for q in ["halo", "kill bill", "love", "nas"]:
        resp = eng.search(q, context={"user_id": "u1"})
        eng.feedback(resp.id, resp.results[0].entity_id)
    searches = [e for e in eng.log_events() if e["kind"] == "search"]
    for e in searches:
        ran = {s["arm"] for s in e["selection"] if s["selected"]}
        assert set(e["arm_ms"]) == ran and all(v >= 0 for v in e["arm_ms"].values())
    timed = eng.selector.arm_milliseconds()
    assert set(timed) == {a for e in searches for a in e["arm_ms"]}
    eng.close()
    for drop_checkpoint in (False, True):
        if drop_checkpoint:
            shutil.rmtree(tmp_path / "s" / "checkpoint")     # the whole log replays instead
        eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage:ms=0.01")
        try:
            assert eng.selector.arm_milliseconds() == pytest.approx(timed, rel=1e-12)
        finally:
            eng.close()


def test_a_reset_voids_a_ranker_training_under_way_before_it_moves_the_folders(tiny_catalog_path, tmp_path,
                                                                             monkeypatch):
    import threading

    from ltrr.rank.ranker import Ranker
    from ltrr.state import StateDir
    from tests.rank.test_ranker import feed

    eng = open_engine(tiny_catalog_path, tmp_path / "s", ranker_training="off")
    try:
        feed(eng.ranker, 150)
        fitting, release = threading.Event(), threading.Event()
        real_fit, real_clear = Ranker._fit, StateDir.clear

        def held_fit(self, sessions, bias=None):
            fitting.set()
            release.wait(60)
            return real_fit(self, sessions, bias)

        reports: list[dict] = []

        def clear_while_training_ends(self):
            # The training finishes while the reset moves the folders (the race it used to lose).
            release.set()
            trainer.join(60)
            return real_clear(self)

        monkeypatch.setattr(Ranker, "_fit", held_fit)
        monkeypatch.setattr(StateDir, "clear", clear_while_training_ends)
        trainer = threading.Thread(target=lambda: reports.append(eng.ranker.train()))
        trainer.start()
        assert fitting.wait(60)
        snap = eng.reset()
        assert reports and reports[0].get("reason") == "reset during training"
        # Nothing it trained was written into the folder the reset moved.
        assert not list((snap / "ranker").glob("model-*"))
    finally:
        release.set()
        eng.close()


def test_places_taken_above_a_click_are_learnt_per_kind_and_rebuilt_by_replay(tiny_catalog_path, tmp_path):
    import shutil

    policy = "coverage:push=0.5"
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy=policy)
    for q in ["halo", "kill bill", "love", "nas", "rap", "taylor swift"] * 2:
        resp = eng.search(q, context={"user_id": "u1"})
        if len(resp.results) > 1:
            eng.feedback(resp.id, resp.results[-1].entity_id)       # a click below everything else shown
    crowd = {k: v.copy() for k, v in eng.selector.learner._crowd.items()}          # noqa: SLF001
    # Clicks on the last result: every other result stood in front of it, so some arm that put
    # its own finds there is charged for them.
    assert crowd and max(float(v.max()) for v in crowd.values()) > 0
    eng.close()
    for drop_checkpoint in (False, True):
        if drop_checkpoint:
            shutil.rmtree(tmp_path / "s" / "checkpoint")     # the whole log replays instead
        eng = open_engine(tiny_catalog_path, tmp_path / "s", policy=policy)
        try:
            again = eng.selector.learner._crowd                                  # noqa: SLF001
            assert again.keys() == crowd.keys()
            for k in crowd:
                np.testing.assert_allclose(again[k], crowd[k], rtol=1e-12)
        finally:
            eng.close()
