"""run_jobs without Ray: local order, fallback when Ray is missing; the product imports without Ray."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ltrr.scale import ScaleError, ray_module
from ltrr.scale.sweep import run_jobs
from tests.conftest import ROOT
from tests.scale.jobs import bandit_job, failing_job

JOBS = [(eps, seed) for eps in (0.05, 0.3) for seed in range(3)]


def test_local_run_is_the_plain_loop_in_job_order():
    assert run_jobs(bandit_job, JOBS) == [bandit_job(j) for j in JOBS]
    assert [r["seed"] for r in run_jobs(bandit_job, JOBS)] == [0, 1, 2, 0, 1, 2]
    assert run_jobs(bandit_job, []) == []


def test_jobs_with_different_seeds_differ():
    """Guards the equality tests: identical results must not come from jobs ignoring their input."""
    rewards = {r["reward"] for r in run_jobs(bandit_job, JOBS)}
    assert len(rewards) > 3


def test_a_failing_job_raises_its_own_error_locally():
    with pytest.raises(ValueError, match="job 2 is broken"):
        run_jobs(failing_job, [1, 2, 3])


def test_without_ray_an_address_runs_locally_with_a_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert run_jobs(bandit_job, JOBS[:2], address="auto") == [bandit_job(j) for j in JOBS[:2]]
    assert "ray is not installed: pip install -r requirements-scale.txt" in caplog.text
    with pytest.raises(ScaleError, match="requirements-scale.txt"):
        ray_module()


def test_the_product_works_without_ray():
    script = textwrap.dedent("""
        import sys
        sys.modules["ray"] = None           # as if ray were not installed
        import ltrr.engine, ltrr.strategies.semantic, ltrr.fanout, ltrr.scale.shards, ltrr.scale.sweep
        from ltrr.scale.sweep import run_jobs
        print(run_jobs(len, ["ab", "c"]))
        print(sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[2, 1]", "['ray']"]
