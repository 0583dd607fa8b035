"""Click models: how a simulated user reacts to a ranked list.

Two classic models from the click-model literature, both with position bias
and satisfaction:

* :class:`PositionBasedClicks` (PBM): the result at rank ``r`` is examined
  with probability ``1 / r ** eta``, independently of the others; an
  examined result is clicked with probability ``p_relevant`` when it
  satisfies the user and ``p_irrelevant`` (a stray click) when it does not.
  The user stops after ``max_clicks`` clicks.
* :class:`CascadeClicks` (dependent click model): the user reads from the
  top; each result is clicked like above; after a satisfying click the user
  stops, otherwise they read on with probability ``p_continue``.

"Satisfies" means the result's entity id is in the interaction's
``relevant`` set (its target and identical copies, or every entity matching
a broad intent given the user's context: see :mod:`ltrr.simulate.users`).

Models are immutable and take the ``np.random.Generator`` per call, so a
runner can give every policy the same random numbers for the same step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Sequence

import numpy as np


@dataclass(frozen=True)
class ClickOutcome:
    """What the user did with one result list."""

    clicks: tuple[tuple[int, str], ...]   # (rank from 1, entity id), in click order
    satisfied: bool                       # clicked at least one satisfying result
    examined: int                         # how many results the user looked at

    @property
    def first_click(self) -> tuple[int, str] | None:
        return self.clicks[0] if self.clicks else None


def _check_probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PositionBasedClicks:
    """Position-based model: P(examine rank r) = 1 / r ** eta (see the module docstring)."""

    eta: float = 1.0
    p_relevant: float = 0.95
    p_irrelevant: float = 0.02
    max_clicks: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.eta, bool) or not isinstance(self.eta, (int, float)) or self.eta < 0:
            raise ValueError(f"eta must be a number >= 0, got {self.eta!r}")
        _check_probability("p_relevant", self.p_relevant)
        _check_probability("p_irrelevant", self.p_irrelevant)
        if isinstance(self.max_clicks, bool) or not isinstance(self.max_clicks, int) or self.max_clicks < 1:
            raise ValueError(f"max_clicks must be an integer >= 1, got {self.max_clicks!r}")

    def examination(self, n: int) -> np.ndarray:
        """P(examine) for ranks 1..n."""
        return 1.0 / np.arange(1, n + 1, dtype=float) ** self.eta

    def clicks(self, results: Sequence[str], relevant: AbstractSet[str],
               rng: np.random.Generator) -> ClickOutcome:
        """Simulate one user on `results` (entity ids, best first)."""
        n = len(results)
        # Draw a fixed number of uniforms whatever the list length, so two policies showing
        # lists of different lengths still consume the same random stream.
        u_exam, u_click = rng.random(max(n, 1)), rng.random(max(n, 1))
        clicks: list[tuple[int, str]] = []
        satisfied = False
        examined = 0
        exam = self.examination(n)
        for i, entity in enumerate(results):
            if u_exam[i] >= exam[i]:
                continue
            examined = i + 1
            good = entity in relevant
            if u_click[i] < (self.p_relevant if good else self.p_irrelevant):
                clicks.append((i + 1, entity))
                satisfied = satisfied or good
                if len(clicks) >= self.max_clicks:
                    break
        return ClickOutcome(tuple(clicks), satisfied, examined)


@dataclass(frozen=True)
class CascadeClicks:
    """Cascade (dependent click) model: read top-down, stop after a satisfying click."""

    p_relevant: float = 0.95
    p_irrelevant: float = 0.02
    p_continue: float = 0.85

    def __post_init__(self) -> None:
        _check_probability("p_relevant", self.p_relevant)
        _check_probability("p_irrelevant", self.p_irrelevant)
        _check_probability("p_continue", self.p_continue)

    def clicks(self, results: Sequence[str], relevant: AbstractSet[str],
               rng: np.random.Generator) -> ClickOutcome:
        """Simulate one user on `results` (entity ids, best first)."""
        n = len(results)
        u_click, u_next = rng.random(max(n, 1)), rng.random(max(n, 1))
        clicks: list[tuple[int, str]] = []
        examined = 0
        for i, entity in enumerate(results):
            examined = i + 1
            good = entity in relevant
            if u_click[i] < (self.p_relevant if good else self.p_irrelevant):
                clicks.append((i + 1, entity))
                if good:
                    return ClickOutcome(tuple(clicks), True, examined)
            if u_next[i] >= self.p_continue:
                break
        return ClickOutcome(tuple(clicks), False, examined)


CLICK_MODELS = {"pbm": PositionBasedClicks, "cascade": CascadeClicks}


def make_click_model(name: str, **params: float) -> PositionBasedClicks | CascadeClicks:
    """A click model by name ("pbm" or "cascade") with optional parameters."""
    try:
        cls = CLICK_MODELS[name]
    except KeyError:
        raise ValueError(f"unknown click model {name!r}; choose one of {', '.join(CLICK_MODELS)}") from None
    return cls(**params)
