"""The engine's public API on the tiny catalog (every arm but the slow semantic one)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr import Engine
from ltrr.errors import FeedbackError, LtrrError

FAST_ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]


def open_engine(catalog, state, policy="linucb", **kw):
    kw.setdefault("arms", FAST_ARMS)
    kw.setdefault("ranker_training", "off")
    return Engine.open(catalog=catalog, state=state, policy=policy, seed=0, **kw)


def reopened_and_rebuilt(catalog, tmp_path, policy, export):
    """The engine of state ``tmp_path / "s"`` reopened, then a fresh one that replayed ``export``
    (with the replay's counts; None for the reopened one); each closed after its turn."""
    from ltrr.log import load_exported

    for folder in ("s", "rebuilt"):
        eng = open_engine(catalog, tmp_path / folder, policy=policy)
        try:
            yield eng, eng.replay(load_exported(export)) if folder == "rebuilt" else None
        finally:
            eng.close()


@pytest.fixture()
def engine(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "state")
    yield eng
    eng.close()


def test_search_response_is_complete(engine):
    resp = engine.search("blinding lights", context={"user_id": "u1", "hour": 21}, k=5, explain=True)
    assert resp.id and resp.results and len(resp.results) <= 5
    top = resp.results[0]
    assert top.entity_id == "track:blinding"
    assert top.entity_type == "track" and top.title == "Blinding Lights" and top.subtitle == "The Weeknd"
    assert "lexical" in top.arms and top.features
    assert {c.arm for c in resp.selection} == set(FAST_ARMS)
    assert all(0.0 <= c.propensity <= 1.0 for c in resp.selection)
    assert set(resp.by_arm) == set(FAST_ARMS)          # explain=True shows every ready arm
    assert resp.understanding.query == "blinding lights"
    assert resp.timings["total"] > 0
    assert [r.rank for r in resp.results] == list(range(1, len(resp.results) + 1))


def test_empty_query_gives_message_not_error(engine):
    resp = engine.search("   ")
    assert resp.results == [] and "Empty query" in resp.message


def test_feedback_updates_bandit_memory_ranker_and_log(engine):
    resp = engine.search("good days", context={"user_id": "u1"})
    target = next(r for r in resp.results if r.entity_id == "track:gooddays")
    fb = engine.feedback(resp.id, target.entity_id)
    assert fb.bandit_updated and fb.position == target.rank
    retrieving = {c.arm for c in resp.selection if c.selected and target.entity_id in
                  [r.entity_id for r in resp.by_arm[c.arm][: c.budget]]}
    # Marginal (Shapley) credit: the arms that found the click share one unit.
    assert retrieving and {a for a, r in fb.rewards.items() if r > 0} == retrieving
    assert all(fb.rewards[a] == pytest.approx(1 / len(retrieving)) for a in retrieving)
    # Full-information feedback: the click's rank in every ready arm's list, logged.
    logged = [e for e in engine.log_events() if e["kind"] == "feedback"][-1]
    assert set(logged["arm_ranks"]) == {c.arm for c in resp.selection if c.ready}
    assert all(logged["arm_ranks"][a] is not None for a in retrieving)
    assert fb.memory["clicks"] == 1 and fb.memory["query"] == "good days"
    assert fb.ranker_examples == 1
    report = {r["arm"]: r for r in engine.arm_report()}
    assert all(report[a]["pulls"] == 1 for a in fb.rewards)


def test_feedback_errors_are_clear(engine):
    resp = engine.search("halo")
    with pytest.raises(FeedbackError, match="unknown response"):
        engine.feedback("nope", "track:halo")
    with pytest.raises(FeedbackError, match="not shown"):
        engine.feedback(resp.id, "track:does-not-exist")
    with pytest.raises(FeedbackError, match="unknown action"):
        engine.feedback(resp.id, "track:halo", action="explode")


def test_second_click_does_not_update_bandit_again(engine):
    resp = engine.search("halo")
    first = engine.feedback(resp.id, resp.results[0].entity_id)
    again = engine.feedback(resp.id, resp.results[0].entity_id)
    assert first.bandit_updated and not again.bandit_updated and again.duplicate
    assert sum(r["pulls"] for r in engine.arm_report()) == len(first.rewards)


def test_log_has_one_row_per_search_and_one_record_per_feedback(engine):
    n_clicks = 0
    for i, q in enumerate(["halo", "kill bill", "90s rap", "sza", "love", ""]):
        resp = engine.search(q, context={"user_id": f"u{i % 2}"})
        if resp.results and i % 2 == 0:
            engine.feedback(resp.id, resp.results[-1].entity_id)
            n_clicks += 1
    frame = engine.log_frame()
    assert len(frame) == 6
    assert frame["n_clicks"].sum() == n_clicks
    events = engine.log_events()
    assert sum(e["kind"] == "feedback" for e in events) == n_clicks


@pytest.mark.parametrize("policy", ["all", "static:lexical,fuzzy"])
def test_fixed_policies_never_change_their_choice(tiny_catalog_path, tmp_path, policy):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy=policy)
    try:
        choices = set()
        for i in range(30):
            resp = eng.search(["halo", "love", "nas"][i % 3])
            choices.add(tuple((c.arm, c.selected, c.budget, c.propensity) for c in resp.selection))
            if resp.results:
                eng.feedback(resp.id, resp.results[0].entity_id)
        assert len(choices) == 1
    finally:
        eng.close()


def test_bandit_learns_the_arm_that_holds_the_clicked_item(tiny_catalog_path, tmp_path):
    """Users always click what the `fresh` arm offers first (only it knows what they want)."""
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    rng = np.random.default_rng(0)
    queries = ["love", "halo", "sza", "nas", "rap", "the weeknd", "pop", "taylor"]
    chosen = []
    try:
        for step in range(300):
            resp = eng.search(queries[rng.integers(len(queries))], context={"hour": int(rng.integers(24))})
            sel = {c.arm: c for c in resp.selection}
            chosen.append(sel["fresh"].selected)
            fresh = resp.by_arm.get("fresh", [])
            if sel["fresh"].selected and fresh:
                eng.feedback(resp.id, fresh[0].entity_id)
            else:
                eng.feedback(resp.id, action="skip")
        assert np.mean(chosen[-100:]) >= 0.9
        report = {r["arm"]: r for r in eng.arm_report()}
        assert report["fresh"]["expected_reward"] == max(r["expected_reward"] for r in report.values())
    finally:
        eng.close()


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

    from ltrr.log import load_exported
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


def test_explain_gives_features_and_contributions(engine):
    resp = engine.search("blinding lights", explain=True)
    why = engine.explain(resp.id, resp.results[0].entity_id)
    assert "lexical" in why["arms"]
    assert set(why["features"]) == set(why["contributions"])
    assert why["features"]["title_exact"] == 1.0


def test_unknown_policy_and_arm_are_clear(tiny_catalog_path, tmp_path):
    with pytest.raises(ValueError, match="linucb"):
        open_engine(tiny_catalog_path, tmp_path / "s", policy="greedy-ish")
    with pytest.raises(KeyError, match="unknown arm"):
        open_engine(tiny_catalog_path, tmp_path / "s2", arms=["lexical", "telepathy"])


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


def test_a_later_find_teaches_memory_and_learner_without_counting_as_a_click(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        resp = eng.search("sng of the year", context={"user_id": "u1"})
        eng.feedback(resp.id, action="skip")
        learner = eng.selector._coverage
        before = learner.n_clicks
        with pytest.raises(FeedbackError, match="not in the catalog"):
            eng.feedback(resp.id, "track:does-not-exist", action="found_later")
        fb = eng.feedback(resp.id, "track:lovestory", action="found_later")
        assert not fb.bandit_updated and not fb.duplicate and fb.rewards == {}
        assert fb.ranker_examples == 0
        assert fb.memory["query"] == "sng of the year" and fb.memory["clicks"] == 1
        logged = [e for e in eng.log_events() if e["kind"] == "feedback"][-1]
        assert logged["action"] == "found_later"
        # Where every ready arm ranks the find for *this* query: the learner buffers it.
        assert set(logged["arm_ranks"]) == set(FAST_ARMS)
        assert learner.n_clicks == before + 1
        again = eng.feedback(resp.id, "track:lovestory", action="found_later")
        assert again.duplicate and learner.n_clicks == before + 1
        assert eng.status()["clicks"] == 0
        assert eng.log_frame()["n_clicks"].sum() == 0
        memory = eng.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True)
        path = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()
    for eng, replayed in reopened_and_rebuilt(tiny_catalog_path, tmp_path, "coverage", path):
        if replayed is not None:
            assert replayed["feedbacks"] == 3
        # From the checkpoint, and from the exported log: the same memory and buffered find.
        assert eng.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True).equals(memory)
        assert eng.selector._coverage.n_clicks == before + 1


def test_the_learner_counts_each_query_it_resolves_and_a_replay_counts_the_same(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        # The first search runs every arm (nothing is learned yet), so it has results to click.
        resp = eng.search("love story", context={"user_id": "u2"})
        eng.feedback(resp.id, resp.results[0].entity_id)
        for _ in range(3):
            resp = eng.search("Sng  of the YEAR", context={"user_id": "u1"})
            eng.feedback(resp.id, action="skip")
        counts = {q: list(v) for q, v in eng.selector._coverage._queries.items()}
        path = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()
    # By normalized text: three searches without a click, one with.
    assert list(counts) == ["love story", "sng of the year"]
    assert counts["sng of the year"][1] == 0 and counts["love story"][1] == 1
    assert counts["sng of the year"][0] > 2.9
    from ltrr.log import load_exported
    eng = open_engine(tiny_catalog_path, tmp_path / "rebuilt", policy="coverage")
    try:
        eng.replay(load_exported(path))
        assert {q: list(v) for q, v in eng.selector._coverage._queries.items()} == counts
    finally:
        eng.close()


def test_a_judged_search_teaches_the_learner_once_in_place_of_its_click(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage:judged=1")
    try:
        learner = eng.selector._coverage
        resp = eng.search("love story", context={"user_id": "u1"})
        assert resp.judge and resp.decision["judged_share"] == 1.0
        eng.feedback(resp.id, resp.results[0].entity_id)
        assert learner.n_events == 0          # the click teaches memory and ranker, not the learner
        with pytest.raises(FeedbackError, match="not in the catalog"):
            eng.judge(resp.id, ["track:does-not-exist"])
        with pytest.raises(FeedbackError, match="list of entity ids"):
            eng.judge(resp.id, "track:lovestory")
        ranks = eng.judge(resp.id, ["track:lovestory"])
        assert set(ranks) == set(FAST_ARMS) and ranks["lexical"] == 1
        assert learner.n_events == 1 and learner.n_clicks == 1
        with pytest.raises(FeedbackError, match="judged already"):
            eng.judge(resp.id, ["track:lovestory"])
        assert eng.status()["clicks"] == 1
        logged = [e for e in eng.log_events() if e["kind"] == "feedback"][-1]
        assert logged["action"] == "judged" and logged["arm_ranks"] == ranks
        state = learner.state_dict()
        path = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()
    for eng, _ in reopened_and_rebuilt(tiny_catalog_path, tmp_path, "coverage:judged=1", path):
        # Reopened (checkpoint or log) and replayed from the export: the same learner.
        got = eng.selector._coverage.state_dict()
        assert got["n_events"] == 1 and np.array_equal(got["ranks"], state["ranks"])
        assert np.array_equal(got["inv_w"], state["inv_w"])


def test_only_a_search_drawn_for_judgment_can_be_judged(engine, tiny_catalog_path, tmp_path):
    resp = engine.search("love story")
    assert not resp.judge
    with pytest.raises(FeedbackError, match="not drawn for judgment"):
        engine.judge(resp.id, ["track:lovestory"])
    eng = open_engine(tiny_catalog_path, tmp_path / "c", policy="coverage")
    try:
        resp = eng.search("love story")
        assert not resp.judge and "judge" not in resp.decision
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
