"""What a selection returns: one :class:`ArmChoice` per arm, gathered in a :class:`Selection`.

:class:`~ltrr.bandit.selector.ArmSelector` returns them for every policy; the engine logs
them (:meth:`Selection.to_dict`) and reads them back to learn and to evaluate off-policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class ArmChoice:
    """What the selector decided for one arm."""

    arm: str
    selected: bool
    budget: int          # candidates to ask the arm for; 0 when not selected
    propensity: float    # probability the arm was included, given the state and x
    # The policy's expected reward for the arm at x: LinUCB's upper confidence bound, the
    # mean of the draws for stochastic policies, the observed mean reward for all/static;
    # for coverage, the estimated chance (0..1) that the arm alone finds the wanted item
    # within its budget (NaN before anything was learned).
    expectation: float
    budget_propensity: float = 1.0   # probability of exactly this budget (coverage), else of inclusion
    ready: bool = True               # False while the arm's index is still building (engine)
    # True where the arm's exact probe said its list for the query is empty, so it was not offered
    # (engine; ltrr.engine.arms.ArmSet.empty): off-policy evaluation reads it as run with nothing.
    empty: bool = False


@dataclass(frozen=True)
class Selection:
    """The selector's decision for one search: one :class:`ArmChoice` per arm, in arm order."""

    policy: str
    choices: tuple[ArmChoice, ...]
    # What the logging policy decided before exploring (coverage: greedy budgets, available
    # arms, estimated coverage), logged so that learning can weight each click exactly.
    decision: dict | None = None

    @classmethod
    def from_arrays(cls, policy: str, arms: Sequence[str], chosen: np.ndarray, budgets: np.ndarray,
                    propensities: np.ndarray, expectations: np.ndarray) -> Selection:
        """The selection of ``policy`` over ``arms`` from per-arm arrays in arm order (no decision record)."""
        return cls(policy, tuple(
            ArmChoice(arm, bool(chosen[i]), int(budgets[i]), float(propensities[i]), float(expectations[i]))
            for i, arm in enumerate(arms)))

    def __getitem__(self, arm: str) -> ArmChoice:
        for choice in self.choices:
            if choice.arm == arm:
                return choice
        raise KeyError(f"unknown arm {arm!r}; arms: {', '.join(c.arm for c in self.choices)}")

    @property
    def selected_arms(self) -> tuple[str, ...]:
        """The included arms, in arm order."""
        return tuple(c.arm for c in self.choices if c.selected)

    @property
    def arm_to_budget(self) -> dict[str, int]:
        """Budget per included arm."""
        return {c.arm: c.budget for c in self.choices if c.selected}

    @property
    def arm_to_propensity(self) -> dict[str, float]:
        """Inclusion probability per arm (0 for unavailable arms)."""
        return {c.arm: c.propensity for c in self.choices}

    @property
    def arm_to_expectation(self) -> dict[str, float]:
        """Expected reward per arm."""
        return {c.arm: c.expectation for c in self.choices}

    def to_dict(self) -> dict:
        """JSON-ready form for the interaction log."""
        return {
            "policy": self.policy,
            "arms": {c.arm: {"selected": c.selected, "budget": c.budget, "propensity": c.propensity,
                             "expectation": c.expectation} for c in self.choices},
        }
