"""Picklable jobs for the sweep tests (importable by Ray workers as tests.scale.jobs)."""
from __future__ import annotations

import numpy as np


def bandit_job(job: tuple[float, int]) -> dict:
    """An epsilon-greedy bandit on three Bernoulli arms for 500 steps: (epsilon, seed) -> summary."""
    epsilon, seed = job
    rng = np.random.default_rng(seed)
    means = np.array([0.2, 0.5, 0.7])
    pulls, wins = np.zeros(3), np.zeros(3)
    total = 0.0
    for _ in range(500):
        arm = int(rng.integers(3)) if rng.random() < epsilon else int(np.argmax(wins / np.maximum(pulls, 1)))
        reward = float(rng.random() < means[arm])
        pulls[arm] += 1
        wins[arm] += reward
        total += reward
    return {"epsilon": epsilon, "seed": seed, "reward": total, "pulls": pulls.tolist()}


def failing_job(job: int) -> int:
    if job == 2:
        raise ValueError(f"job {job} is broken")
    return job
