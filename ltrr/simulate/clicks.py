"""Click models: how a simulated user reacts to a ranked list.

Two classic models from the click-model literature (Chuklin, Markov and de
Rijke, *Click Models for Web Search*, 2015), with the same three kinds of
click:

* **Judged clicks.** An examined result is clicked with probability
  ``p_relevant`` when it satisfies the user and ``p_irrelevant`` when it
  does not. Both are noise around the ideal 1 / 0: a user may overlook a
  good result (``p_relevant < 1``) or be lured by a bad one
  (``p_irrelevant > 0``).
* **Stray clicks.** With probability ``p_stray`` per search, one accidental
  click (a mis-tap) lands on a result drawn uniformly from the list,
  examined or not, after the judged clicks. It never counts as satisfaction.
* **Several clicks.** Up to ``max_clicks`` judged clicks per search (PBM's
  default 1; the cascade's default leaves stopping to reading).

The models:

* :class:`PositionBasedClicks` (PBM): the result at rank ``r`` is examined
  with probability ``1 / r ** eta``, independently of the others; ``eta`` is
  the strength of position bias (0: every result is read).
* :class:`CascadeClicks` (cascade / dependent click model, Guo et al. 2009):
  the user reads from the top; after a satisfying click they go on reading
  with probability ``p_continue_satisfied`` (0: the plain cascade model,
  one satisfying click ends the search), after any other result with
  probability ``p_continue``.

"Satisfies" means the result's entity id is in the interaction's
``relevant`` set (its target and identical copies, or every entity matching
a broad intent given the user's context: see :mod:`ltrr.simulate.queries`).

Models are immutable and take the ``np.random.Generator`` per call. Each
call draws the same block of uniforms whatever the list (one row per rank up
to :data:`MAX_DEPTH`), so a runner that gives every policy a generator
seeded by the step hands them the same user: rank ``r`` meets the same
random numbers in every policy's list (common random numbers), and
differences come from the lists shown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import AbstractSet, Sequence, Union

import numpy as np

# Uniforms drawn per call cover this many ranks; longer lists draw more.
MAX_DEPTH = 100


@dataclass(frozen=True)
class ClickOutcome:
    """What the user did with one result list.

    ``clicks`` holds every click, judged then stray, as (rank from 1, entity id);
    ``satisfied`` is True when a judged click hit a satisfying result;
    ``examined`` is the deepest rank the user read; ``n_stray`` counts stray clicks
    (the last ``n_stray`` entries of ``clicks``).
    """

    clicks: tuple[tuple[int, str], ...]
    satisfied: bool
    examined: int
    n_stray: int = 0

    @property
    def first_click(self) -> tuple[int, str] | None:
        """The first click (rank, entity id), or None."""
        return self.clicks[0] if self.clicks else None


def check_probability(name: str, value: object) -> float:
    """``value`` as a float when it is a number in [0, 1]; else a ValueError naming ``name``
    (the simulator's one check for its probabilities and shares)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or \
            not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _check_max_clicks(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_clicks must be an integer >= 1, got {value!r}")


def _uniforms(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Per-rank uniforms (examine/continue, click) and the two stray uniforms (whether, where).

    Always the same amount for lists up to MAX_DEPTH, so rank r gets the same numbers in any list.
    """
    depth = max(n, MAX_DEPTH)
    block = rng.random((2, depth))
    u_stray, u_where = rng.random(2)
    return block[0], block[1], float(u_stray), float(u_where)


def _with_stray(results: Sequence[str], clicks: list[tuple[int, str]], p_stray: float,
                u_stray: float, u_where: float) -> int:
    """Append a stray click when the search gets one; returns how many (0 or 1)."""
    if not results or u_stray >= p_stray:
        return 0
    i = min(int(u_where * len(results)), len(results) - 1)
    clicks.append((i + 1, results[i]))
    return 1


@dataclass(frozen=True)
class PositionBasedClicks:
    """Position-based model: P(examine rank r) = 1 / r ** eta (see the module docstring)."""

    eta: float = 1.0
    p_relevant: float = 0.95
    p_irrelevant: float = 0.02
    max_clicks: int = 1
    p_stray: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.eta, bool) or not isinstance(self.eta, (int, float)) or not math.isfinite(self.eta) \
                or self.eta < 0:
            raise ValueError(f"eta must be a finite number >= 0, got {self.eta!r}")
        check_probability("p_relevant", self.p_relevant)
        check_probability("p_irrelevant", self.p_irrelevant)
        _check_max_clicks(self.max_clicks)
        check_probability("p_stray", self.p_stray)

    def examination(self, n: int) -> np.ndarray:
        """P(examine) for ranks 1..n."""
        return 1.0 / np.arange(1, n + 1, dtype=float) ** self.eta

    def clicks(self, results: Sequence[str], relevant: AbstractSet[str],
               rng: np.random.Generator) -> ClickOutcome:
        """Simulate one user on `results` (entity ids, best first)."""
        n = len(results)
        u_exam, u_click, u_stray, u_where = _uniforms(rng, n)
        exam = self.examination(n)
        clicks: list[tuple[int, str]] = []
        satisfied = False
        examined = 0
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
        n_stray = _with_stray(results, clicks, self.p_stray, u_stray, u_where)
        return ClickOutcome(tuple(clicks), satisfied, examined, n_stray)


@dataclass(frozen=True)
class CascadeClicks:
    """Cascade / dependent click model: read top-down; go on after a satisfying click with
    probability ``p_continue_satisfied``, after any other result with ``p_continue``."""

    p_relevant: float = 0.95
    p_irrelevant: float = 0.02
    p_continue: float = 0.85
    p_continue_satisfied: float = 0.0
    max_clicks: int = MAX_DEPTH     # no limit: the user stops by reading, not by counting
    p_stray: float = 0.0

    def __post_init__(self) -> None:
        check_probability("p_relevant", self.p_relevant)
        check_probability("p_irrelevant", self.p_irrelevant)
        check_probability("p_continue", self.p_continue)
        check_probability("p_continue_satisfied", self.p_continue_satisfied)
        _check_max_clicks(self.max_clicks)
        check_probability("p_stray", self.p_stray)

    def clicks(self, results: Sequence[str], relevant: AbstractSet[str],
               rng: np.random.Generator) -> ClickOutcome:
        """Simulate one user on `results` (entity ids, best first)."""
        n = len(results)
        u_next, u_click, u_stray, u_where = _uniforms(rng, n)
        clicks: list[tuple[int, str]] = []
        satisfied = False
        examined = 0
        for i, entity in enumerate(results):
            examined = i + 1
            good = entity in relevant
            clicked = u_click[i] < (self.p_relevant if good else self.p_irrelevant)
            if clicked:
                clicks.append((i + 1, entity))
                satisfied = satisfied or good
                if len(clicks) >= self.max_clicks:
                    break
            go_on = self.p_continue_satisfied if clicked and good else self.p_continue
            if u_next[i] >= go_on:
                break
        n_stray = _with_stray(results, clicks, self.p_stray, u_stray, u_where)
        return ClickOutcome(tuple(clicks), satisfied, examined, n_stray)


ClickModel = Union[PositionBasedClicks, CascadeClicks]
CLICK_MODELS: dict[str, type] = {"pbm": PositionBasedClicks, "cascade": CascadeClicks}


def make_click_model(name: str, **params: float) -> ClickModel:
    """A click model by name ("pbm" or "cascade") with optional parameters."""
    try:
        cls = CLICK_MODELS[name]
    except KeyError:
        raise ValueError(f"unknown click model {name!r}; choose one of {', '.join(CLICK_MODELS)}") from None
    known = {f.name: f.type for f in fields(cls)}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)} for click model {name!r}; "
                         f"known: {', '.join(known)}")
    return cls(**params)


def parse_click_model(spec: str) -> ClickModel:
    """A click model from text, as the command line takes it.

    >>> parse_click_model("pbm:eta=1.5,max_clicks=3,p_stray=0.05")
    PositionBasedClicks(eta=1.5, p_relevant=0.95, p_irrelevant=0.02, max_clicks=3, p_stray=0.05)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("a click model spec is a name with optional settings, e.g. 'pbm:eta=1.5'")
    name, _, rest = spec.strip().partition(":")
    params: dict[str, float] = {}
    for item in (p.strip() for p in rest.split(",") if p.strip()):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"click model setting {item!r} must look like name=value")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"click model setting {key.strip()!r} needs a number, got {value!r}") from None
        params[key.strip()] = int(number) if key.strip() == "max_clicks" and number.is_integer() else number
    return make_click_model(name.strip().lower(), **params)
