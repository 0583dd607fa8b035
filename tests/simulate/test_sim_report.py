"""Report tables on hand-made records (exact numbers) and the written report on a real run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ltrr.simulate import arm_share_table, per_type_table, summary_table, target_checks, write_report
from ltrr.simulate.report import last_window, window_means


def _records(policy: str, success: list[int], regret: list[float], candidates: list[int], arms: list[str],
             types: list[str] | None = None) -> pd.DataFrame:
    n = len(success)
    return pd.DataFrame({
        "policy": policy, "step": np.arange(1, n + 1), "query_type": types or ["exact_title"] * n,
        "success": success, "reciprocal_rank": [s * 0.5 for s in success], "reward": success,
        "clicked": success, "regret": regret, "n_retrieved": candidates,
        # Two arms that each return an entity put it in the pool once: here every second candidate.
        "n_pool": [c // 2 for c in candidates], "n_arms": [len(a.split(",")) for a in arms],
        "arms": arms, "latency_ms": 10.0,
    })


def test_summary_windows_and_slopes():
    records = _records("linucb", [0, 0, 1, 1, 1, 1], [1, 1, 0.5, 0, 0, 0], [10, 10, 20, 20, 20, 20],
                       ["a,b", "a,b", "a", "a", "a", "a"])
    row = summary_table(records, window=2).iloc[0]
    assert row["success"] == pytest.approx(4 / 6)
    assert row["success_last"] == 1.0
    assert row["mrr_last"] == 0.5
    assert row["cum_regret"] == 2.5
    assert row["regret_slope_first"] == 1.0 and row["regret_slope_last"] == 0.0
    assert row["slope_ratio"] == 0.0
    assert row["candidates_last"] == 20 and row["arms_last"] == 1.0
    assert row["pool_last"] == 10 and row["candidates"] == pytest.approx(100 / 6)


def test_a_window_is_each_runs_last_steps():
    """success@10 over a window: per policy (and per seed) the steps within the window of its last."""
    a = _records("a", [0, 0, 1, 1], [0] * 4, [4] * 4, ["x"] * 4)
    b = _records("b", [1, 1, 1, 0], [0] * 4, [4] * 4, ["x"] * 4)
    seeds = pd.concat([a.assign(seed=0), a.assign(seed=1, success=[1, 1, 0, 0])])
    means = window_means(pd.concat([a, b]), 2).set_index("policy")["success"].to_dict()
    assert means == {"a": 1.0, "b": 0.5}
    assert window_means(seeds, 2, by=("seed", "policy")).set_index("seed")["success"].to_dict() == {0: 1.0, 1: 0.0}
    # Seeds pooled: each seed's last two steps, not the last two rows after sorting by step.
    assert window_means(seeds, 2).loc[0, "success"] == 0.5
    assert last_window(seeds, 1)["step"].tolist() == [4, 4]
    cost = window_means(a, 3, candidates="n_retrieved", pool="n_pool").iloc[0]
    assert (cost["candidates"], cost["pool"]) == (4, 2)


def test_per_type_and_arm_share():
    records = _records("p", [1, 0, 1, 1], [0, 0, 0, 0], [5, 5, 5, 5], ["a,b", "a", "b", "a,b"],
                       types=["x", "x", "y", "y"])
    per_type = per_type_table(records).set_index("query_type")
    assert per_type.loc["x", "success"] == 0.5 and per_type.loc["y", "searches"] == 2
    shares = arm_share_table(records).set_index(["query_type", "arm"])["share"]
    assert shares.to_dict() == {("x", "a"): 1.0, ("x", "b"): 0.5, ("y", "a"): 0.5, ("y", "b"): 1.0}


def test_target_checks_pass_and_fail():
    summary = pd.DataFrame([
        {"policy": "linucb", "success_last": 0.80, "candidates_last": 20.0, "arms_last": 2.0,
         "slope_ratio": 0.2, "regret_slope_first": 0.1, "regret_slope_last": 0.02},
        {"policy": "static:lexical", "success_last": 0.65, "candidates_last": 40.0, "arms_last": 1.0,
         "slope_ratio": np.nan, "regret_slope_first": 0.0, "regret_slope_last": 0.0},
        {"policy": "all", "success_last": 0.84, "candidates_last": 45.0, "arms_last": 8.0,
         "slope_ratio": np.nan, "regret_slope_first": 0.0, "regret_slope_last": 0.0},
    ])
    checks = target_checks(summary)
    assert [c["target"].split()[0] for c in checks] == ["linucb"] * 4
    # +15 pts over the best single arm; -4 pts from all; 20/45 = 0.44 of the candidates; slope ratio 0.2.
    assert [c["passed"] for c in checks] == [True, False, True, True]
    assert "(+15.0 pts)" in checks[0]["value"] and "(-4.0 pts)" in checks[1]["value"]


def test_written_report(tiny_simulation, tmp_path):
    result = tiny_simulation[0]
    path = write_report(result, tmp_path, window=20)
    for name in ("steps.csv", "summary.csv", "per_type.csv", "arm_share.csv", "curves.png", "per_type.png",
                 "arm_share.png", "report.md"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = path.read_text()
    assert "## Targets (last 20 steps)" in text and "![curves](curves.png)" in text
    for policy in result.policies:
        assert f"| {policy} |" in text
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary["policy"]) == result.policies
    steps = pd.read_csv(tmp_path / "steps.csv")
    assert len(steps) == len(result.records)
