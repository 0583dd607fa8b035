"""benchmarks/study_extend.py: policies added to a finished study run as the study itself runs them."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ltrr.simulate.study import run_study
from ltrr.simulate.study_settings import ROUTE_LABEL, TOLD_PRICED_LABEL, WARM_PRICED_LABEL, WARM_PRICED_POLICY, StudySettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import study_extend  # noqa: E402

TIMED = ["arm_ms", "latency_ms"]        # measured times: no two runs share them


@pytest.mark.slow
def test_added_policies_give_the_records_of_a_study_that_ran_them(tiny_catalog_path, tmp_path):
    base = StudySettings(catalog=str(tiny_catalog_path), seeds=(0, 1), steps=40, window=20, tune_steps=40,
                         arms=("lexical", "fuzzy", "popular"), caps=(3, 10), costs=(), variants=(), ms_shares=(),
                         all_budgets=(5,), drift_step=20, n_users=20, trained_ranker=False, pre_drift_caps=(),
                         route=False, warm_priced=False, told_priced=False)
    run_study(base, tmp_path / "base")
    summary = study_extend.extend(tmp_path / "base", base, ["route", "warm-priced", "priced", "told-priced"], tmp_path / "extended")
    run_study(replace(base, route=True, warm_priced=True, told_priced=True, costs=(0.008,)), tmp_path / "whole")
    read = lambda name: pd.read_csv(tmp_path / name / "study_records.csv.gz").drop(columns=TIMED)  # noqa: E731
    extended, whole = read("extended"), read("whole")
    for label in (ROUTE_LABEL, WARM_PRICED_LABEL, "coverage cost=0.008", TOLD_PRICED_LABEL):
        mine = extended[extended["label"] == label].reset_index(drop=True)
        theirs = whole[whole["label"] == label].reset_index(drop=True)
        assert len(mine) == 2 * 40
        pd.testing.assert_frame_equal(mine, theirs)
    assert len(summary["warm_priced_minus_route"]["per_seed"]) == 2
    # The learner at that price started cold meets the frontier as the study's costs do, and the warmed one.
    assert len(summary["cost_0.008_minus_static_frontier"]["per_seed"]) == 2
    assert len(summary["warm_priced_minus_cold_priced"]["per_seed"]) == 2
    assert len(summary["told_priced_minus_static_frontier"]["per_seed"]) == 2
    # The extended study keeps its tuning stream, so that it can be extended again; a policy it ran is refused.
    with pytest.raises(SystemExit, match="already ran"):
        study_extend.extend(tmp_path / "extended", base, ["route"], tmp_path / "again")
    # Written again with nothing added, it still compares what earlier extensions added and names every policy.
    again = study_extend.extend(tmp_path / "extended", base, [], tmp_path / "again")
    assert again["cost_0.008_minus_static_frontier"] == summary["cost_0.008_minus_static_frontier"]
    report = (tmp_path / "again" / "report.md").read_text()
    assert "| route (a configuration per kind of ask) | `route` |" in report and "`nan`" not in report
    # Any spec added warmed runs as the study runs its warmed learner: the same spec spelt out in
    # full gives warm-priced's records under a label of its own.
    spelt = f"{WARM_PRICED_POLICY},wide=0.3"
    variant = study_extend.extend(tmp_path / "extended", base, [study_extend.warm_addable(spelt)], tmp_path / "variant")
    records = read("variant")
    runs = records.drop(columns=["label", "policy"])
    label = study_extend.warm_addable(spelt).label
    assert (records["label"] == label).sum() == 2 * 40
    pd.testing.assert_frame_equal(runs[records["label"] == label].reset_index(drop=True),
                                  runs[records["label"] == WARM_PRICED_LABEL].reset_index(drop=True))
    assert variant["warm_priced_minus_route"] == summary["warm_priced_minus_route"]


def test_a_warmed_spec_is_added_as_the_study_adds_its_warmed_learner():
    assert study_extend.warm_addable(WARM_PRICED_POLICY) == study_extend.ADDABLE["warm-priced"]
    with pytest.raises(ValueError):
        study_extend.warm_addable("coverage:nosuch=1")
