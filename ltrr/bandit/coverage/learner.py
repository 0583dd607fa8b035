"""The coverage learner: one object over the cells, estimates, plan and exploration rule.

See :mod:`ltrr.bandit.coverage` for what is learned and how; this module holds only the
learner's lifecycle: deciding (:meth:`CoverageLearner.select`), learning
(:meth:`CoverageLearner.observe`) and its settings. The parts live beside it:
:mod:`~ltrr.bandit.coverage.cells` (where evidence is kept), :mod:`~ltrr.bandit.coverage.estimate`
(what it says), :mod:`~ltrr.bandit.coverage.plan` (the greedy configuration),
:mod:`~ltrr.bandit.coverage.explore` (exploration and exact propensities) and
:mod:`~ltrr.bandit.coverage.saved` (saved state).
"""
from __future__ import annotations

import threading
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from ltrr.bandit.coverage.cells import (LADDER, Cell, Level, breadth, cell_keys, decayed_count, decayed_wide,
                                        fold_trend, held_level, is_probe_key, is_query_key, level, list_lengths,
                                        query_key, rank_code, rank_codes)
from ltrr.bandit.coverage.estimate import alone_at
from ltrr.bandit.coverage.explore import (Exploration, QueryCounts, deepen_top, deepen_weights, deeper,
                                          drift_alarm, slump_alarm, upgradable)
from ltrr.bandit.coverage.plan import greedy as plan_greedy, price
from ltrr.bandit.coverage.saved import cells_to_state, state_to_cells, state_to_parts
from ltrr.reward import MAX_RANK

LATENCY_SMOOTHING = 0.05                 # weight of a new run time in an arm's mean milliseconds
NOVELTY_SMOOTHING = 0.02                 # weight of a new search in an arm's share of finds no other arm has
CROWDING_SMOOTHING = 0.05                # weight of a new click in a kind's share of an arm's finds shown above it
QUERY_BUFFER = 50                        # targets a query's own cell keeps (its kind's cells keep ``buffer``)


def fold_shares(smoothed: np.ndarray, arms: Sequence[str], shares: Mapping[str, float], rate: float) -> None:
    """Move each arm's ``smoothed`` share (in place) towards its new one in ``shares`` by ``rate``;
    arms absent from ``shares``, and values that are not finite numbers, are left as they were."""
    for a, name in enumerate(arms):
        v = shares.get(name)
        if isinstance(v, (int, float)) and np.isfinite(v):
            smoothed[a] = (1 - rate) * smoothed[a] + rate * float(np.clip(v, 0.0, 1.0))


class Plan(NamedTuple):
    """What the learner plans for one search before drawing: the greedy configuration and the
    exploration rule it is drawn from (see :meth:`CoverageLearner.select`)."""

    greedy: np.ndarray          # budget per arm
    alone: np.ndarray           # per arm, its estimated coverage alone at its greedy budget
    cover: float                # the greedy configuration's estimated coverage
    p_wide: float               # chance of wide exploration
    deepen: np.ndarray          # per arm, the chance deepening picks it
    top: np.ndarray             # per arm, the deepest budget deepening may reach
    alarm: float                # the drift alarm (part of p_wide)
    tried: np.ndarray           # arms in greedy only because the query kept failing without them
    slump: float                # the slump alarm (part of p_wide)


class CoverageLearner:
    """Contextual coverage bandit over ``(arm, budget)`` actions; see :mod:`ltrr.bandit.coverage`.

    Thread-safe. Deterministic for a given seed and sequence of calls.
    """

    def __init__(self, arms: Sequence[str], seed: int = 0, cost_per_candidate: float = 0.004,
                 epsilon: float = 0.05, contextual: bool = True, prior: float = 50.0,
                 wide: float = 0.3, wide_budget: int = 3, wide_min: float = 0.01,
                 halflife: float = 300.0, buffer: int = 600, weight_cap: float | None = None,
                 cost_per_ms: float = 0.0, queries: int = 0, query_prior: float = 0.0,
                 probe_prior: float = 0.0, tries: float = 0.0, slump: bool = False,
                 floor: float = 0.0, floor_cost: float = 0.004, doubt: float = 0.0, hold: bool = False,
                 later: float = 0.0, push: float = 0.0) -> None:
        self.arms = tuple(arms)
        self.seed = int(seed)
        self.cost_per_candidate = float(cost_per_candidate)
        self.cost_per_ms = float(cost_per_ms)
        if not 0.0 <= float(floor) <= 1.0 or float(floor_cost) < 0:
            raise ValueError("floor must lie between 0 and 1 and floor_cost be 0 or more")
        # While a plan covers less than floor, a candidate costs floor_cost (plan.price): an ask
        # the cheap plan serves badly still buys recall (0: one price everywhere).
        self.floor = float(floor)
        self.floor_cost = float(floor_cost)
        if float(doubt) < 0:
            raise ValueError("doubt must be 0 or more")
        # A plan's step is bought on its gain less this many standard errors (plan.greedy).
        self.doubt = float(doubt)
        self.epsilon = float(epsilon)
        self.wide = float(wide)
        self.wide_min = float(wide_min)
        self.wide_budget = int(wide_budget)
        if not 0 <= self.epsilon + self.wide <= 1:
            raise ValueError("epsilon + wide must lie between 0 and 1")
        self.contextual = bool(contextual)
        self.prior = float(prior)
        self.decay = 0.5 ** (1.0 / float(halflife))
        self.buffer = int(buffer)
        if int(queries) < 0:
            raise ValueError("queries must be 0 or more")
        # A query's own counts are context: the context-free learner keeps none.
        self.queries = int(queries) if self.contextual else 0
        if float(query_prior) < 0:
            raise ValueError("query_prior must be 0 or more")
        # Each of those recent queries is also the finest cell of its own searches, shrunk
        # towards its kind with query_prior pseudo searches (0: no query cells).
        self.query_prior = float(query_prior) if self.queries > 0 else 0.0
        if float(probe_prior) < 0:
            raise ValueError("probe_prior must be 0 or more")
        # Each kind of query is also split by what the memory holds for it (the memory probe,
        # context feature q_remembered), shrunk towards the kind with probe_prior pseudo
        # searches (0: no split). Context: the context-free learner keeps none.
        self.probe_prior = float(probe_prior) if self.contextual else 0.0
        if float(tries) < 0:
            raise ValueError("tries must be 0 or more")
        # A recent query that went this many searches without a click has every arm its own
        # searches have not run lately added at the ladder's first step (0: never; see
        # QueryCounts.untried). Needs the query counts.
        self.tries = float(tries) if self.queries > 0 else 0.0
        # Whether a cell whose searches are served less while its plans got narrower is explored
        # wide more (see slump_alarm). Context: the context-free learner's one cell has it too.
        self.slump = bool(slump)
        # Whether what a warm start reads is held in cells of its own that never decay, each of the
        # learner's cells shrunk towards its held twin (see _levels), instead of being learnt into
        # the learner's cells and fading with them.
        self.hold = bool(hold)
        if float(later) != 0.0 and float(later) < 1.0:
            raise ValueError("later must be 0 (off) or at least 1")
        # A find after a miss stands for the misses nobody followed up: it is weighted by the inverse
        # of the share of searches without a click that a find followed, at most this much (0: weight 1).
        self.later = float(later)
        if float(push) < 0:
            raise ValueError("push must be 0 (off) or more")
        # What a place taken in front of what was wanted costs, in coverage: each candidate of an
        # arm pays this times the share of its own finds that its kind of ask's clicks found above
        # them (observe_crowding), on top of the price (0: only the candidates' number is priced).
        self.push = float(push)
        # Largest inverse-propensity weight; default: that of a plain discovery (see observe).
        self.weight_cap = float(weight_cap) if weight_cap else 1.0 / max(self.wide_min, 1e-3)
        self.exploration = Exploration(self.arms, self.epsilon, self.wide, self.wide_min, self.wide_budget)
        self._lock = threading.RLock()
        self.reset()

    @classmethod
    def from_params(cls, arms: Sequence[str], params: Mapping[str, float], seed: int = 0) -> "CoverageLearner":
        """The learner a ``coverage`` policy spec describes (``PolicySpec.params``: cost, epsilon,
        wide, wide_at, context, prior, ms, queries, qprior, probe, tries, slump, floor, lowcost, doubt,
        wcap, hold, later, halflife, push)."""
        return cls(arms, seed=seed, cost_per_candidate=params["cost"], epsilon=params["epsilon"],
                   wide=params["wide"], wide_budget=int(params["wide_at"]), contextual=params["context"] > 0,
                   prior=params["prior"], cost_per_ms=params["ms"], queries=int(params["queries"]),
                   query_prior=params.get("qprior", 0.0), probe_prior=params.get("probe", 0.0),
                   tries=params.get("tries", 0.0), slump=params.get("slump", 0.0) > 0,
                   floor=params.get("floor", 0.0), floor_cost=params.get("lowcost", 0.004),
                   doubt=params.get("doubt", 0.0), weight_cap=params.get("wcap", 0.0) or None,
                   hold=params.get("hold", 0.0) > 0, later=params.get("later", 0.0),
                   halflife=params.get("halflife", 300.0), push=params.get("push", 0.0))

    def reset(self) -> None:
        """Forget everything learned and restart the random stream from the seed."""
        with self._lock:
            self._cells: dict[tuple, Cell] = {}
            self._held: dict[tuple, Cell] = {}          # what a warm start read, when held (hold)
            self._queries = QueryCounts(self.queries, len(self.arms))
            self._rng = np.random.default_rng(self.seed)
            self.n_events = 0
            self.n_clicks = 0
            # Decayed counts of searches resolved without a click and of finds after a miss (later).
            self._unclicked = 0.0
            self._followed = 0.0
            self._ms = np.full(len(self.arms), np.nan)     # smoothed run time per arm, ms
            # Per arm, the smoothed share of its finds that no other arm of the search returned.
            self._novel = np.ones(len(self.arms))
            # Per kind of ask (push), per arm: the smoothed share of its own finds shown above a click.
            self._crowd: dict[str, np.ndarray] = {}

    # -- cells and estimates -------------------------------------------------------------

    def cell_keys(self, x: np.ndarray, query: str | None = None) -> list[tuple]:
        """The cells of context ``x`` (and of the normalized ``query``, when the learner keeps
        query cells), finest first, ending with the root ``()``."""
        return cell_keys(x, self.contextual, query if self.query_prior > 0 else None, self.probe_prior > 0)

    def _levels(self, x: np.ndarray, query: str | None = None) -> list[Level]:
        """The cells of ``x`` (and ``query``) that hold anything, finest first, as arrays; with
        held warm-start cells, each cell's held twin comes right after it, so that the cell is
        shrunk towards what the warm start showed of its kind (an arm the cell rarely runs deep
        takes the held estimate, seen in full) and the held cell towards the next coarser one."""
        n_arms = len(self.arms)
        found = []
        for k in self.cell_keys(x, query):
            found.append(level(self._cells.get(k), self.decay, n_arms, self._prior_of(k)))
            if self._held:
                found.append(held_level(self._held.get(k), n_arms))
        return [a for a in found if a is not None]

    def _prior_of(self, key: tuple) -> float | None:
        """Pseudo searches shrinking cell ``key`` towards its parent (None: the learner's prior)."""
        return self.query_prior if is_query_key(key) else self.probe_prior if is_probe_key(key) else None

    def _greedy(self, levels: list[Level], mask: np.ndarray, base: np.ndarray | None = None,
                x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None, float, np.ndarray | None]:
        """:func:`~ltrr.bandit.coverage.plan.greedy` under this learner's prices and prior, built
        beyond the budgets ``base`` (None: from nothing); with ``push``, each arm's candidates also
        pay for the places they take in front of what is wanted in ``x``'s kind of ask."""
        return plan_greedy(levels, mask, self.cost_per_candidate, self._start_costs(), self.prior, self._novel,
                           self.floor, self.floor_cost, self.doubt, base, self._surcharge(x))

    def _kind(self, x: np.ndarray) -> str:
        """The key of ``x``'s kind of ask (its coarsest context cell but the root; "" context-free)."""
        return "".join(map(str, cell_keys(np.asarray(x, dtype=np.float64), self.contextual)[0]))

    def _surcharge(self, x: np.ndarray | None) -> np.ndarray | None:
        """Per arm, the extra price of a candidate at ``x`` (None: push off, or no click read there)."""
        if self.push <= 0 or x is None:
            return None
        crowd = self._crowd.get(self._kind(x))
        return None if crowd is None else self.push * crowd

    def greedy(self, x: np.ndarray, mask: np.ndarray,
               levels: list[Level] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        """The greedy configuration at ``x`` (budgets per arm), per-arm coverage alone, and its coverage.

        ``levels`` are ``x``'s cells as :meth:`_levels` gives them (computed when not given).
        """
        with self._lock:
            levels = self._levels(x) if levels is None else levels
            budgets, alone, cover, _ = self._greedy(levels, mask, x=x)
            return budgets, alone_at(alone, budgets), cover

    # -- deciding -------------------------------------------------------------------------

    def select(self, x: np.ndarray, mask: np.ndarray, query: str | None = None,
               base: np.ndarray | None = None) -> dict:
        """Budgets, exact propensities and estimates for context ``x`` over the available ``mask``
        (``query``: the normalized query text, whose own counts may raise wide exploration;
        ``base``: budgets the greedy configuration starts from, such as a routing table's).

        Returns ``{"budgets", "greedy", "p_run", "p_budget", "expectation", "coverage", "explored"}``
        where ``explored`` is "", "deepen" or "wide".
        """
        with self._lock:
            greedy, alone, cover, p_wide, deepen, top, alarm, tried, slump = self._plan(x, mask, query, base)
            budgets = greedy.copy()
            coin, pick_arm, pick_level = self._rng.random(3)
            up = upgradable(greedy, mask, top)
            explored = ""
            if coin < p_wide:
                explored = "wide"
                budgets = self.exploration.widened(greedy, mask)
            elif up.size and coin < p_wide + self.epsilon:
                explored = "deepen"
                cum = np.cumsum(deepen[up])
                a = int(up[min(int(np.searchsorted(cum, pick_arm * cum[-1], side="right")), up.size - 1)])
                higher = deeper(int(greedy[a]), int(top[a]))
                budgets[a] = higher[min(int(pick_level * higher.size), higher.size - 1)]
            p_run, p_budget = self.propensities(greedy, mask, budgets, p_wide, deepen, top)
            return {"budgets": budgets, "greedy": greedy, "p_run": p_run, "p_budget": p_budget,
                    "expectation": alone, "coverage": cover, "explored": explored, "p_wide": p_wide,
                    "deepen": deepen, "deepen_top": top, "alarm": alarm, "tried": tried, "slump": slump}

    def decision_record(self, d: Mapping, mask: np.ndarray) -> dict:
        """What is logged of a :meth:`select` result ``d`` over the available ``mask``: the greedy
        configuration, the arms available, the exploration drawn and the rule it was drawn from,
        from which :meth:`observe` recomputes every propensity, and the estimates shown."""
        coverage = d["coverage"]
        return {
            "greedy": {a: int(d["greedy"][i]) for i, a in enumerate(self.arms) if mask[i]},
            "available": [a for i, a in enumerate(self.arms) if mask[i]],
            "explored": d["explored"],
            "wide": round(float(d["p_wide"]), 6),
            "alarm": round(float(d["alarm"]), 6),
            **({"slump": round(float(d["slump"]), 6)} if d.get("slump") else {}),
            "deepen": {a: float(d["deepen"][i]) for i, a in enumerate(self.arms) if d["deepen"][i] > 0},
            "deepen_top": {a: int(d["deepen_top"][i]) for i, a in enumerate(self.arms) if d["deepen"][i] > 0},
            "coverage": None if not np.isfinite(coverage) else round(float(coverage), 6),
            # Arms in the greedy configuration only because the query kept failing without them
            # (QueryCounts.untried): their finds are shown like exploration's (ltrr.rank.stage).
            **({"tried": [self.arms[i] for i in np.flatnonzero(d["tried"])]}
               if d.get("tried") is not None and np.any(d["tried"]) else {}),
        }

    def _plan(self, x: np.ndarray, mask: np.ndarray, query: str | None = None,
              base: np.ndarray | None = None) -> Plan:
        """The greedy configuration at ``x`` (beyond ``base``) and the exploration rule drawn from
        (see :class:`Plan`)."""
        levels = self._levels(x, query)
        greedy, alone, cover, counts = self._greedy(levels, mask, base, x)
        untried = self._queries.untried(query, self.tries) if self.tries > 0 else None
        tried = np.zeros(len(self.arms), dtype=bool)
        if untried is not None:
            # A query that keeps failing tries what its searches have not (QueryCounts.untried).
            tried = untried & mask & (greedy == 0)
            greedy = np.where(tried, int(LADDER[1]), greedy)
        # The finest cell that holds anything says how well this kind of query is known, how
        # often wide exploration has already been tried there and whether it recently got worse.
        alarm = drift_alarm(greedy, levels[0], self.decay) if levels else 0.0
        slump = self.slump_alarm(x, query)
        p_wide = self.wide_probability(cover, levels[0].n if levels else 0.0, *self.exploration.wide_gain(
            greedy, mask, cover, levels, self.prior), alarm=alarm + slump, push=self.query_push(query, cover))
        top = self.deepen_top(greedy, mask, cover, levels, counts)
        deepen = self.deepen_weights(greedy, mask, levels, top=top, alone=alone)
        return Plan(greedy, alone_at(alone, greedy), cover, p_wide, deepen, top, alarm, tried, slump)

    def slump_alarm(self, x: np.ndarray, query: str | None = None) -> float:
        """The largest slump among the cells of ``x`` other than query cells (0 when off; see
        :func:`~ltrr.bandit.coverage.explore.slump_alarm`)."""
        if not self.slump:
            return 0.0
        cells = (self._cells.get(k) for k in self.cell_keys(x, query) if not is_query_key(k))
        return max((slump_alarm(c.trend, c.t) for c in cells if c is not None), default=0.0)

    def run_probabilities(self, x: np.ndarray, mask: np.ndarray, query: str | None = None,
                          base: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per arm at ``x``: its estimated coverage alone at its greedy budget, and the chance
        it runs under the exploration rule (what :meth:`select` would draw from)."""
        with self._lock:
            plan = self._plan(x, mask, query, base)
            p_run, _ = self.propensities(plan.greedy, mask, plan.greedy, plan.p_wide, plan.deepen, plan.top)
            return plan.alone, p_run

    def deepen_top(self, greedy: np.ndarray, mask: np.ndarray, cover: float,
                   levels: list[Level], counts: np.ndarray | None = None) -> np.ndarray:
        """Per arm: the deepest budget exploration may deepen it to (see
        :func:`~ltrr.bandit.coverage.explore.deepen_top`)."""
        lam = price(cover, self.cost_per_candidate, self.floor, self.floor_cost)
        priced = lam > 0 or self.cost_per_ms > 0
        return deepen_top(greedy, mask, cover, levels, lam, self._start_costs(), priced, counts)

    def deepen_weights(self, greedy: np.ndarray, mask: np.ndarray, levels: list[Level] | None = None,
                       x: np.ndarray | None = None, top: np.ndarray | None = None,
                       alone: np.ndarray | None = None) -> np.ndarray:
        """Per arm: the chance that deepening picks it (see
        :func:`~ltrr.bandit.coverage.explore.deepen_weights`); ``levels``, or computed from ``x``."""
        with self._lock:
            if levels is None:
                levels = self._levels(x) if x is not None else []
            return deepen_weights(greedy, mask, levels, self.prior, top=top, alone=alone)

    def wide_probability(self, cover: float, seen: float = 0.0, gain: float | None = None,
                         tried: float = 0.0, alarm: float = 0.0, push: float = 0.0) -> float:
        """Chance of wide exploration (see
        :meth:`~ltrr.bandit.coverage.explore.Exploration.wide_probability`)."""
        return self.exploration.wide_probability(cover, seen, gain, tried, alarm, push)

    def query_push(self, query: str | None, cover: float) -> float:
        """Extra chance of wide exploration for a query that keeps failing more than its cell
        (see :meth:`~ltrr.bandit.coverage.explore.QueryCounts.push`)."""
        return self._queries.push(query, cover, self.wide)

    def drift_alarm(self, budgets: np.ndarray, level_: Level) -> float:
        """See :func:`~ltrr.bandit.coverage.explore.drift_alarm`."""
        return drift_alarm(budgets, level_, self.decay)

    def propensities(self, greedy: np.ndarray, mask: np.ndarray, budgets: np.ndarray,
                     p_wide: float | None = None, deepen: np.ndarray | Mapping[str, float] | None = None,
                     top: np.ndarray | Mapping[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per arm: P(it runs) and P(it gets exactly ``budgets[a]``), under the exploration rule.

        Exploration only ever deepens: a shallower budget teaches nothing new,
        since a click's ranks are known in full. ``deepen``: the chance deepening
        picks each arm (:meth:`deepen_weights`; None: uniform); ``top``: the deepest
        level it may reach per arm (:meth:`deepen_top`; None: the top of the ladder).
        """
        rule = self.exploration.rule(greedy, mask, p_wide, deepen, top)
        return self.exploration.propensities(greedy, mask, budgets, rule)

    def reach_probability(self, greedy: np.ndarray, mask: np.ndarray, p_wide: float | None = None,
                          deepen: np.ndarray | Mapping[str, float] | None = None,
                          top: np.ndarray | Mapping[str, int] | None = None) -> np.ndarray:
        """Per arm and ladder level: P(the logging policy ran the arm at least that deep)."""
        return self.exploration.reach(greedy, mask, self.exploration.rule(greedy, mask, p_wide, deepen, top))

    def cover_probability(self, greedy: np.ndarray, mask: np.ndarray, ranks: np.ndarray,
                          p_wide: float | None = None, deepen: np.ndarray | Mapping[str, float] | None = None,
                          top: np.ndarray | Mapping[str, int] | None = None) -> float:
        """P(the logging policy's configuration covers a target with these ranks) = ``w_i``."""
        return self.exploration.cover(greedy, mask, ranks, self.exploration.rule(greedy, mask, p_wide, deepen, top))

    # -- milliseconds ---------------------------------------------------------------------

    def _start_costs(self) -> np.ndarray:
        """Per arm: what starting it costs in objective units (``cost_per_ms`` x its mean ms;
        0 for an arm never timed)."""
        return self.cost_per_ms * np.nan_to_num(self._ms, nan=0.0)

    def observe_latency(self, arm_ms: Mapping[str, float] | None) -> None:
        """Fold one search's measured run time per arm (ms) into each arm's smoothed mean."""
        if not arm_ms:
            return
        with self._lock:
            for a, name in enumerate(self.arms):
                v = arm_ms.get(name)
                if isinstance(v, (int, float)) and np.isfinite(v) and v >= 0:
                    old = self._ms[a]
                    self._ms[a] = float(v) if np.isnan(old) else (1 - LATENCY_SMOOTHING) * old + LATENCY_SMOOTHING * v

    def observe_novelty(self, novel: Mapping[str, float] | None) -> None:
        """Fold one search's share of each arm's finds that no other arm returned
        (:func:`ltrr.reward.novel_shares`) into each arm's smoothed share: the candidates it adds
        to the pool when it joins other arms, by which the greedy configuration prices it."""
        if not novel:
            return
        with self._lock:
            fold_shares(self._novel, self.arms, novel, NOVELTY_SMOOTHING)

    def observe_crowding(self, x: np.ndarray, crowd: Mapping[str, float] | None) -> None:
        """Fold one clicked search's share of each arm's own finds shown above the click
        (:func:`ltrr.reward.crowding_shares`) into its kind of ask's smoothed shares (push only)."""
        if self.push <= 0 or not crowd:
            return
        with self._lock:
            fold_shares(self._crowd.setdefault(self._kind(x), np.zeros(len(self.arms))), self.arms, crowd,
                        CROWDING_SMOOTHING)

    def arm_milliseconds(self) -> dict[str, float]:
        """Each timed arm's smoothed run time (ms)."""
        with self._lock:
            return {a: float(v) for a, v in zip(self.arms, self._ms) if np.isfinite(v)}

    # -- learning -------------------------------------------------------------------------

    def observe(self, x: np.ndarray, greedy: Mapping[str, int], available: Sequence[str],
                ranks: Mapping[str, int | None] | None, counts: Mapping[str, int] | None = None,
                p_wide: float | None = None, deepen: Mapping[str, float] | None = None,
                deepen_top: Mapping[str, int] | None = None, explored: str = "",
                query: str | None = None, judged: bool = False, judged_share: float = 0.0,
                ran: Mapping[str, int] | None = None, seen: Mapping[str, float] | None = None,
                ranks_now: Mapping[str, int | None] | None = None) -> None:
        """Learn from one resolved search: a click's full-information ``ranks`` (None: a skip).

        ``ranks_now``: the ranks of arms whose lists the search itself changed (the memory learned
        from it), as they are now; the query's own cell buffers those in place of ``ranks``, since
        the next search of the same text meets the lists as they are now, while every other cell
        learns what the search's arms held when it ran (``ltrr.engine.learning.Learning.full_ranks``).

        ``ran``: the budgets the search ran (arms absent or at 0 did not run); what a query's own
        counts remember of which arms its searches tried (None: the greedy configuration's).
        ``seen``: for a search nobody clicked, per arm the chance that its finds were looked at
        (:func:`ltrr.reward.seen_shares`); such a search counts as that much of a try of the arm
        (None: a whole try of every arm that ran).

        ``greedy`` is the logged greedy configuration, ``available`` the arms
        that could run, ``p_wide``, ``deepen`` and ``deepen_top`` the logged exploration rule
        (``explored``: which exploration this search was, "" for none):
        together they give the exact chance ``w`` that the logging policy would
        have covered the click.

        **Judged searches.** Where a random share ``judged_share`` of searches is judged (someone
        says what was wanted, whether or not anything was retrieved), a judged search passes
        ``judged=True`` and the wanted item's ``ranks`` (None when no arm has it). A search's
        ranks then reach the buffer when it is judged, or else clicked, with chance
        ``s + (1 - s) w`` (``s`` the judged share), and every row is weighted by its inverse:
        a miss the policy could not have covered, unseen by clicks, is learned at ``1 / s``,
        and an exploration find weighs far less than ``1 / w``. With ``s = 0`` this is the
        click-only rule; with ``s = 1`` every search is told, at weight 1.
        """
        if not 0.0 <= judged_share <= 1.0:
            raise ValueError(f"judged_share must lie in [0, 1], got {judged_share!r}")
        if judged and judged_share <= 0.0:
            raise ValueError("a judged search needs the share of searches judged (judged_share > 0)")
        with self._lock:
            self.n_events += 1
            g = np.array([int(greedy.get(a, 0)) for a in self.arms], dtype=np.int64)
            r = None if ranks is None else rank_codes(self.arms, ranks)
            # A search is served when clicked, or, judged, when the greedy configuration
            # retrieved what was wanted.
            served = r is not None and (not judged or bool((r <= g).any()))
            if query and self.queries > 0:
                ran_now = g if ran is None else np.array([int(ran.get(a, 0)) for a in self.arms])
                # An arm "tried" a query when it ran and did not hold what was clicked; unclicked,
                # as far as its finds were looked at.
                tried = (ran_now > 0).astype(float)
                if r is not None:
                    tried[r <= ran_now] = 0.0
                elif seen is not None:
                    tried *= np.array([float(seen.get(a, 0.0)) for a in self.arms])
                for gone in self._queries.observe(str(query), served, explored == "wide", tried):
                    self._cells.pop(query_key(gone), None)      # a query's cell leaves with its counts
            keys = self.cell_keys(np.asarray(x, dtype=np.float64), query)
            mask = np.array([a in set(available) for a in self.arms], dtype=bool)
            # The logged rule, resolved once for both the reach and the cover probability.
            rule = self.exploration.rule(g, mask, p_wide, deepen, deepen_top)
            reached = self.exploration.reach(g, mask, rule)
            for key in keys:
                cell = self._cells.setdefault(key, Cell())
                cell.t += 1
                # n_wide and reach share one clock stamp: both are brought to the present here.
                cell.n_wide = decayed_wide(cell, self.decay) + float(explored == "wide")
                if cell.reach is None:
                    # New, or from a state saved before reach was kept: every arm counts as run
                    # at every depth on the searches before this one (the old rule, continued).
                    old = np.full_like(reached, decayed_count(self.decay, cell.t - cell.start) * self.decay)
                else:
                    old = cell.reach * self.decay ** (cell.t - cell.wide_t)
                # A judged search shows every arm's every depth, whatever ran.
                cell.reach = old + judged_share + (1.0 - judged_share) * reached
                cell.wide_t = cell.t
                if self.slump and not is_query_key(key):
                    fold_trend(cell, served, breadth(g), self.decay)
            if self.later and not judged:
                self._unclicked = self._unclicked * self.decay + float(r is None)
                self._followed *= self.decay
            if r is None:
                return
            if judged and not (r <= MAX_RANK).any():
                return      # no arm has it: a miss of every configuration, counted above
            w = self.exploration.cover(g, mask, r, rule)
            if w <= 0 and not judged:
                return      # a click no configuration of this policy could produce (e.g. a foreign log)
            w = judged_share + (1.0 - judged_share) * w
            # Inverse propensity, capped at the weight of a plain discovery (by wide
            # exploration, else by deepening one arm). A lower cap would bias the gain of arms the policy
            # rarely runs downwards, and an underestimated arm is never run again to correct it;
            # an overestimate is corrected as soon as the arm runs.
            self._append(keys, r, counts, min(1.0 / w, self.weight_cap), self._now(r, ranks_now))

    def observe_warm(self, x: np.ndarray, ranks: Mapping[str, int | None],
                     counts: Mapping[str, int] | None = None) -> None:
        """Learn, before serving, from one full-information search of another stream (a warm start:
        ``Engine.warm_start``): ``ranks`` of what was wanted in every arm's list up to ``MAX_RANK``
        (None where an arm does not have it), ``counts`` the lists' lengths.

        It is read as a judged search of a policy that ran every arm at every depth: weight 1, every
        depth seen. Only the context's cells learn it (no plan of this learner's ran there, so no
        query's counts and no slump trend hear it); it decays with the cells like any search, or,
        with ``hold``, is held in cells of its own that never decay (see :meth:`_levels`).
        """
        with self._lock:
            if self.hold:
                self._hold(np.asarray(x, dtype=np.float64), ranks, counts)
                return
            slump, self.slump = self.slump, False
            try:
                self.observe(x, {a: MAX_RANK for a in self.arms}, self.arms, ranks, counts, p_wide=0.0,
                             judged=True, judged_share=1.0)
            finally:
                self.slump = slump

    def _hold(self, x: np.ndarray, ranks: Mapping[str, int | None], counts: Mapping[str, int] | None) -> None:
        """One warm-start search into the held cells of ``x``'s kinds (weight 1, never decayed; a
        search no arm has counts in them without a row). Call under the lock."""
        r = rank_codes(self.arms, ranks)
        for key in self.cell_keys(x):
            cell = self._held.setdefault(key, Cell())
            cell.t += 1
            if (r <= MAX_RANK).any():
                cell.push(r, list_lengths(self.arms, counts), 1.0, self.buffer)
        self.n_events += 1

    def observe_found_later(self, x: np.ndarray, ranks: Mapping[str, int | None],
                            counts: Mapping[str, int] | None = None, query: str | None = None,
                            ranks_now: Mapping[str, int | None] | None = None) -> None:
        """Learn from a target the user found after this search failed them (``found_later``).

        The search was already counted when it was resolved (its skip, or its click on
        something else); only the target's ranks are added, with weight 1. A miss is seen
        this way whatever the logging policy ran, so there is no propensity to correct
        by; only the share of misses users follow up is unknown, which makes
        the gain of what would have fixed them an underestimate, never an overestimate.
        ``query``: the search's normalized text, whose cell learns it too while it is kept (with
        ``ranks_now`` in place of the ranks they name: see :meth:`observe`).
        """
        with self._lock:
            keys = self.cell_keys(np.asarray(x, dtype=np.float64), query)
            # A query's cell exists while its counts are kept; a find never brings one back.
            keys = [k for k in keys if not is_query_key(k) or k in self._cells]
            r = rank_codes(self.arms, ranks)
            self._append(keys, r, counts, self._later_weight(), self._now(r, ranks_now))

    def _later_weight(self) -> float:
        """The weight of a find after a miss (call under the lock): 1, or with ``later`` the inverse
        of the share of unclicked searches a find followed, counting this one, capped at ``later``.
        Users follow up only some misses; if which ones does not depend on the arm that would have
        found them, each find followed up stands for 1 / that share of them (inverse probability
        weighting of a missing outcome), as a judged search stands for 1 / the judged share."""
        if not self.later:
            return 1.0
        self._followed += 1.0
        share = self._followed / max(self._unclicked, self._followed)
        return float(min(self.later, 1.0 / share))

    def _now(self, r: np.ndarray, ranks_now: Mapping[str, int | None] | None) -> np.ndarray | None:
        """The rank codes ``r`` with the arms ``ranks_now`` names ranked as they are now; None
        when it names none of this learner's arms."""
        named = [i for i, a in enumerate(self.arms) if a in (ranks_now or {})]
        if not named:
            return None
        out = r.copy()
        for i in named:
            out[i] = rank_code(ranks_now[self.arms[i]])
        return out

    def _append(self, keys: list[tuple], r: np.ndarray, counts: Mapping[str, int] | None, inv_w: float,
                r_now: np.ndarray | None = None) -> None:
        """Buffer one target's rank codes ``r`` in every cell of ``keys``; the query's own cell
        buffers ``r_now`` when given (see :meth:`observe`)."""
        c = list_lengths(self.arms, counts)
        self.n_clicks += 1
        for key in keys:
            own = is_query_key(key)
            self._cells.setdefault(key, Cell()).push(r_now if own and r_now is not None else r, c, inv_w,
                                                     QUERY_BUFFER if own else self.buffer)

    # -- reports and saved state -----------------------------------------------------------

    def n_cells(self) -> int:
        """Context cells seen (the root included)."""
        return len(self._cells)

    def _config(self) -> dict:
        """The settings a saved state is only valid under (a state learnt under others is refused)."""
        return {"arms": list(self.arms), "cost_per_candidate": self.cost_per_candidate,
                "cost_per_ms": self.cost_per_ms, "epsilon": self.epsilon,
                "wide": self.wide, "wide_min": self.wide_min, "wide_budget": self.wide_budget,
                "contextual": self.contextual, "prior": self.prior, "decay": self.decay,
                "buffer": self.buffer, "weight_cap": self.weight_cap, "ladder": LADDER.tolist(),
                "max_rank": MAX_RANK,
                # Only when kept, so that a state saved before query counts existed still loads.
                **({"queries": self.queries} if self.queries else {}),
                **({"query_prior": self.query_prior} if self.query_prior else {}),
                **({"probe_prior": self.probe_prior} if self.probe_prior else {}),
                **({"tries": self.tries} if self.tries else {}),
                **({"slump": True} if self.slump else {}),
                **({"floor": self.floor, "floor_cost": self.floor_cost} if self.floor else {}),
                **({"doubt": self.doubt} if self.doubt else {}),
                **({"hold": True} if self.hold else {}),
                **({"later": self.later} if self.later else {}),
                **({"push": self.push} if self.push else {})}

    def state_dict(self) -> dict:
        """What was learned, as JSON-ready values plus numpy arrays (one row per buffered click).

        The random stream is not part of it: after :meth:`load_state_dict` it
        restarts from the seed, exactly as after replaying the same history.
        """
        with self._lock:
            return {"config": self._config(), "n_events": self.n_events, "n_clicks": self.n_clicks,
                    "arm_ms": [None if not np.isfinite(v) else float(v) for v in self._ms],
                    "novel": [float(v) for v in self._novel],
                    **({"follow_ups": [self._unclicked, self._followed]} if self.later else {}),
                    **({"crowd": {k: [float(v) for v in a] for k, a in self._crowd.items()}} if self.push else {}),
                    **cells_to_state(self._cells, len(self.arms)),
                    **({"held": cells_to_state(self._held, len(self.arms))} if self._held else {}),
                    # Least recently searched first, as kept.
                    "query_counts": [[q, *map(float, v)] for q, v in self._queries.counts.items()]}

    def load_state_dict(self, state: Mapping) -> None:
        """Replace what was learned by :meth:`state_dict`'s output; ValueError (state unchanged)
        when it was saved under other settings or is malformed. The random stream restarts."""
        if state.get("config") != self._config():
            raise ValueError("coverage state was saved under other settings (arms, ladder or parameters)")
        cells, queries, n_events, n_clicks, arm_ms = state_to_parts(state, len(self.arms), self.queries)
        held = state_to_cells(state["held"], len(self.arms)) if state.get("held") else {}
        follow_ups = np.asarray(state.get("follow_ups") or (0.0, 0.0), dtype=np.float64)
        if follow_ups.shape != (2,) or not np.all(np.isfinite(follow_ups) & (follow_ups >= 0)):
            raise ValueError("malformed coverage state: follow_ups must hold two counts of 0 or more")
        novel = np.ones(len(self.arms))        # a state saved before novelty was kept: every find counts
        if state.get("novel") is not None:
            novel = np.asarray(state["novel"], dtype=np.float64)
            if novel.shape != (len(self.arms),) or not np.all((novel >= 0) & (novel <= 1)):
                raise ValueError("malformed coverage state: novel must hold one share in [0, 1] per arm")
        crowd = {}
        for k, v in (state.get("crowd") or {}).items():
            a = np.asarray(v, dtype=np.float64)
            if a.shape != (len(self.arms),) or not np.all((a >= 0) & (a <= 1)):
                raise ValueError("malformed coverage state: crowd must hold one share in [0, 1] per arm per kind")
            crowd[str(k)] = a
        with self._lock:
            self._cells = cells
            self._held = held
            self._crowd = crowd
            self._queries = QueryCounts(self.queries, len(self.arms))
            self._queries.counts = queries
            self._rng = np.random.default_rng(self.seed)
            self.n_events, self.n_clicks = n_events, n_clicks
            self._unclicked, self._followed = map(float, follow_ups)
            self._ms = arm_ms
            self._novel = novel
