"""Feedback and learning through the engine's public API: clicks, skips, later finds, judgments."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.errors import FeedbackError
from tests.engine.engines import FAST_ARMS, open_engine, query_counts, reopened_and_rebuilt


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
    # The click's rank in every list the search could draw from (ready, and not probed empty), logged.
    logged = [e for e in engine.log_events() if e["kind"] == "feedback"][-1]
    assert set(logged["arm_ranks"]) == {c.arm for c in resp.selection if c.ready and not c.empty}
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


def test_a_later_find_teaches_memory_and_learner_without_counting_as_a_click(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        resp = eng.search("sng of the year", context={"user_id": "u1"})
        eng.feedback(resp.id, action="skip")
        learner = eng.selector.learner
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
        assert eng.selector.learner.n_clicks == before + 1


def test_the_learner_counts_each_query_it_resolves_and_a_replay_counts_the_same(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        # The first search runs every arm (nothing is learned yet), so it has results to click.
        resp = eng.search("love story", context={"user_id": "u2"})
        eng.feedback(resp.id, resp.results[0].entity_id)
        for _ in range(3):
            resp = eng.search("Sng  of the YEAR", context={"user_id": "u1"})
            eng.feedback(resp.id, action="skip")
        counts = query_counts(eng)
        path = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()
    # By normalized text: three searches without a click, one with.
    assert list(counts) == ["love story", "sng of the year"]
    assert counts["sng of the year"][1] == 0 and counts["love story"][1] == 1
    assert counts["sng of the year"][0] > 2.9
    from ltrr.log_export import load_exported
    eng = open_engine(tiny_catalog_path, tmp_path / "rebuilt", policy="coverage")
    try:
        eng.replay(load_exported(path))
        assert query_counts(eng) == counts
    finally:
        eng.close()


def test_a_skipped_search_tries_each_arm_as_far_as_its_shown_finds_were_looked_at(tiny_catalog_path, tmp_path):
    from ltrr.memory import examination

    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        resp = eng.search("love", context={"user_id": "u1"})       # the first search runs every arm
        eng.feedback(resp.id, action="skip")
        arms = eng.selector.learner.arms
        tries = dict(zip(arms, query_counts(eng)["love"][3:]))
    finally:
        eng.close()
    shown = [r.entity_id for r in resp.results]
    ran = [c for c in resp.selection if c.selected and c.budget > 0]
    assert ran and len(shown) > 1
    for choice in ran:
        finds = [r.entity_id for r in resp.by_arm.get(choice.arm, [])][:choice.budget]
        at = [shown.index(e) + 1 for e in finds if e in shown]
        assert tries[choice.arm] == pytest.approx(examination(min(at)) if at else 0.0), choice.arm
    assert any(0 < t < 1 for t in tries.values())           # an arm shown below the top is part of a try
    assert all(tries[a] == 0 for a in arms if a not in {c.arm for c in ran})


def test_a_judged_search_teaches_the_learner_once_in_place_of_its_click(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage:judged=1")
    try:
        learner = eng.selector.learner
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
        got = eng.selector.learner.state_dict()
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


def test_attribution_of_an_old_search_reads_the_ranks_logged_with_it(tiny_catalog_path, tmp_path):
    """Memory learns halo for 'love story' after the first search: today its list has halo at
    rank 1, but the first search is judged by what was logged with it (memory had nothing)."""
    from ltrr.attribution import attribute_search

    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        first = eng.search("love story", context={"user_id": "u1"})
        eng.feedback(first.id, "track:halo", action="found_later")
        logged = [e for e in eng.log_events() if e["kind"] == "feedback"][-1]
        assert logged["arm_ranks"]["memory"] is None           # memory had not seen halo for it then
        for _ in range(3):
            later = eng.search("love story", context={"user_id": "u1"})
            eng.feedback(later.id, "track:halo", action="found_later")
        core = eng._core                                                      # noqa: SLF001
        search = core.derived.known_search(first.id)
        today = core.arms.lists(core.query_of(search), 50)
        assert today["memory"][0] == "track:halo"                               # memory's list changed
        assert attribute_search(search, ["track:halo"], today).arm == "memory"   # today's lists blame it
        got = eng.attribute(first.id, ["track:halo"])
        assert got["arm"] != "memory"
        assert got == attribute_search(search, ["track:halo"], today, [logged]).to_dict()
    finally:
        eng.close()


def test_the_memory_is_not_credited_with_what_the_judged_search_itself_taught(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage:judged=1")
    try:
        resp = eng.search("tunes to unwind to", context={"user_id": "u1"})
        assert resp.judge and resp.by_arm.get("memory", []) == []       # the memory held nothing
        wanted = resp.results[0].entity_id
        eng.feedback(resp.id, wanted)
        # The click taught the memory the pair; the judgment is about the search as it ran.
        assert eng.memory.entry("tunes to unwind to", wanted).clicks == 1
        assert eng.judge(resp.id, [wanted])["memory"] is None
        # A second user's search of the same ask: the first user's click is the memory's to list.
        resp = eng.search("tunes to unwind to", context={"user_id": "u2"})
        assert eng.judge(resp.id, [wanted])["memory"] == 1
    finally:
        eng.close()
