"""Helpers for the selector's tests: a selector over the engine's eight arms, contexts like
real ones, and searches whose right answer is known."""
from __future__ import annotations

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.selector import ArmSelector

ARMS = ("lexical", "fuzzy", "structured", "semantic", "memory", "popular", "fresh", "related")
D = len(CONTEXT_FEATURES)


def selector(policy: str = "linucb", seed: int = 0, **kwargs) -> ArmSelector:
    """An ArmSelector for `policy` over ARMS."""
    return ArmSelector(PolicySpec.parse(policy), ARMS, seed=seed, **kwargs)


def random_context(rng: np.random.Generator) -> np.ndarray:
    """Sparse features in [0, 1] with the bias term on, like real context vectors."""
    x = (rng.random(D) < 0.3) * rng.random(D)
    x[0] = 1.0
    return x


def play(sel: ArmSelector, rounds: int, good_arm, seed: int = 1, contexts=None):
    """Simulate searches: the clicked item is retrieved only by good_arm(x). Returns per-round
    (selection, good arm) for the rounds played."""
    rng = np.random.default_rng(seed)
    history = []
    for t in range(rounds):
        x = contexts(rng) if contexts else random_context(rng)
        good = good_arm(x)
        s = sel.select(x)
        sel.update(x, {a: float(a == good) for a in s.selected_arms})
        history.append((s, good))
    return history


def is_top(s, arm: str) -> bool:
    """The arm was included and got the largest budget (no other arm got as much)."""
    budgets = s.arm_to_budget
    return arm in budgets and all(b < budgets[arm] for a, b in budgets.items() if a != arm)
