"""The arm selector: which arms run for a query, and how many candidates each brings.

:class:`ArmSelector` is the one door every policy goes through: ``select``,
``update``/``observe``, ``fit``, ``state_dict`` and ``report``. It checks what
callers hand it (:mod:`ltrr.bandit.inputs`), keeps what every policy shares (the
pulls and rewards per arm, the events learned, the latest contexts, the context
width, one seeded ``np.random.Generator``, the lock) and hands the decision to
the policy's family, which returns :mod:`ltrr.bandit.selection`'s records:

* ``coverage``: :class:`~ltrr.bandit.coverage_policy.CoveragePolicy`, over the
  coverage learner (:mod:`ltrr.bandit.coverage`): arms *and* budgets;
* ``linucb``, ``lints``, ``thompson``, ``epsilon``:
  :class:`~ltrr.bandit.mab_policy.MabPolicy`, over one mabwiser ``MAB``:
  inclusion probabilities and budgets from expected rewards (the steps, the
  cold start and the seeding of its draws are in its module docstring);
* ``all`` and ``static:...``, here: ``all`` includes every available arm and
  ``static:...`` exactly its named arms (those available), both with
  propensity 1 and the full ``arm_budget`` each (or the budgets the spec
  names). Their choice never depends on rewards.

State is event-sourced: ``fit(xs, rewards)`` over the logged events gives the
same state as the same ``update`` calls made live (LinUCB/LinTS up to
floating-point rounding, since the batch sums in a different order; Thompson
and epsilon-greedy exactly). ``state_dict`` saves the state as JSON-ready values
and plain arrays, mabwiser's models included (:mod:`ltrr.bandit.mab_state`), so
a checkpoint spares the replay.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Iterable, Mapping, Sequence

import numpy as np

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage_policy import CoveragePolicy, logged_share
from ltrr.bandit.inputs import available_mask, check_context, check_rewards
from ltrr.bandit.mab_policy import MabPolicy
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.route import RoutePolicy
from ltrr.bandit.selection import Selection
from ltrr.progress import ProgressFn, silent

# report() without a context averages over this many of the latest updates' contexts.
RECENT_CONTEXTS = 200


class ArmSelector:
    """Chooses arms and per-arm budgets with a :class:`PolicySpec`, learning from rewards.

    Thread-safe; deterministic for a given ``seed`` and sequence of calls.
    """

    def __init__(self, spec: PolicySpec, arms: Sequence[str], seed: int = 0, arm_budget: int = 20,
                 min_budget: int = 5, floor: float = 0.1, gamma: float = 2.0, n_samples: int = 32) -> None:
        if not isinstance(spec, PolicySpec):
            raise ValueError(f"spec must be a PolicySpec (see PolicySpec.parse), got {type(spec).__name__}")
        arms = tuple(arms)
        if not arms or not all(isinstance(a, str) and a for a in arms):
            raise ValueError("arms must be a non-empty sequence of arm names")
        if len(set(arms)) != len(arms):
            raise ValueError(f"arms must be distinct, got {', '.join(arms)}")
        missing = [a for a in spec.arms if a not in arms]
        if missing:
            raise ValueError(f"policy {spec} names arm(s) the selector does not have: {', '.join(missing)}; "
                             f"arms: {', '.join(arms)}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        if not (isinstance(min_budget, int) and min_budget >= 1):
            raise ValueError(f"min_budget must be an integer >= 1, got {min_budget!r}")
        if isinstance(arm_budget, bool) or not (isinstance(arm_budget, int) and arm_budget >= min_budget):
            raise ValueError(f"arm_budget must be an integer >= min_budget = {min_budget}, got {arm_budget!r}")
        if not 0.0 <= floor <= 1.0:
            raise ValueError(f"floor must be between 0 and 1, got {floor!r}")
        if not gamma > 0:
            raise ValueError(f"gamma must be greater than 0, got {gamma!r}")
        if not (isinstance(n_samples, int) and n_samples >= 1):
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
        self.spec = spec
        self.arms = arms
        self.seed = seed
        self.arm_budget = arm_budget
        self.min_budget = min_budget
        self.floor = float(floor)
        self.gamma = float(gamma)
        self.n_samples = n_samples if spec.is_stochastic else 1
        self._arm_index = {a: i for i, a in enumerate(arms)}
        # The arms `all`/`static` always take (when available).
        self._fixed_mask = np.array([spec.kind == "all" or a in spec.arms for a in arms], dtype=bool)
        per_arm = spec.arm_budgets(arm_budget) if spec.kind == "static" else {}
        fixed = spec.fixed_budget or arm_budget
        self._fixed_budgets = np.array([per_arm.get(a, fixed) for a in arms], dtype=np.int64)
        self._lock = threading.RLock()
        self.reset()

    # -- state ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything learned and restart the random stream from the seed."""
        with self._lock:
            self._mab: MabPolicy | None = None
            self._coverage: CoveragePolicy | None = None
            self._route: RoutePolicy | None = None
            if self.spec.name == "coverage":
                self._coverage = CoveragePolicy(self.spec, self.arms, self.seed)
            elif self.spec.name == "route":
                self._route = RoutePolicy(self.arms, dict(self.spec.params)["cost"], self.arm_budget)
            elif self.spec.is_learning:
                self._mab = MabPolicy(self.spec, self.arms, self.seed, self.arm_budget, self.min_budget,
                                      self.floor, self.gamma, self.n_samples)
            self._is_fitted = False
            self._n_features: int | None = None
            self._n_events = 0
            self._pulls = np.zeros(len(self.arms), dtype=np.int64)
            self._rewards = np.zeros(len(self.arms), dtype=np.float64)
            self._recent: deque[np.ndarray] = deque(maxlen=RECENT_CONTEXTS)
            self._rng = np.random.default_rng(self.seed)

    @property
    def is_fitted(self) -> bool:
        """True once a learning policy has seen at least one reward."""
        return self._is_fitted

    @property
    def n_events(self) -> int:
        """Number of (non-empty) reward events learned from."""
        return self._n_events

    def state_dict(self) -> dict:
        """What was learned, as JSON-ready values plus numpy arrays (never pickled objects).
        The random streams are not saved: after :meth:`load_state_dict` they restart from
        the seed, as after replaying the history (learning never draws from them)."""
        with self._lock:
            width = self._n_features or 0
            return {
                "spec": str(self.spec), "arms": list(self.arms), "arm_budget": self.arm_budget,
                "n_features": self._n_features, "n_events": self._n_events, "is_fitted": self._is_fitted,
                "pulls": self._pulls.copy(), "rewards": self._rewards.copy(),
                "recent": np.stack(self._recent) if self._recent else np.zeros((0, width)),
                "coverage": self._coverage.state_dict() if self._coverage is not None else None,
                "mab": self._mab.state_dict() if self._mab is not None else None,
                "route": self._route.state_dict() if self._route is not None else None,
            }

    def load_state_dict(self, state: Mapping) -> None:
        """Replace what was learned by :meth:`state_dict`'s output; ValueError (state unchanged)
        when it belongs to another policy, other arms or is malformed."""
        if state.get("spec") != str(self.spec) or state.get("arms") != list(self.arms) \
                or state.get("arm_budget") != self.arm_budget:
            raise ValueError(f"selector state is not for policy {self.spec} over arms {', '.join(self.arms)}")
        try:
            width = state["n_features"]
            width = None if width is None else int(width)
            pulls = np.asarray(state["pulls"], dtype=np.int64)
            rewards = np.asarray(state["rewards"], dtype=np.float64)
            recent = np.asarray(state["recent"], dtype=np.float64)
            n_events, is_fitted = int(state["n_events"]), bool(state["is_fitted"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed selector state: {exc}") from None
        if pulls.shape != (len(self.arms),) or rewards.shape != (len(self.arms),) or recent.ndim != 2 \
                or len(recent) > RECENT_CONTEXTS or (len(recent) and recent.shape[1] != width):
            raise ValueError("malformed selector state: array shapes disagree with the arms")
        mab = None if self._mab is None else self._mab.restored(state.get("mab"), width, is_fitted)
        with self._lock:
            if self._coverage is not None:
                if not isinstance(state.get("coverage"), Mapping):
                    raise ValueError("selector state has no coverage learner")
                self._coverage.load_state_dict(state["coverage"])
            if self._route is not None:
                if not isinstance(state.get("route"), Mapping):
                    raise ValueError("selector state has no routing table")
                self._route.load_state_dict(state["route"])
            # A new MAB, its generator at the seed: what a replay leaves (mab_state's docstring).
            self._mab = mab
            self._n_features, self._n_events, self._is_fitted = width, n_events, is_fitted
            self._pulls, self._rewards = pulls, rewards
            self._recent = deque(list(recent), maxlen=RECENT_CONTEXTS)
            self._rng = np.random.default_rng(self.seed)

    # -- deciding ---------------------------------------------------------------------

    def select(self, x: np.ndarray, available: Sequence[str] | None = None, query: str | None = None) -> Selection:
        """Pick arms and budgets for context `x`; `available` (default: all) excludes arms not ready;
        `query`: the normalized query text (the coverage policy explores a query that keeps failing more)."""
        with self._lock:
            x = check_context(x, self._n_features)
            mask = available_mask(available, self._arm_index)
            if self._coverage is not None:
                if self._n_features is None:
                    self._n_features = len(x)
                return self._coverage.select(x, mask, query, self._rng)
            if not self.spec.is_learning:
                if self._route is not None:
                    budgets = np.where(mask, self._route.budgets(x), 0)
                    chosen = budgets > 0
                else:
                    chosen = mask & self._fixed_mask
                    budgets = np.where(chosen, self._fixed_budgets, 0)
                expectations = self._mean_rewards()
                return Selection.from_arrays(str(self.spec), self.arms, chosen, budgets, chosen.astype(np.float64),
                                             expectations)
            return self._mab.select(x, mask, self._rng, self._is_fitted, self._n_events)

    @property
    def learns_every_arm(self) -> bool:
        """True when the policy learns where every arm ranks what was wanted (coverage): the
        engine then reruns every arm on a first click or a later find. The other policies are
        credited from the lists the search logged, which costs no retrieval."""
        return self._coverage is not None

    @property
    def prices_places(self) -> bool:
        """True when the policy prices the places an arm's finds take above a click (``coverage:push``):
        only then is :func:`ltrr.reward.crowding_shares` worth computing for a click."""
        return self._coverage is not None and self._coverage.learner.push > 0

    @property
    def judged_share(self) -> float:
        """The share of searches the coverage policy draws for judgment (0 for other policies)."""
        return self._coverage.judged_share if self._coverage is not None else 0.0

    # -- learning ---------------------------------------------------------------------

    def observe(self, x: np.ndarray, selection: Sequence[Mapping], decision: Mapping | None,
                ranks: Mapping[str, int | None] | None, counts: Mapping[str, int] | None = None,
                query: str | None = None, seen: Mapping[str, float] | None = None,
                novel: Mapping[str, float] | None = None, crowd: Mapping[str, float] | None = None,
                ranks_now: Mapping[str, int | None] | None = None) -> dict[str, float]:
        """Learn from one resolved search; returns each selected arm's credit (:mod:`ltrr.reward`).

        ``selection`` and ``decision`` are the search's logged records, ``ranks``
        the clicked entity's rank in every arm's list (None for a skip) and
        ``counts`` each arm's list length, ``query`` the search's normalized text,
        ``seen`` (a skip) per arm the chance its finds were looked at (:func:`ltrr.reward.seen_shares`),
        ``novel`` per arm the share of its finds no other arm returned (:func:`ltrr.reward.novel_shares`),
        ``crowd`` (a click) per arm the share of those shown above it (:func:`ltrr.reward.crowding_shares`),
        ``ranks_now`` the ranks the search itself changed, as they are now (``Learning.full_ranks``).
        The coverage policy learns from the ranks (and counts the query); the mabwiser
        policies from each selected arm's credit (0 on a skip).
        """
        from ltrr.reward import marginal_credit, selected_budgets

        budgets = {a: b for a, b in selected_budgets(selection).items() if a in self._arm_index}
        credit = marginal_credit(ranks or {}, budgets)
        with self._lock:
            x = check_context(x, self._n_features)
            if self._coverage is not None:
                if self._n_features is None:
                    self._n_features = len(x)
                self._coverage.observe(x, budgets, decision, ranks, counts, query, seen, novel, ranks_now, crowd)
                self._count(x, credit)
            elif self._mab is not None:
                if credit:
                    self._learn([x], [check_rewards(credit, self._arm_index)])
            else:
                self._count(x, credit)
        return credit

    def observe_judged(self, x: np.ndarray, selection: Sequence[Mapping], decision: Mapping,
                       ranks: Mapping[str, int | None], counts: Mapping[str, int] | None = None,
                       query: str | None = None, ranks_now: Mapping[str, int | None] | None = None) -> None:
        """Learn from a search drawn for judgment: ``ranks`` of what was wanted in every arm's list
        (None where an arm does not have it), whatever ran; only the coverage policy learns."""
        from ltrr.reward import selected_budgets

        with self._lock:
            share = logged_share(decision)
            if self._coverage is None or not decision.get("judge") or share <= 0:
                return
            x = check_context(x, self._n_features)
            if self._n_features is None:
                self._n_features = len(x)
            budgets = {a: b for a, b in selected_budgets(selection).items() if a in self._arm_index}
            self._coverage.observe_judged(x, budgets, decision,
                                          {a: r for a, r in ranks.items() if a in self._arm_index},
                                          counts, query, ranks_now)

    def observe_warm(self, x: np.ndarray, ranks: Mapping[str, int | None],
                     counts: Mapping[str, int] | None = None) -> None:
        """Learn one full-information search of another stream before serving (``Engine.warm_start``);
        the coverage learner and the routing table learn from it (:meth:`learns_warm`)."""
        with self._lock:
            if not self.learns_warm:
                return
            x = check_context(x, self._n_features)
            if self._n_features is None:
                self._n_features = len(x)
            ranks = {a: r for a, r in ranks.items() if a in self._arm_index}
            if self._route is not None:
                self._route.add(x, ranks, counts)
            else:
                self._coverage.observe_warm(x, ranks, counts)

    @property
    def learns_warm(self) -> bool:
        """Whether this policy learns from a warm start: the coverage learner, and the routing
        table (``route``), which is chosen from it."""
        return self._coverage is not None or self._route is not None

    def observe_found_later(self, x: np.ndarray, ranks: Mapping[str, int | None],
                            counts: Mapping[str, int] | None = None, query: str | None = None,
                            ranks_now: Mapping[str, int | None] | None = None) -> None:
        """Learn where every arm ranks what the user found after leaving this search (see
        ``Engine.feedback``'s ``found_later``; ``query``: the search's normalized text); only
        the coverage policy learns from it."""
        with self._lock:
            if self._coverage is not None:
                self._coverage.learner.observe_found_later(check_context(x, self._n_features), ranks, counts,
                                                           query, ranks_now)

    def observe_latency(self, arm_ms: Mapping[str, float] | None) -> None:
        """One search's measured run time per arm (ms), as logged; the coverage policy prices
        starting an arm by it (``coverage:ms=...``); the other policies ignore it."""
        if self._coverage is not None:
            self._coverage.learner.observe_latency(arm_ms)

    def observe_selected(self, x: np.ndarray | Sequence[float]) -> None:
        """A logged search's context, replayed: what :meth:`select` fixed about the context live
        (the coverage policy's context width), so a replay holds the state the live run held."""
        with self._lock:
            if self._coverage is not None and self._n_features is None:
                self._n_features = len(x)

    def arm_milliseconds(self) -> dict[str, float]:
        """Each timed arm's smoothed run time (ms) as the coverage policy prices it; {} otherwise."""
        return self._coverage.learner.arm_milliseconds() if self._coverage is not None else {}

    def _count(self, x: np.ndarray, credit: Mapping[str, float]) -> None:
        for arm, r in credit.items():
            self._pulls[self._arm_index[arm]] += 1
            self._rewards[self._arm_index[arm]] += r
        self._n_events += 1
        self._recent.append(x)

    def update(self, x: np.ndarray, rewards: Mapping[str, float]) -> None:
        """Learn from one search: `rewards` maps each selected arm to its reward in [0, 1]."""
        with self._lock:
            x = check_context(x, self._n_features)
            event = check_rewards(rewards, self._arm_index)
            if not event:
                return
            self._learn([x], [event])

    def fit(self, xs: Iterable[np.ndarray], rewards: Iterable[Mapping[str, float]],
            progress: ProgressFn = silent) -> None:
        """Reset, then learn from logged events in order: ``update(xs[i], rewards[i])`` for each i.

        Everything is validated before the state changes, and learnt in one
        batch, so replaying thousands of events takes milliseconds.
        """
        xs, rewards = list(xs), list(rewards)
        if len(xs) != len(rewards):
            raise ValueError(f"fit needs one reward mapping per context, got {len(xs)} contexts "
                             f"and {len(rewards)} reward mappings")
        with self._lock:
            checked_xs: list[np.ndarray] = []
            events: list[list[tuple[int, float]]] = []
            width = None
            for i, (x, r) in enumerate(zip(xs, rewards)):
                if i % 1000 == 0:
                    progress(i, len(xs), "replaying bandit events")
                try:
                    x = check_context(x, width)
                    event = check_rewards(r, self._arm_index)
                except ValueError as exc:
                    raise ValueError(f"event {i}: {exc}") from None
                if event:
                    width = len(x)
                    checked_xs.append(x)
                    events.append(event)
            self.reset()
            if events:
                self._n_features = width
                self._learn(checked_xs, events)
            progress(len(xs), len(xs), "replaying bandit events")

    def _learn(self, xs: list[np.ndarray], events: list[list[tuple[int, float]]]) -> None:
        """Feed events (lists of (arm index, reward)) to mabwiser and the counters."""
        rows = [(i, arm, r) for i, event in enumerate(events) for arm, r in event]
        if self._mab is not None:
            self._mab.learn(xs, rows)
            self._is_fitted = True
        if self._n_features is None:
            self._n_features = len(xs[0])
        for _, arm, r in rows:
            self._pulls[arm] += 1
            self._rewards[arm] += r
        self._n_events += len(events)
        self._recent.extend(xs)

    # -- reporting --------------------------------------------------------------------

    def report(self, x: np.ndarray | None = None) -> list[dict]:
        """Per arm: pulls, rewards, mean reward, expected reward and selection probability.

        At `x` when given (the same numbers ``select(x)`` uses), else averaged
        over the contexts of the latest updates, with one draw per context for
        the stochastic policies (the prior before any update). Does not change
        the selector's state.
        """
        with self._lock:
            if x is not None:
                contexts = check_context(x, self._n_features)[None, :]
            elif self._recent:
                contexts = np.stack(self._recent)
            else:
                contexts = None
            mask = np.ones(len(self.arms), dtype=bool)
            if self._coverage is not None:
                expected, probability = self._coverage.report(contexts, mask)
            elif self._route is not None:
                # The share of these contexts whose route runs the arm (propensities are 0 or 1).
                routes = [self._route.budgets(c) for c in contexts] if contexts is not None else \
                    [self._route.budgets(None)]
                probability = np.mean([b > 0 for b in routes], axis=0).astype(np.float64)
                expected = self._mean_rewards()
            elif not self.spec.is_learning:
                probability = self._fixed_mask.astype(np.float64)
                expected = self._mean_rewards()
            else:
                expected, probability = self._mab.report(contexts, mask, self._is_fitted, self._n_events)
            means = self._mean_rewards()
            return [
                {"arm": arm, "pulls": int(self._pulls[i]), "rewards": float(self._rewards[i]),
                 "mean_reward": float(means[i]), "expected_reward": float(expected[i]),
                 "selection_probability": float(probability[i])}
                for i, arm in enumerate(self.arms)
            ]

    @property
    def learner(self) -> CoverageLearner | None:
        """The coverage learner (coverage policy only), else None."""
        return self._coverage.learner if self._coverage is not None else None

    def _mean_rewards(self) -> np.ndarray:
        return np.divide(self._rewards, self._pulls, out=np.zeros(len(self.arms)), where=self._pulls > 0)
