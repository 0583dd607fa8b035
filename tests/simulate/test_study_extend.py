"""benchmarks/study_extend.py: policies added to a finished study run as the study itself runs them."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ltrr.simulate.study import run_study
from ltrr.simulate.study_settings import ROUTE_LABEL, TOLD_PRICED_LABEL, WARM_PRICED_LABEL, StudySettings

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
