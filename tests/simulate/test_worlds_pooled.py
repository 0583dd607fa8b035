"""benchmarks/worlds_pooled.py: several worlds' studies read side by side and pooled over their seeds."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import worlds_pooled  # noqa: E402

from ltrr.simulate.frontier import t_interval  # noqa: E402


def _study(folder: Path, **per_seed: list[float]) -> Path:
    folder.mkdir(parents=True)
    summary = {name: {"mean": float(np.mean(v)) * 100, "per_seed": v, "unit": "points"} for name, v in per_seed.items()}
    summary["candidates_ratio_vs_all"] = {"per_seed": [0.1, 0.2], "unit": "ratio"}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_pooled_readings_take_every_seed_of_every_world_that_has_them(tmp_path, capsys):
    a = _study(tmp_path / "one", warm_priced_minus_route=[0.01, -0.02, 0.03], learner_minus_static_frontier=[0.0, 0.01])
    b = _study(tmp_path / "two", warm_priced_minus_route=[0.02, 0.04])
    assert worlds_pooled.main([str(a), str(b), "--only", "warm_priced_minus_route",
                               "learner_minus_static_frontier", "candidates_ratio_vs_all"]) == 0
    out = capsys.readouterr().out
    mean, low, high = t_interval(np.array([1.0, -2.0, 3.0, 2.0, 4.0]))
    assert f"pooled: {mean:+.2f} ({low:+.2f} to {high:+.2f}) over 5 seeds of 2 studies" in out
    # A comparison one study lacks is pooled over the others and says so; one not in points is not read.
    assert "over 2 seeds of 1 studies (not in two)" in out
    assert "candidates_ratio_vs_all" not in out


def test_a_folder_without_a_summary_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        worlds_pooled.main([str(tmp_path)])
