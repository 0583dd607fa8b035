"""The study on a chosen world, and the baseline a team would ship: configurations tuned on the
tuning stream's searches before its drift only, compared with the learner after the drift."""
from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from ltrr.bandit.policy import TIGHT_POLICY
from ltrr.simulate.study import pre_drift_configs, pre_drift_rows, study_policies
from ltrr.simulate.study_compare import compare
from ltrr.simulate.study_report import write_study_report
from ltrr.simulate.study_settings import (TOLD_PRICED_LABEL, WARM_LABEL, WARM_PRICED_LABEL, StudySettings, Tuning,
                                         headline, warm_runs)
from ltrr.simulate.tuning import NOT_FOUND, RankTable


def drifting_table(after_rank_a: int = NOT_FOUND, after_rank_b: int = 1, n: int = 40,
                   drift_step: int = 21) -> RankTable:
    """Arm a finds everything before the drift (rows for steps < drift_step), arm b what comes after."""
    before = np.arange(n) < drift_step - 1
    ranks = np.column_stack([np.where(before, 1, after_rank_a), np.where(before, NOT_FOUND, after_rank_b)])
    return RankTable(arms=("a", "b"), query_types=np.array(["t"] * n, dtype=object),
                     ranks=ranks.astype(np.int64), counts=np.full((n, 2), 10, dtype=np.int64),
                     x=np.zeros((n, 1)))


def test_pre_drift_configurations_see_only_the_searches_before_the_drift():
    table = drifting_table()
    assert list(pre_drift_rows(table, 21)) == list(range(20))
    # Before the drift arm a covers everything: that is what a team tuning then would ship, though
    # after the drift only arm b serves (and tuning on the whole stream would take it).
    assert pre_drift_configs(table, 21, caps=(1, 2)) == {"pre-drift<=1": {"a": 1}, "pre-drift<=2": {"a": 1}}
    # Whatever happens after the drift does not change them.
    for a_after, b_after in ((1, 1), (NOT_FOUND, NOT_FOUND), (3, 1)):
        assert pre_drift_configs(drifting_table(a_after, b_after), 21, caps=(1, 2)) == \
            pre_drift_configs(table, 21, caps=(1, 2))
    # ... while what happens before it does: move the drift and arm b's early finds count.
    assert pre_drift_configs(table, 31, caps=(2,)) == {"pre-drift<=2": {"a": 1, "b": 1}}
    # No drift, one at the first step or after the stream: nothing tuned before it to add.
    assert pre_drift_configs(table, None, caps=(1,)) == {}
    assert pre_drift_configs(table, 1, caps=(1,)) == {}
    assert pre_drift_configs(table, 41, caps=(1,)) == {}


def test_settings_take_the_worlds_shares_unless_given():
    second = StudySettings(catalog="c.duckdb", world="second")
    assert (second.release_share, second.retry_share) == (0.15, 0.3)
    assert second.stream_options() == {"drift_step": 1000, "drift_release_share": 0.15, "world": "second"}
    assert second.simulated_world().click_model_name == "cascade"
    default = StudySettings(catalog="c.duckdb")
    assert (default.release_share, default.retry_share, default.world) == (0.4, 0.5, "default")
    given = StudySettings(catalog="c.duckdb", world="second", release_share=0.4, retry_share=0.0)
    assert (given.release_share, given.retry_share) == (0.4, 0.0)
    # A seed's job rebuilds the settings from asdict: the same settings.
    assert StudySettings(**asdict(second)) == second
    assert StudySettings(catalog="c.duckdb", drift_step=None, world="second").stream_options() == {"world": "second"}
    with pytest.raises(ValueError, match="unknown world"):
        StudySettings(catalog="c.duckdb", world="fifth")


def hand_made_tuning(pre_drift: dict[str, str]) -> Tuning:
    return Tuning(fixed={"tuned<=10": "static:b=10"},
                  fixed_offline=pd.DataFrame({"cap": ["10"], "spec": ["static:b=10"]}),
                  oracle_types=pd.DataFrame({"share": [1.0], "coverage": [0.9], "cost": [30.0]}),
                  oracle_frontier=pd.DataFrame({"lam": [0.1, 0.01], "coverage": [0.5, 0.9], "cost": [10.0, 30.0]}),
                  pre_drift=pre_drift,
                  pre_drift_offline=pd.DataFrame({"cap": ["5", "10"], "spec": ["static:a=5", "static:b=10"],
                                                  "coverage after": [0.1, float("nan")]}))


# label -> (spec, candidates, success before the drift, success after it)
PLAN = {"coverage (default)": ("coverage", 9, 0.5, 0.9), "coverage, context-free": ("coverage:context=0", 9, 0.5, 0.8),
        "all@20": ("all:budget=20", 60, 0.9, 0.9), "tuned<=10": ("static:b=10", 10, 0.9, 0.6),
        "pre-drift<=5": ("static:a=5", 5, 1.0, 1.0)}


def drifting_records(steps: int = 8) -> pd.DataFrame:
    rows = []
    for seed in (0, 1):
        for label, (spec, candidates, before, after) in PLAN.items():
            for step in range(1, steps + 1):
                rows.append({"seed": seed, "label": label, "policy": spec, "step": step, "query_type": "new_releases" if step >= 5 else "t",
                             "success": before if step < 5 else after, "covered": after, "n_candidates": candidates,
                             "n_retrieved": candidates, "n_arms": 1, "arm_ms": 1.0})
    return pd.DataFrame(rows)


def test_the_learner_meets_the_pre_drift_configuration_nearest_its_cost_after_the_drift(tmp_path):
    settings = StudySettings(catalog="c.duckdb", seeds=(0, 1), steps=8, window=6, drift_step=5, all_budgets=(20,))
    # pre-drift<=10 came out as the configuration tuned on the whole stream at 10: it ran as tuned<=10.
    tuning = hand_made_tuning({"pre-drift<=5": "static:a=5", "pre-drift<=10": "static:b=10"})
    records = drifting_records()
    summary = compare(records, tuning, settings)
    pre = summary["pre_drift"]
    # Learner at 9 candidates: nearest is pre-drift<=10 (10), read under tuned<=10; the window is
    # steps 5-8 (the last 6 from the drift on), where the learner has 90% and that 60%.
    assert (pre["reference"], pre["runs_as"], pre["spec"]) == ("pre-drift<=10", "tuned<=10", "static:b=10")
    assert (pre["first_step"], pre["last_step"]) == (5, 8)
    assert summary["learner_minus_pre_drift"]["per_seed"] == [0.3, 0.3]
    assert summary["learner_minus_pre_drift"]["mean"] == pytest.approx(30.0)
    assert pre["configurations"]["pre-drift<=5"] == {"runs_as": "pre-drift<=5", "spec": "static:a=5",
                                                    "success": 1.0, "candidates": 5.0}
    # pre-drift<=5 (100% at 5 candidates) would lift the static frontier above the learner (-23.3
    # points); it is a baseline of its own, left out. Over the last 6 steps (3-8) the frontier is
    # tuned<=10 (70% at 10 candidates, flat below) and all@20: the learner's 76.7% is +6.7 above.
    assert summary["learner_minus_static_frontier"]["per_seed"] == [0.0667, 0.0667]
    # Success on the drift's new kind of query is reported for them too.
    assert summary["new_demand"]["labels"]["pre-drift<=5"] == {"first": 1.0, "last": 1.0}

    policies = {label: spec for label, (spec, *_) in PLAN.items()}
    report = write_study_report(summary, records, tuning, settings, policies, tmp_path).read_text()
    assert ("default learner minus the configuration tuned before the drift nearest its cost, pre-drift<=10 "
            "(`static:b=10`, run as tuned<=10, the same configuration; 10.0 candidates against the learner's "
            "9.0), on the post-drift window (steps 5-8): +30.00 points") in report
    assert "Tuned before the drift" in report and "simulated world `default`" in report
    assert "nan" not in report.lower()
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["learner_minus_pre_drift"]["per_seed"] == [0.3, 0.3] and saved["pre_drift"]["runs_as"] == "tuned<=10"


def test_no_drift_no_pre_drift_comparison():
    settings = StudySettings(catalog="c.duckdb", seeds=(0, 1), steps=8, window=6, drift_step=None, all_budgets=(20,))
    summary = compare(drifting_records(), hand_made_tuning({}), settings)
    assert summary["pre_drift"] is None and "learner_minus_pre_drift" not in summary


def test_pre_drift_configurations_run_once_beside_the_others():
    settings = StudySettings(catalog="c.duckdb", all_budgets=(20,), costs=(), variants=())
    tuning = hand_made_tuning({"pre-drift<=5": "static:a=5", "pre-drift<=10": "static:b=10",
                               "pre-drift<=20": "static:a=20"})
    policies = study_policies(settings, tuning, ["a", "b"])
    assert policies["pre-drift<=5"] == "static:a=5"
    # The same spec as a configuration already run (tuned<=10, the single arm a@20) runs once, by that name.
    assert "pre-drift<=10" not in policies and "pre-drift<=20" not in policies
    assert policies["a@20"] == "static:a=20" and policies["tuned<=10"] == "static:b=10"
    assert len(set(policies.values())) == len(policies)


def test_the_headline_study_runs_the_learners_all_and_the_tuned_configurations_only():
    tuning = hand_made_tuning({"pre-drift<=5": "static:a=5", "pre-drift<=20": "static:a=20"})
    full = study_policies(StudySettings(catalog="c.duckdb"), tuning, ["a", "b", "c"])
    lean = study_policies(headline(StudySettings(catalog="c.duckdb")), tuning, ["a", "b", "c"])
    assert set(lean) == {"coverage (default)", "coverage qprior=0,probe=0,tries=0", "coverage slump=0",
                         "coverage judged=1", "coverage cost=0.032", "coverage cost=0.008",
                         "coverage, context-free", "all@20", "route (a configuration per kind of ask)",
                         "tuned<=10", "pre-drift<=5", "a@20"}       # a@20 is also pre-drift<=20: it stays
    assert {"b@20", "c@20", "all@5", "coverage cost=0.002", "coverage ms=0.004"} <= set(full) - set(lean)
    # Beside the main run, the README's learner warmed, and told every answer (a bound), as every study runs them.
    assert set(warm_runs(headline(StudySettings(catalog="c.duckdb")))) == {
        WARM_LABEL, WARM_PRICED_LABEL, TOLD_PRICED_LABEL}
    assert all(full[label] == spec for label, spec in lean.items())
    # The tight budget the study runs is the one the app offers.
    assert lean["coverage cost=0.032"] == TIGHT_POLICY
    # The floor tried as the default runs in the full study only, beside the one-price learners.
    assert full["coverage cost=0.032,floor=0.9"] == "coverage:cost=0.032,floor=0.9"


def test_a_learner_at_another_cost_meets_the_frontier_and_the_cheapest_fixed_configuration_at_its_own_level(tmp_path):
    settings = StudySettings(catalog="c.duckdb", seeds=(0, 1), steps=8, window=6, drift_step=5,
                             all_budgets=(20,), costs=(0.03,))
    plan = {**PLAN, "coverage cost=0.03": ("coverage:cost=0.03", 4, 0.8, 0.8), "tuned<=5": ("static:a=5", 5, 0.7, 0.7)}
    rows = [{"seed": seed, "label": label, "policy": spec, "step": step, "query_type": "t",
             "success": before if step < 5 else after, "covered": after, "n_candidates": candidates,
             "n_retrieved": candidates, "n_arms": 1, "arm_ms": 1.0}
            for seed in (0, 1) for label, (spec, candidates, before, after) in plan.items() for step in range(1, 9)]
    records = pd.DataFrame(rows)
    tuning = hand_made_tuning({})
    summary = compare(records, tuning, settings)
    # Over the last 6 steps: tuned<=5 70% at 5, tuned<=10 70% at 10 (flat), all@20 90% at 60; the
    # frontier is 70% below 5 candidates, so 80% at 4 is +10 points. tuned<=10 and tuned<=5 do not
    # reach 80%, all@20 does: 4 / 60 of its candidates.
    (entry,) = summary["costs"]
    assert entry["label"] == "coverage cost=0.03" and entry["success"] == pytest.approx(0.8)
    assert summary["cost_0.03_minus_static_frontier"]["mean"] == pytest.approx(10.0)
    assert entry["reaching"]["label"] == "all@20"
    assert summary["cost_0.03_candidates_ratio_vs_cheapest_reaching"]["mean"] == pytest.approx(4 / 60)
    policies = {label: spec for label, (spec, *_) in plan.items()}
    report = write_study_report(summary, records, tuning, settings, policies, tmp_path).read_text()
    assert ("the learner on another budget, a candidate at 0.03 (`coverage:cost=0.03`; 80.0% at 4.0 candidates) "
            "minus the static frontier at its own candidates: +10.00 points") in report
    assert "cheapest fixed configuration reaching its success: all@20 (60.0 candidates)" in report
