"""The learning study end to end on a tiny catalog: tuned baselines, every policy, comparisons, Ray = local."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from ltrr.simulate.study import StudySettings, run_study

ARMS = ("lexical", "fuzzy", "popular")


def settings(catalog) -> StudySettings:
    return StudySettings(catalog=str(catalog), seeds=(0, 1), steps=40, window=20, tune_steps=40, arms=ARMS,
                         caps=(3, 10), costs=(0.01,), all_budgets=(5,), drift_step=20, n_users=20)


@pytest.mark.slow
def test_study_writes_every_comparison(tiny_catalog_path, tmp_path):
    summary = run_study(settings(tiny_catalog_path), tmp_path / "study")
    labels = {row["label"] for row in summary["table"]}
    # Every single arm, all at the asked budget, the learners and at least one tuned configuration.
    assert {"lexical@20", "fuzzy@20", "popular@20", "all@5", "coverage (default)", "coverage cost=0.01",
            "coverage, context-free"} <= labels
    assert any(label.startswith("tuned<=") for label in labels)
    assert summary["all_label"] == "all@5"
    for key in ("learner_minus_all", "learner_minus_static_frontier", "context_minus_context_free"):
        assert len(summary[key]["per_seed"]) == 2
    assert len(summary["drift"]["per_seed"]) == 2
    out = tmp_path / "study"
    assert (out / "frontier.png").stat().st_size > 10_000
    assert "Paired comparisons" in (out / "report.md").read_text()
    assert json.loads((out / "summary.json").read_text())["seeds"] == [0, 1]


@pytest.mark.slow
def test_a_ray_study_gives_the_local_numbers(tiny_catalog_path, tmp_path):
    pytest.importorskip("ray")
    local = run_study(settings(tiny_catalog_path), tmp_path / "local")
    remote = run_study(settings(tiny_catalog_path), tmp_path / "ray", address="local")
    drop = ["latency_ms"]
    a = pd.read_csv(tmp_path / "local" / "study_records.csv.gz").drop(columns=drop)
    b = pd.read_csv(tmp_path / "ray" / "study_records.csv.gz").drop(columns=drop)
    pd.testing.assert_frame_equal(a, b)
    assert local["table"] == remote["table"]
