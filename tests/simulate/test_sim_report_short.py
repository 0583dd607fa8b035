"""Runs too short for their windows or their drift, and one-seed studies: the reports say so in
words instead of comparing a window with itself or printing nan / None."""
from __future__ import annotations

import math

import pandas as pd

from ltrr.cli import main
from ltrr.simulate import summary_table, target_checks
from ltrr.simulate.report import check_mark, drift_text, effective_window, format_interval, window_note


def test_the_window_is_at_most_half_the_run():
    assert effective_window(2000, 500) == 500
    assert effective_window(300, 500) == 150          # steps 1-150 against 151-300, never 1-300 twice
    assert effective_window(1, 500) == 1
    assert window_note(2000, 500) == ""
    assert "300 steps" in window_note(300, 500) and "windows of 150 steps" in window_note(300, 500)


def _records(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "policy": "linucb", "step": range(1, n + 1), "query_type": "exact_title", "success": 1, "reciprocal_rank": 1.0,
        "reward": 1, "clicked": 1, "regret": [1.0] * (n // 2) + [0.0] * (n - n // 2), "n_retrieved": 10, "n_pool": 8,
        "n_arms": 2, "arms": "a,b", "latency_ms": 1.0})


def test_overlapping_windows_are_not_measured():
    summary = summary_table(_records(10), window=8)       # windows 1-8 and 3-10 share six steps
    slope = target_checks(summary)[-1]
    assert slope["passed"] is None and check_mark(slope) == "n/a"
    assert slope["value"] == "not measurable: 10 steps hold no two separate windows of 8"
    separate = target_checks(summary_table(_records(10), window=effective_window(10, 8)))[-1]
    assert separate["passed"] is True and "ratio 0.00" in separate["value"]


def test_no_regret_to_shrink_is_not_a_nan_ratio():
    records = _records(10).assign(regret=0.0)
    slope = target_checks(summary_table(records, window=5))[-1]
    assert slope["passed"] is None and "no regret to shrink" in slope["value"] and "nan" not in slope["value"]


def test_one_seed_and_a_late_drift_in_words():
    assert format_interval(1.5, 0.5, 2.5) == "+1.50 points (95% CI +0.50 to +2.50)"
    assert format_interval(0.8, 0.7, 0.9, unit="ratio") == "0.80x (95% CI 0.70 to 0.90)"
    assert format_interval(1.5, math.nan, math.nan) == "+1.50 points (one seed: no interval)"
    assert format_interval(math.nan, math.nan, math.nan) == "n/a (no value)"
    assert drift_text(1000, 2000) == "drift at step 1,000"
    assert drift_text(1000, 300) == "no drift in this run (its step, 1,000, comes after the run's last, 300)"
    assert drift_text(None, 300) == "no drift"


def test_the_study_report_uses_them():
    from ltrr.simulate.study_report import _drift_header, _fmt
    from ltrr.simulate.study_settings import StudySettings

    one_seed = {"mean": 2.0, "low": math.nan, "high": math.nan, "unit": "points", "per_seed": [2.0]}
    assert _fmt(one_seed) == "+2.00 points (one seed: no interval)"
    short = StudySettings(catalog="c.duckdb", seeds=(0,), steps=300, window=150, drift_step=1000)
    assert _drift_header(short).startswith("no drift in this run") and "None" not in _drift_header(short)
    assert _drift_header(StudySettings(catalog="c.duckdb", steps=2000, drift_step=1000)).startswith(
        "drift at step 1,000 (share of its searches")


def test_a_short_simulation_scales_its_windows(tiny_catalog_path, tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["simulate", "--catalog", str(tiny_catalog_path), "--steps", "12", "--policy", "linucb",
                 "--compare", "static:lexical,all", "--arms", "lexical,fuzzy,popular", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: the run (12 steps) is shorter than two windows of 500 steps: using windows of 6 steps" in printed
    assert "12 steps x 3 policies; last 6 steps:" in printed
    assert "[--] not met, [n/a] this run cannot measure it" in printed
    assert "nan" not in printed.lower()
    report = (out / "report.md").read_text()
    assert "## Targets (last 6 steps)" in report and "windows of 6 steps" in report
