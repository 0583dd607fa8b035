"""Issue 29's app parts without a browser: counts agree in number, building arms say when
they will be ready, the Simulator compares against a tuned fixed configuration near the
learner's cost (with an interval once there are two seeds), and no page shows NaN."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ltrr.log import read_events
from ltrr_app import baseline, labels
from ltrr_app.baseline import TUNED
from ltrr_app.simjob import SimulationJob

from test_pages import APP, PAGES, TIMEOUT, assert_clean, current_engine, play_buttons, search  # noqa: E402

NAN = re.compile(r"(?<![\w])nan(?![\w])", re.IGNORECASE)


# --- words ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n, word, text", [
    (1, "search", "1 search"), (0, "search", "0 searches"), (2_000, "search", "2,000 searches"),
    (1, "click", "1 click"), (3, "query", "3 queries"), (2, "entity", "2 entities"),
    (1, "simulated search", "1 simulated search"), (40, "simulated search", "40 simulated searches"),
    (2, "click per search", "2 clicks per search"), (5, "day", "5 days"), (2, "box", "2 boxes"),
])
def test_count_agrees_in_number(n, word, text):
    assert labels.count(n, word) == text


def test_count_decides_by_the_number_as_shown():
    assert labels.count(0.6, "candidate", ".0f") == "1 candidate"
    assert labels.count(1.0, "candidate", ".1f") == "1.0 candidates"


@pytest.mark.parametrize("seconds, text", [
    (None, ""), (float("nan"), ""), (-3, ""), ("soon", ""), (2, "a few seconds"), (38, "about 40 s"),
    (130, "about 2 min"), (7_200, "about 2 hours"),
])
def test_durations_read_as_people_say_them(seconds, text):
    assert labels.duration(seconds) == text


def test_a_building_arm_says_when_it_will_be_ready_or_how_far_it_is():
    assert labels.readiness("semantic", {"eta_s": 41.0, "progress": 0.2}) == "semantic search ready in about 40 s"
    # Before the engine measures an ETA (or an engine without eta_s): the progress fraction.
    assert labels.readiness("semantic", {"eta_s": None, "progress": 0.35}) == "semantic search building: 35% done"
    assert labels.readiness("semantic", {"progress": 0.35, "message": "semantic: encoding passages"}) == \
        "semantic search building: 35% done (encoding passages)"
    assert labels.readiness("semantic", {}) == "semantic search starting to build"


def test_the_sidebar_shows_the_eta_of_a_building_arm(fresh_state, monkeypatch):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    engine = current_engine()
    real = engine.status

    def building():
        status = real()
        status["arms"]["semantic"] = {"ready": False, "progress": 0.3, "eta_s": 42.0, "message": "encoding"}
        return status
    monkeypatch.setattr(engine, "status", building)
    at.run()
    texts = [p.proto.text for p in at.get("progress")] + [c.value for c in at.sidebar.caption]
    assert any("semantic search ready in about 40 s" in t for t in texts), texts
    assert any("Until then searches run without semantic" in t for t in texts), texts


# --- the tuned baseline and the verdict ------------------------------------------------------

def test_an_interval_needs_two_seeds_and_is_never_nan():
    one = baseline.estimate([2.0])
    assert (one.low, one.high) == (None, None) and "1 seed: no interval yet" in one.text()
    three = baseline.estimate([1.0, 2.0, 3.0])
    assert three.low < 2.0 < three.high and "3 seeds" in three.text()
    with pytest.raises(ValueError):
        baseline.estimate([1.0, float("nan")])


def test_learner_stands_against_the_tuned_config_and_the_frontier_per_seed():
    rows = []
    for seed, (mine, theirs) in enumerate([(0.9, 0.8), (0.8, 0.8), (1.0, 0.8)]):
        for step in range(1, 11):
            # Candidates (what the arms returned) are the frontier's cost, never the smaller pool.
            rows.append({"seed": seed, "policy": "coverage", "step": step, "success": mine, "covered": mine,
                         "n_retrieved": 6, "n_pool": 4})
            rows.append({"seed": seed, "policy": "tuned", "step": step, "success": theirs, "covered": theirs,
                         "n_retrieved": 5, "n_pool": 5})
    tuned = baseline.TunedBaseline(spec="static:lexical=5", config={"lexical": 5}, cost=5.0, coverage=0.8,
                                   frontier=pd.DataFrame({"candidates": [2.0, 10.0], "coverage": [0.5, 0.9]}),
                                   searches=100, lam=0.004)
    found = baseline.learner_vs(pd.DataFrame(rows), "coverage", tuned, window=5, other="tuned")
    assert found["seeds"] == 3
    assert found["vs_fixed"].mean == pytest.approx(10.0)          # 90% against 80%, in points
    assert found["frontier_at"] == pytest.approx(0.7)             # 6 candidates: halfway from 2 to 10
    assert found["vs_frontier"].mean == pytest.approx(20.0)        # 90% retrieved against 70%
    assert found["vs_fixed"].low is not None


def test_the_learners_price_comes_from_its_spec():
    from ltrr.bandit.policy import PARAM_DEFAULTS

    assert baseline.learner_cost("coverage:cost=0.002") == 0.002
    assert baseline.learner_cost("coverage") == PARAM_DEFAULTS["coverage"]["cost"]


def test_a_job_tunes_first_then_runs_each_seed_with_the_tuned_spec(tmp_path):
    calls = []

    def tuner(catalog, state_dir, *, steps, seed, lam, progress, **kw):
        calls.append(("tuner", kw["retry_share"], kw["reformulate_share"]))
        progress(0, steps, "tuning stream")
        return SimpleNamespace(spec="static:lexical=5", label=lambda: "tuned fixed: lexical 5")

    def runner(*, policies, seed, steps, on_step, state_root, **kw):
        calls.append((tuple(policies), seed, state_root, kw["reformulate_share"]))
        for p in policies:
            for step in range(1, steps + 1):
                on_step(p, step, {"policy": p, "step": step})
        return SimpleNamespace(state_dirs={}, stopped=False)

    job = SimulationJob(runner=runner, tuner=tuner, catalog_path="c", policies=["coverage", TUNED], steps=3,
                        seed=7, seeds=[7, 8], tune={"steps": 10, "lam": 0.004}, state_root=tmp_path,
                        retry_share=0.4, reformulate_share=0.3).start()
    assert job.join(5) and job.error is None
    # The tuning stream's users retry and reword as the compared runs' users do.
    assert calls[0] == ("tuner", 0.4, 0.3)
    runs = calls[1:]
    assert [c[:2] for c in runs] == [(("coverage", "static:lexical=5"), 7), (("coverage", "static:lexical=5"), 8)]
    assert runs[0][2] != runs[1][2], "each seed learns in its own folder"
    assert [c[3] for c in runs] == [0.3, 0.3]
    assert sorted(set(job.records()["seed"])) == [7, 8]
    assert job.labels == {"static:lexical=5": "tuned fixed: lexical 5"}


def test_a_warm_started_job_gives_every_coverage_learner_the_tuning_stream_first(tmp_path):
    judged = ["search-1", "search-2"]           # what the tuner's table gives; passed through as it is
    tuned = []

    def tuner(catalog, state_dir, *, steps, seed, lam, progress, **kw):
        tuned.append(steps)
        return SimpleNamespace(spec="static:lexical=5", label=lambda: "tuned fixed: lexical 5", judged=judged)

    warmed = []

    def runner(*, policies, seed, steps, on_step, state_root, warm=None, **kw):
        warmed.append(warm)
        return SimpleNamespace(state_dirs={}, stopped=False)

    # No tuned baseline among the policies: the tuning stream is still drawn, for the warm start.
    job = SimulationJob(runner=runner, tuner=tuner, catalog_path="c", policies=["coverage:cost=0.008", "all"],
                        steps=3, seed=0, tune={"steps": 10, "lam": 0.008, "warm": True}, state_root=tmp_path).start()
    assert job.join(5) and job.error is None
    assert tuned == [10] and warmed == [{"coverage:cost=0.008": judged}]
    assert job.labels == {"coverage:cost=0.008": "coverage:cost=0.008, warm-started"}
    # Without a learner that can read them, nothing is tuned or warmed.
    tuned.clear(), warmed.clear()
    job = SimulationJob(runner=runner, tuner=tuner, catalog_path="c", policies=["all"], steps=3, seed=0,
                        tune={"steps": 10, "lam": 0.008, "warm": True}, state_root=tmp_path).start()
    assert job.join(5) and tuned == [] and warmed == [None]
    # The routing table reads the tuning stream whether the learners are warmed or not: it is chosen from it.
    warmed.clear()
    job = SimulationJob(runner=runner, tuner=tuner, catalog_path="c", policies=["coverage", "route"], steps=3,
                        seed=0, tune={"steps": 10, "lam": 0.004, "warm": False}, state_root=tmp_path).start()
    assert job.join(5) and warmed == [{"route": judged}]
    assert job.labels == {"route": "route (per kind of ask)"}
    assert baseline.warmable("coverage") and not baseline.warmable("linucb") and not baseline.warmable("not a policy")


def test_the_simulator_compares_with_a_tuned_fixed_config_by_default(fresh_state):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/3_Simulator.py").run()
    assert_clean(at)
    chosen = at.multiselect(key="ltrr_sim_policies").value
    assert TUNED in chosen and "all" not in chosen and "static:lexical" not in chosen
    at.multiselect(key="ltrr_sim_arms").set_value(["lexical", "fuzzy", "popular"])
    at.number_input(key="ltrr_sim_steps").set_value(30)
    at.number_input(key="ltrr_sim_users").set_value(5)
    at.number_input(key="ltrr_sim_seeds").set_value(2)
    at.number_input(key="ltrr_sim_tune_steps").set_value(30)
    next(b for b in at.button if b.label == "Run simulation").click().run()
    job = at.session_state["ltrr_sim_job"]
    from ltrr.simulate.world import DEFAULT as WORLD

    # The world's users reword failed vague asks in the app's runs too (issue 27), as in the study.
    assert job.settings["reformulate_share"] == WORLD.reformulate_share > 0
    assert job.join(timeout=600) and job.error is None
    at.run()
    assert_clean(at)
    assert job.baseline is not None and job.baseline.spec.startswith("static:")
    assert set(job.records()["policy"]) == {"coverage", job.baseline.spec}   # tuned on another stream, run live
    text = " ".join(m.value for m in at.markdown)
    assert "Does learning pay?" in " ".join(h.value for h in at.subheader)
    assert "tuned on another stream" in text and "static frontier" in text
    assert "95% interval" in text and "2 seeds" in text
    assert any("Finished 30 simulated searches" in s.value for s in at.success)
    assert not NAN.search(page_text(at))


# --- no NaN on any page --------------------------------------------------------------------

def page_text(at: AppTest) -> str:
    """Every text an AppTest page shows: markdown, captions, titles, metrics, alerts, widget
    labels, and the cells of every data frame."""
    parts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "success", "warning", "error",
                 "latex", "code", "text", "toast"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    for m in at.metric:
        parts += [str(m.label), str(m.value), str(getattr(m.proto, "delta", ""))]
    for e in at.get("progress"):
        parts.append(str(e.proto.text))
    for kind in ("selectbox", "multiselect", "radio", "number_input", "text_input", "button"):
        parts += [str(getattr(e, "label", "")) for e in at.get(kind)]
    for df in at.dataframe:
        value = df.value
        if isinstance(value, pd.DataFrame):
            parts += [str(c) for c in value.columns]
            parts += [str(v) for v in value.select_dtypes(exclude="number").to_numpy().ravel() if v is not None]
    return "\n".join(parts)


def test_no_page_shows_nan(shared_state):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    search(at, "love")
    if play_buttons(at):
        play_buttons(at)[0].click().run()
    texts = {"app.py": page_text(at)}
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        texts[page] = page_text(at)
    found = {page: [text[max(0, m.start() - 40):m.end() + 40] for m in NAN.finditer(text)]
             for page, text in texts.items()}
    assert {p: f for p, f in found.items() if f} == {}
    assert all(texts.values())


def test_the_nan_scan_finds_a_nan(shared_state):
    """The scan itself is not blind: a page that prints NaN is caught."""
    at = AppTest.from_string("import streamlit as st\nst.metric('x', f\"{float('nan'):.1f}\")\nst.caption('ok')")
    at.run()
    assert NAN.search(page_text(at))


def test_the_simulator_warm_starts_the_learner_from_the_tuning_stream_when_asked(fresh_state):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/3_Simulator.py").run()
    at.multiselect(key="ltrr_sim_arms").set_value(["lexical", "fuzzy", "popular"])
    at.number_input(key="ltrr_sim_steps").set_value(30)
    at.number_input(key="ltrr_sim_users").set_value(5)
    at.number_input(key="ltrr_sim_tune_steps").set_value(30)
    at.checkbox(key="ltrr_sim_warm").check()
    at.multiselect(key="ltrr_sim_policies").set_value(["coverage", TUNED, "route"])
    next(b for b in at.button if b.label == "Run simulation").click().run()
    job = at.session_state["ltrr_sim_job"]
    assert job.join(timeout=600) and job.error is None
    at.run()
    assert_clean(at)
    # The learner read the tuning stream's searches (its log holds them) and is named so.
    assert len(job.baseline.judged) == 30
    for policy in ("coverage", "route"):          # the routing table is chosen from the same searches
        events = read_events(job.state_dirs()[policy] / "log" / "events.jsonl")
        assert len([e for e in events if e["kind"] == "warm"]) == 30
    assert set(job.records()["policy"]) == {"coverage", job.baseline.spec, "route"}
    assert {job.labels.get(p, p) for p in job.records()["policy"]} == {
        "coverage, warm-started", job.baseline.label(), "route (per kind of ask)"}
    text = " ".join(m.value for m in at.markdown)
    assert "started from the tuning stream's 30 searches" in text
