"""The coverage learner: which arms to run, and how deep, learned from clicks.

The objective is :mod:`ltrr.reward`'s: per search, 1 if the wanted entity is in
the union of the arms' lists (each cut at its budget), minus
``cost_per_candidate`` per candidate retrieved. An action is a budget per arm
from :data:`~ltrr.reward.BUDGET_LADDER` (0 = the arm does not run).

**What is learned.** After a click the engine computes the clicked entity's
rank in *every* arm's list up to :data:`~ltrr.reward.MAX_RANK` (arms are
deterministic and cheap to rerun), so one click tells every ``(arm, budget)``
pair whether it would have found the item: full-information feedback,
censored at the largest budget. The learner keeps, per context cell, a
bounded buffer of these rank vectors and estimates the coverage of any
configuration ``B = {arm: budget}`` as a Horvitz-Thompson mean::

    cov(B) = sum_i [B covers r_i] / w_i  /  N

where ``N`` counts the cell's resolved searches (clicks and skips) and ``w_i``
is the probability that the *logging* policy's configuration would have
covered click ``i`` (known exactly: the policy's draw is logged and ``r_i`` is
known for every arm). Only covered targets can be clicked, so without the
``1 / w_i`` weights the arms the policy already runs would look perfect and an
arm it rarely runs useless; with them the estimate is unbiased for every
configuration the exploration reaches. A skip adds to ``N`` only: it is
censored evidence, not a zero for the arms that happened to run. A target the
user found *after* the search failed them (:meth:`CoverageLearner.observe_found_later`,
the engine's ``found_later``) joins the buffer with weight 1: misses are seen
that way whatever the policy ran, so what would have fixed them is learned
without exploring for it (underestimated, since only some misses are
followed up).
A *judged* search (someone says what was wanted, retrieved or not; a random share ``s`` of
searches) is heard whatever ran: with judgments, a row reaches the buffer with chance
``s + (1 - s) w`` and is weighted by its inverse (:meth:`CoverageLearner.observe`), so
misses no configuration of the policy could retrieve are learned without exploring for them.

**Context.** Cells form a hierarchy: the query's kind (shape, script,
typo-likeness, what query understanding found) -> its shape -> everything.
A cell's estimate is shrunk towards its parent's with ``prior`` pseudo
searches (hierarchical smoothing), so a new kind of query starts from what
its shape, then all queries, taught. The default, 50, is strong on purpose:
with a weak prior a fine cell drops an arm its kind needs on the strength of
a few searches; the price is that a cell also borrows its parent's gain for
arms only its siblings need, until its own data outweighs the prior.
What an arm adds at a depth is seen only on searches that ran it that deep,
so each step of an arm's ladder is shrunk with the cell's *reach* there (the
decayed count of its searches whose logging policy ran the arm at least that
deep, in expectation) rather than with all its searches: an arm a cell never
runs takes its parent's gain instead of a confident zero, so a gain found in
sibling cells (a new kind of query that several cells now receive) reaches
the cells that have not explored it, and the cell's own evidence takes over as
fast as it runs the arm. ``context=0`` keeps only the root: the
context-free baseline. Counts decay with a half-life (in resolved searches)
so the learner follows drift, and buffers are bounded: the state's size does
not grow with the length of the history.

**Choice.** Coverage of a union is monotone submodular in the set of
``(arm, budget)`` increments, so the configuration is built greedily: at each
step the increment with the best coverage gain per candidate is taken while
its gain exceeds ``cost_per_candidate`` times its candidates (Streeter &
Golovin 2008, online submodular maximisation; Yue & Guestrin 2011, linear
submodular bandits, for the coverage view of diversified retrieval). A
candidate is counted as what the arm actually returns in this cell
(``min(budget, its list length)``), so an arm that returns little costs little.
Optionally (``cost_per_ms``) starting an arm also costs its measured
milliseconds: a smoothed mean of the arm's logged run times
(:meth:`CoverageLearner.observe_latency`), so a slow arm must find more to
be run at all; its budget, once it runs, is still priced by candidates.

**Exploration.** Only deeper budgets are explored: from a click the ranks of
every arm are known, so shallower budgets are learned for free.

* *Wide*: every available arm runs at least at ``wide_budget``, so a miss
  that any arm could fix is discovered at once. Its chance
  (:meth:`CoverageLearner.wide_probability`) grows with what it may find -
  the greedy configuration's estimated miss rate at first, then more and more
  the measured gain of the wide configuration as wide explorations of the cell
  accumulate (a mood no arm understands stops paying for it) - and fades as
  the query's cell is learned.
* *Deepen*, with probability ``epsilon``: one arm is raised to a uniformly
  chosen higher level, among the levels that could pay (a step whose
  candidates cost more than the whole estimated miss rate can never be bought,
  so exploring it is pure cost; the highest level per arm is logged,
  ``deepen_top``). The arm is drawn in proportion to its estimated coverage
  alone at the deepest budget in this context plus a floor
  (:data:`DEEPEN_FLOOR`): a near miss of an arm that finds this kind of query
  (a typo at rank 3 of the fuzzy arm run at 1) is only seen when that arm is
  deepened, so the draws go where discoveries are.
* *A query that keeps failing* (:meth:`CoverageLearner.query_push`, with
  ``queries`` > 0): a cell's miss rate averages over all its queries, so new
  demand that is a minority of its cell (a few new phrasings asking what just
  came out, typed again and again) hardly moves it. Per recent query text the
  learner counts searches, clicked searches and wide explorations that got no
  click; the excess of the query's own miss rate over its cell's is added to
  the chance of wide exploration, fading as wide explorations of that query
  go unclicked. The counts are bounded: the ``queries`` most recently searched.
* *Drift alarm* (:meth:`CoverageLearner.drift_alarm`): fading judges past
  demand. When a cell's coverage over its last :data:`RECENT` searches falls
  more than :data:`ALARM_Z` standard errors below its coverage over the whole
  window, the fall is added, unfaded, to the chance of wide exploration
  (logged as ``alarm``), until the new searches are served or the window has
  absorbed the change.

Every configuration has a known probability, the logged propensities are
exact (per arm: the chance it runs, and the chance of the very budget it
got), and ``w_i`` above is computed from the logged greedy configuration and
exploration rule.

**Credit** for reports and the log is :func:`ltrr.reward.marginal_credit`.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.reward import BUDGET_LADDER, MAX_RANK

LADDER = np.array(BUDGET_LADDER, dtype=np.int64)
_NOT_FOUND = MAX_RANK + 1                # rank code for "not within MAX_RANK"
LATENCY_SMOOTHING = 0.05                 # weight of a new run time in an arm's mean milliseconds
EXPLORE_HALF = 100.0                     # resolved searches of a cell at which wide exploration is 0.71x
DEEPEN_FLOOR = 0.05                      # weight every arm keeps in the deepening draw
WIDE_PRIOR = 5.0                         # wide explorations after which their measured gain counts half
RECENT = 50                              # a cell's last searches the drift alarm compares with its window
ALARM_Z = 3.0                            # standard errors a recent fall in coverage must exceed
QUERY_PRIOR = 5.0                        # pseudo searches shrinking a query's own miss rate towards its cell's
QUERY_HALFLIFE = 30.0                    # a query's own searches after which its counts weigh half
_IDX = {name: i for i, name in enumerate(CONTEXT_FEATURES)}

# Context features that define a query's kind: shape, script, typo-likeness, QU's reading.
_SHAPE = ("q_one_word", "q_two_words", "q_three_plus_words", "q_has_digits", "q_non_latin")
_KIND = tuple(n for n in CONTEXT_FEATURES
              if n.startswith(("type_", "slot_")) or n in ("intent_any", "q_unknown_words"))


class _Level(NamedTuple):
    """One context cell as arrays: its window count, and per buffered click its ranks, list
    lengths, weight and whether each arm found it within each ladder level."""

    n: float
    ranks: np.ndarray        # (m, arms) rank codes
    counts: np.ndarray       # (m, arms) list lengths
    w: np.ndarray            # (m,) decayed inverse-propensity weights
    hit: np.ndarray          # (m, arms, levels) ranks <= LADDER
    n_wide: float = 0.0      # decayed count of wide explorations among the cell's searches
    age: np.ndarray | None = None   # (m,) cell searches since each buffered click
    span: int = 0            # resolved searches the buffer window covers (undecayed)
    reach: np.ndarray | float = 0.0   # (arms, levels) decayed searches that ran each arm that deep


class _Rule(NamedTuple):
    """A logged exploration rule, resolved: per arm the deepest level, the chances of the three
    modes, and per arm the chance deepening picks it."""

    top: np.ndarray
    p_greedy: float
    p_deepen: float
    p_wide: float
    q: np.ndarray


@dataclass
class _Cell:
    """One context cell: decayed count of resolved searches and a bounded buffer of clicks."""

    t: int = 0                          # the cell's clock: resolved searches seen
    start: int = 1                      # clock of the oldest search the buffer still covers
    ranks: deque = field(default_factory=deque)     # per click: int16 rank code per arm
    counts: deque = field(default_factory=deque)    # per click: list length (<= MAX_RANK) per arm
    inv_w: deque = field(default_factory=deque)     # per click: 1 / w_i
    born: deque = field(default_factory=deque)      # per click: the cell clock when it happened
    n_wide: float = 0.0                 # decayed count of wide explorations, as of clock wide_t
    wide_t: int = 0
    reach: np.ndarray | None = None     # (arms, levels) decayed P(arm ran at least that deep), as of wide_t


class CoverageLearner:
    """Contextual coverage bandit over ``(arm, budget)`` actions; see the module docstring.

    Thread-safe. Deterministic for a given seed and sequence of calls.
    """

    def __init__(self, arms: Sequence[str], seed: int = 0, cost_per_candidate: float = 0.004,
                 epsilon: float = 0.05, contextual: bool = True, prior: float = 50.0,
                 wide: float = 0.3, wide_budget: int = 3, wide_min: float = 0.01,
                 halflife: float = 300.0, buffer: int = 600, weight_cap: float | None = None,
                 cost_per_ms: float = 0.0, queries: int = 0) -> None:
        self.arms = tuple(arms)
        self.seed = int(seed)
        self.cost_per_candidate = float(cost_per_candidate)
        self.cost_per_ms = float(cost_per_ms)
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
        self._query_decay = 0.5 ** (1.0 / QUERY_HALFLIFE)
        # Largest inverse-propensity weight; default: that of a plain discovery (see observe).
        self.weight_cap = float(weight_cap) if weight_cap else 1.0 / max(self.wide_min, 1e-3)
        self._lock = threading.RLock()
        self.reset()

    @classmethod
    def from_params(cls, arms: Sequence[str], params: Mapping[str, float], seed: int = 0) -> "CoverageLearner":
        """The learner a ``coverage`` policy spec describes (``PolicySpec.params``: cost, epsilon,
        wide, wide_at, context, prior, ms, queries)."""
        return cls(arms, seed=seed, cost_per_candidate=params["cost"], epsilon=params["epsilon"],
                   wide=params["wide"], wide_budget=int(params["wide_at"]), contextual=params["context"] > 0,
                   prior=params["prior"], cost_per_ms=params["ms"], queries=int(params["queries"]))

    def reset(self) -> None:
        """Forget everything learned and restart the random stream from the seed."""
        with self._lock:
            self._cells: dict[tuple, _Cell] = {}
            # Per recent query text: decayed searches, clicked searches, wide explorations
            # without a click; least recently searched first.
            self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
            self._rng = np.random.default_rng(self.seed)
            self.n_events = 0
            self.n_clicks = 0
            self._ms = np.full(len(self.arms), np.nan)     # smoothed run time per arm, ms

    # -- keys ---------------------------------------------------------------------------

    def cell_keys(self, x: np.ndarray) -> list[tuple]:
        """The cells of context ``x``, finest first, ending with the root ``()``."""
        if not self.contextual:
            return [()]
        shape = tuple(int(x[_IDX[n]] >= 0.5) for n in _SHAPE)
        free = float(x[_IDX["q_free_text_share"]])
        shape = shape + (0 if free == 0 else 1 if free < 0.99 else 2,)
        kind = tuple(int(x[_IDX[n]] >= 0.5) for n in _KIND)
        return [("k",) + shape + kind, ("s",) + shape, ()]

    # -- estimates ------------------------------------------------------------------------

    def _cell_arrays(self, key: tuple) -> _Level | None:
        cell = self._cells.get(key)
        if cell is None or cell.t <= 0:
            return None
        # Decayed count of the resolved searches the buffer window covers (clicks and skips).
        n = self._decayed_count(cell.t - cell.start + 1)
        # A state saved before reach was kept counts every arm as run at every depth: the old rule.
        reach = n if cell.reach is None else np.minimum(cell.reach * self.decay ** (cell.t - cell.wide_t), n)
        if not cell.ranks:
            n_arms = len(self.arms)
            return _Level(n, np.zeros((0, n_arms), np.int16), np.zeros((0, n_arms)), np.zeros(0),
                          np.zeros((0, n_arms, len(LADDER)), dtype=bool), self._n_wide(cell), np.zeros(0),
                          cell.t - cell.start + 1, reach)
        age = cell.t - np.fromiter(cell.born, dtype=np.float64, count=len(cell.born))
        weights = np.asarray(cell.inv_w, dtype=np.float64) * self.decay ** age
        ranks = np.stack(cell.ranks)
        return _Level(n, ranks, np.stack(cell.counts), weights, ranks[:, :, None] <= LADDER[None, None, :],
                      self._n_wide(cell), age, cell.t - cell.start + 1, reach)

    def _decayed_count(self, searches: int) -> float:
        """Decayed count of the last ``searches`` resolved searches (the newest weighs 1)."""
        return (1.0 - self.decay ** max(searches, 0)) / (1.0 - self.decay)

    def _n_wide(self, cell: _Cell) -> float:
        return cell.n_wide * self.decay ** (cell.t - cell.wide_t)

    def _levels(self, x: np.ndarray) -> list[_Level]:
        """The cells of ``x`` that hold anything, finest first, as arrays."""
        return [a for a in (self._cell_arrays(k) for k in self.cell_keys(x)) if a is not None]

    def _gains(self, levels, budgets: np.ndarray) -> tuple[np.ndarray, float]:
        """Coverage gain of raising each arm to each ladder level, and the current coverage."""
        n_arms, n_lev = len(self.arms), len(LADDER)
        gain = np.zeros((n_arms, n_lev))
        cover = 0.0
        # Root first: each finer level is shrunk towards the coarser one.
        for depth, lv in enumerate(reversed(levels)):
            n, ranks, w, hit = lv.n, lv.ranks, lv.w, lv.hit
            if len(w):
                covered = (ranks <= budgets[None, :]).any(axis=1)
                free = ~covered
                g = np.einsum("m,mal->al", w * free, hit)
                c = float(w @ covered)
            else:
                g, c = np.zeros((n_arms, n_lev)), 0.0
            # What an arm adds at a depth is only seen on searches that ran it that deep: below
            # the root, its cell mean g / n weighs as many searches as did (the cell's reach)
            # and the rest is the parent's, so an arm a cell never runs takes its parent's gain
            # instead of a confident zero and a gain found in sibling cells reaches it. The
            # root has no parent to defer to: its own mean, shrunk towards nothing as before.
            # Per step of the ladder (a step's increment is seen on searches that ran the arm
            # that deep; the steps below it on more of them), then summed back up.
            if depth == 0:
                gain = (g + self.prior * gain) / (n + self.prior)
            else:
                step = (lv.reach * np.diff(g / n, axis=1, prepend=0.0)
                        + self.prior * np.diff(gain, axis=1, prepend=0.0)) / (lv.reach + self.prior)
                gain = np.cumsum(step, axis=1)
            cover = (c + self.prior * cover) / (n + self.prior)
        return gain, cover

    def _expected_counts(self, levels) -> np.ndarray:
        """Per arm and ladder level: candidates the arm is expected to return in this context."""
        est = np.tile(LADDER.astype(np.float64), (len(self.arms), 1))
        for lv in reversed(levels):
            counts, w = lv.counts, lv.w
            if not len(w):
                continue
            ww = w / w.sum()
            mean = np.einsum("m,mal->al", ww, np.minimum(counts[:, :, None], LADDER[None, None, :]))
            est = (len(w) * mean + 2.0 * est) / (len(w) + 2.0)
        return est

    def greedy(self, x: np.ndarray, mask: np.ndarray,
               levels: list[_Level] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        """The greedy configuration at ``x`` (budgets per arm), per-arm coverage alone, and its coverage.

        ``levels`` are ``x``'s cells as :meth:`_levels` gives them (computed when not given).
        """
        with self._lock:
            levels = self._levels(x) if levels is None else levels
            budgets, alone, cover, _ = self._greedy(levels, mask)
            return budgets, _alone_at(alone, budgets), cover

    def _greedy(self, levels: list[_Level],
                mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, float, np.ndarray | None]:
        """:meth:`greedy`'s budgets and coverage, with what the exploration rule reuses: every
        arm's coverage alone at every level and its expected candidates (None before any data)."""
        budgets = np.zeros(len(self.arms), dtype=np.int64)
        if not levels:
            # Nothing learned anywhere yet: run every available arm at a middle budget so
            # that clicks (and their full-information ranks) start to arrive.
            budgets[mask] = 10
            return budgets, None, float("nan"), None
        gain, now = self._gains(levels, budgets)
        alone = gain            # from nothing, each arm's gain is its coverage alone
        counts = self._expected_counts(levels)
        lam = self.cost_per_candidate
        start_ms = self._start_costs()
        for _ in range(len(self.arms) * len(LADDER)):
            # Coverage is a probability: a noisy Horvitz-Thompson sum above 1 buys nothing.
            now = float(np.clip(now, 0.0, 1.0))
            gain = np.clip(now + gain, 0.0, 1.0) - now
            cur = np.array([counts[a, np.searchsorted(LADDER, budgets[a])] for a in range(len(self.arms))])
            extra = counts - cur[:, None]
            ok = (LADDER[None, :] > budgets[:, None]) & mask[:, None]
            # Starting an arm also pays its milliseconds (0 without cost_per_ms), counted
            # for the ratio as the candidates that would cost as much.
            start = np.where(budgets == 0, start_ms, 0.0)[:, None]
            net = gain - lam * extra - start
            per = extra + (start / lam if lam > 0 else 0.0)
            ratio = np.where(ok & (net > 1e-9), gain / np.maximum(per, 0.5), -np.inf)
            if not np.isfinite(ratio).any():
                break
            a, lev = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
            budgets[a] = LADDER[lev]
            gain, now = self._gains(levels, budgets)
        return budgets, alone, float(np.clip(now, 0, 1)), counts

    # -- deciding -------------------------------------------------------------------------

    def select(self, x: np.ndarray, mask: np.ndarray, query: str | None = None) -> dict:
        """Budgets, exact propensities and estimates for context ``x`` over the available ``mask``
        (``query``: the normalized query text, whose own counts may raise wide exploration).

        Returns ``{"budgets", "greedy", "p_run", "p_budget", "expectation", "coverage", "explored"}``
        where ``explored`` is "", "deepen" or "wide".
        """
        with self._lock:
            greedy, alone, cover, p_wide, deepen, top, alarm = self._plan(x, mask, query)
            budgets = greedy.copy()
            coin, pick_arm, pick_level = self._rng.random(3)
            up = self._upgradable(greedy, mask, top)
            explored = ""
            if coin < p_wide:
                explored = "wide"
                budgets = self._widened(greedy, mask)
            elif up.size and coin < p_wide + self.epsilon:
                explored = "deepen"
                cum = np.cumsum(deepen[up])
                a = int(up[min(int(np.searchsorted(cum, pick_arm * cum[-1], side="right")), up.size - 1)])
                higher = _deeper(int(greedy[a]), int(top[a]))
                budgets[a] = higher[min(int(pick_level * higher.size), higher.size - 1)]
            p_run, p_budget = self.propensities(greedy, mask, budgets, p_wide, deepen, top)
            return {"budgets": budgets, "greedy": greedy, "p_run": p_run, "p_budget": p_budget,
                    "expectation": alone, "coverage": cover, "explored": explored, "p_wide": p_wide,
                    "deepen": deepen, "deepen_top": top, "alarm": alarm}

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
            "deepen": {a: float(d["deepen"][i]) for i, a in enumerate(self.arms) if d["deepen"][i] > 0},
            "deepen_top": {a: int(d["deepen_top"][i]) for i, a in enumerate(self.arms) if d["deepen"][i] > 0},
            "coverage": None if not np.isfinite(coverage) else round(float(coverage), 6),
        }

    def _plan(self, x: np.ndarray, mask: np.ndarray, query: str | None = None) -> tuple:
        """Greedy budgets, per-arm coverage alone, coverage, and the exploration rule at ``x``."""
        levels = self._levels(x)
        greedy, alone, cover, counts = self._greedy(levels, mask)
        # The finest cell that holds anything says how well this kind of query is known, how
        # often wide exploration has already been tried there and whether it recently got worse.
        alarm = self.drift_alarm(greedy, levels[0]) if levels else 0.0
        p_wide = self.wide_probability(cover, levels[0].n if levels else 0.0, *self._wide_gain(
            greedy, mask, cover, levels), alarm=alarm, push=self.query_push(query, cover))
        top = self.deepen_top(greedy, mask, cover, levels, counts)
        deepen = self.deepen_weights(greedy, mask, levels, top=top, alone=alone)
        return greedy, _alone_at(alone, greedy), cover, p_wide, deepen, top, alarm

    def run_probabilities(self, x: np.ndarray, mask: np.ndarray,
                          query: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per arm at ``x``: its estimated coverage alone at its greedy budget, and the chance
        it runs under the exploration rule (what :meth:`select` would draw from)."""
        with self._lock:
            greedy, alone, _, p_wide, deepen, top, _ = self._plan(x, mask, query)
            p_run, _ = self.propensities(greedy, mask, greedy, p_wide, deepen, top)
            return alone, p_run

    def deepen_top(self, greedy: np.ndarray, mask: np.ndarray, cover: float,
                   levels: list[_Level], counts: np.ndarray | None = None) -> np.ndarray:
        """Per arm: the deepest budget exploration may deepen it to, ``greedy`` where none pays.

        A level pays at most the greedy configuration's estimated miss rate
        (``1 - cover``), so a level whose extra candidates (as the arm returns
        them in this context) cost more than that is never explored. ``counts``: the
        arms' expected candidates at these levels, when already known.
        """
        top = np.full(len(self.arms), int(LADDER[-1]), dtype=np.int64)
        if not levels or not np.isfinite(cover) or (self.cost_per_candidate <= 0 and self.cost_per_ms <= 0):
            return top          # nothing has a price: every level could pay
        miss = 1.0 - float(np.clip(cover, 0.0, 1.0))
        counts = self._expected_counts(levels) if counts is None else counts
        start_ms = self._start_costs()
        for a in range(len(self.arms)):
            cur = counts[a, int(np.searchsorted(LADDER, greedy[a]))]
            cost = self.cost_per_candidate * (counts[a] - cur) + (start_ms[a] if greedy[a] == 0 else 0.0)
            payable = (LADDER > greedy[a]) & (cost <= miss)
            top[a] = int(LADDER[payable].max()) if payable.any() else int(greedy[a])
        return np.where(mask, top, greedy)

    def deepen_weights(self, greedy: np.ndarray, mask: np.ndarray, levels: list[_Level] | None = None,
                       x: np.ndarray | None = None, top: np.ndarray | None = None,
                       alone: np.ndarray | None = None) -> np.ndarray:
        """Per arm: the chance that deepening picks it (0 for arms it cannot deepen), rounded
        to 6 decimals so that the logged values are the ones drawn with.

        Proportional to :data:`DEEPEN_FLOOR` + the arm's estimated coverage alone at the
        deepest budget in this context (``levels``, or computed from ``x``); ``top``: see
        :meth:`deepen_top` (default: the top of the ladder); ``alone``: every arm's
        coverage alone per level at these levels, when already known.
        """
        with self._lock:
            up = self._upgradable(greedy, mask, top)
            q = np.zeros(len(self.arms))
            if not up.size:
                return q
            if levels is None:
                levels = self._levels(x) if x is not None else []
            score = np.full(len(self.arms), 1.0)
            if levels:
                if alone is None:
                    alone, _ = self._gains(levels, np.zeros(len(self.arms), dtype=np.int64))
                score = DEEPEN_FLOOR + np.clip(np.nan_to_num(alone[:, -1]), 0.0, 1.0)
            q[up] = score[up] / score[up].sum()
            return np.round(q, 6)

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

    def arm_milliseconds(self) -> dict[str, float]:
        """Each timed arm's smoothed run time (ms)."""
        with self._lock:
            return {a: float(v) for a, v in zip(self.arms, self._ms) if np.isfinite(v)}

    def _wide_gain(self, greedy: np.ndarray, mask: np.ndarray, cover: float,
                   levels: list[_Level]) -> tuple[float | None, float]:
        """Estimated coverage gain of the wide configuration over the greedy one at these
        levels (None before anything is known), and the wide explorations behind it."""
        if not levels or not np.isfinite(cover):
            return None, 0.0
        _, wide_cover = self._gains(levels, self._widened(greedy, mask))
        return float(np.clip(wide_cover, 0.0, 1.0)) - float(np.clip(cover, 0.0, 1.0)), levels[0].n_wide

    def drift_alarm(self, budgets: np.ndarray, level: _Level) -> float:
        """How far ``budgets``' coverage over the cell's last :data:`RECENT` searches fell
        below its coverage over the cell's whole window, when the fall exceeds
        :data:`ALARM_Z` standard errors; else 0.

        Wide exploration fades where it has been tried and found nothing, and
        as a cell becomes known; both are judgements about past demand. New
        demand (a kind of query nobody typed before, such as asking what just
        came out after a batch of releases) shows first as a run of skips in a
        cell that was served well: the clicks the configuration still covers
        fall. That fall is misses nothing has yet been tried on.
        """
        if level.age is None or level.span < 2 * RECENT or level.n <= 0:
            return 0.0
        covered = (level.ranks <= budgets[None, :]).any(axis=1)
        whole = float(np.clip(level.w @ covered / level.n, 0.0, 1.0))
        last = level.age < RECENT
        # Undo the decay: the recent window is short enough to count every search alike.
        raw = level.w[last] / self.decay ** level.age[last]
        recent = float(np.clip(raw @ covered[last] / RECENT, 0.0, 1.0))
        fall = whole - recent
        se = float(np.sqrt(max(whole * (1.0 - whole), 0.01) / RECENT))
        return round(fall, 6) if fall > ALARM_Z * se else 0.0

    def wide_probability(self, cover: float, seen: float = 0.0, gain: float | None = None,
                         tried: float = 0.0, alarm: float = 0.0, push: float = 0.0) -> float:
        """Chance of wide exploration: ``wide`` x what it may find x ``sqrt(k / (k + seen))``,
        plus ``alarm`` (see :meth:`drift_alarm`) and ``push`` (see :meth:`query_push`).

        Exploring wide pays where the greedy configuration misses (a miss some
        arm could fix is found only that way) and is wasted where it already
        covers nearly everything, and it pays less the more of the query's cell
        is known (``seen``: its recent resolved searches; ``k`` =
        :data:`EXPLORE_HALF`). What it may find is the estimated miss rate,
        until wide explorations have been ``tried`` in the cell: then, more and
        more, the estimated ``gain`` of the wide configuration itself, so that a
        kind of query whose misses no arm fixes (a mood no arm understands)
        stops paying for it. Never below ``wide_min``; before anything is
        known, ``wide``. A drift ``alarm`` (the share of the cell's searches
        recently lost) is added unfaded: newly lost searches are explored about
        as often as they occur until what serves them is found. The ``push`` of a
        query that keeps failing more than its cell is added the same way.
        """
        miss = 1.0 if not np.isfinite(cover) else 1.0 - float(np.clip(cover, 0.0, 1.0))
        find = miss
        if gain is not None:
            find = (tried * float(np.clip(gain, 0.0, miss)) + WIDE_PRIOR * miss) / (tried + WIDE_PRIOR)
        fade = float(np.sqrt(EXPLORE_HALF / (EXPLORE_HALF + max(0.0, seen))))
        base = min(self.wide, max(self.wide_min, self.wide * find * fade))
        return float(min(1.0 - self.epsilon, base + max(0.0, float(alarm)) + push))

    def query_push(self, query: str | None, cover: float) -> float:
        """Extra chance of wide exploration for a query that keeps failing more than its cell.

        A cell's miss rate averages over every query of its kind, so new demand that is a
        minority of its cell (a handful of new phrasings asking what just came out) barely
        moves it. A query typed again and again without a click is direct evidence: the
        excess of its own miss rate (shrunk towards the cell's with :data:`QUERY_PRIOR`)
        over the cell's is added, times ``wide``, fading as wide explorations of that very
        query end without a click (a query no arm serves stops paying for them).
        """
        stat = self._queries.get(query) if query else None
        if stat is None or not np.isfinite(cover):
            return 0.0
        n, clicks, wide_misses = stat
        cell_miss = 1.0 - float(np.clip(cover, 0.0, 1.0))
        miss = (max(n - clicks, 0.0) + QUERY_PRIOR * cell_miss) / (n + QUERY_PRIOR)
        return self.wide * max(0.0, miss - cell_miss) * WIDE_PRIOR / (WIDE_PRIOR + wide_misses)

    def _observe_query(self, query: str, clicked: bool, wide: bool) -> None:
        """Fold one resolved search into its query's counts (the least recent leave beyond ``queries``)."""
        stat = self._queries.pop(query, None)
        if stat is None:
            stat = np.zeros(3)
        stat = stat * self._query_decay + np.array([1.0, float(clicked), float(wide and not clicked)])
        self._queries[query] = stat
        while len(self._queries) > self.queries:
            self._queries.popitem(last=False)

    def _widened(self, greedy: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The wide exploration: every available arm at least at ``wide_budget``."""
        return np.where(mask, np.maximum(greedy, self.wide_budget), greedy)

    @staticmethod
    def _upgradable(greedy: np.ndarray, mask: np.ndarray, top: np.ndarray | None = None) -> np.ndarray:
        """Available arms below their ``top`` (default: the ladder's): the ones exploration may deepen."""
        return np.flatnonzero(mask & (greedy < (LADDER[-1] if top is None else top)))

    def _tops(self, top: np.ndarray | Mapping[str, int] | None) -> np.ndarray:
        """``top`` as an array per arm (logged by name; None: the top of the ladder)."""
        if top is None:
            return np.full(len(self.arms), int(LADDER[-1]), dtype=np.int64)
        if isinstance(top, Mapping):
            return np.array([int(top.get(a, LADDER[-1])) for a in self.arms], dtype=np.int64)
        return np.asarray(top, dtype=np.int64)

    def _rule(self, greedy: np.ndarray, mask: np.ndarray, p_wide: float | None,
              deepen: np.ndarray | Mapping[str, float] | None,
              top: np.ndarray | Mapping[str, int] | None) -> _Rule:
        """The exploration rule as logged (``p_wide`` None: the policy's ``wide``)."""
        tops = self._tops(top)
        modes = self._modes(greedy, mask, self.wide if p_wide is None else p_wide, deepen, tops)
        return _Rule(tops, *modes)

    def _modes(self, greedy: np.ndarray, mask: np.ndarray, p_wide: float,
               deepen: np.ndarray | Mapping[str, float] | None,
               top: np.ndarray) -> tuple[float, float, float, np.ndarray]:
        """Probabilities of (greedy, deepen, wide) and, per arm, the chance deepening picks it
        (``deepen``: logged weights, per arm or by name; None: uniform over the arms it may pick)."""
        up = self._upgradable(greedy, mask, top)
        q = np.zeros(len(self.arms))
        if deepen is None:
            q[up] = 1.0 / max(up.size, 1)        # a log from before weighted deepening
        else:
            # Logged weights are trusted as they are (none: deepening was impossible).
            q = (np.array([float(deepen.get(a, 0.0)) for a in self.arms]) if isinstance(deepen, Mapping)
                 else np.asarray(deepen, dtype=np.float64).copy())
            q[~np.isin(np.arange(len(self.arms)), up)] = 0.0
        p_deepen = self.epsilon if q.sum() > 0 else 0.0
        return 1.0 - p_deepen - p_wide, p_deepen, p_wide, q

    def propensities(self, greedy: np.ndarray, mask: np.ndarray, budgets: np.ndarray,
                     p_wide: float | None = None, deepen: np.ndarray | Mapping[str, float] | None = None,
                     top: np.ndarray | Mapping[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per arm: P(it runs) and P(it gets exactly ``budgets[a]``), under the exploration rule.

        Exploration only ever deepens: a shallower budget teaches nothing new,
        since a click's ranks are known in full. ``deepen``: the chance deepening
        picks each arm (:meth:`deepen_weights`; None: uniform); ``top``: the deepest
        level it may reach per arm (:meth:`deepen_top`; None: the top of the ladder).
        """
        top, p_greedy, p_deepen, p_wide, q = self._rule(greedy, mask, p_wide, deepen, top)
        wide = self._widened(greedy, mask)
        p_run = np.zeros(len(self.arms))
        p_budget = np.zeros(len(self.arms))
        for a in range(len(self.arms)):
            b, g = budgets[a], greedy[a]
            if q[a] > 0:
                higher = _deeper(int(g), int(top[a]))
                touch = q[a]
                deep_b = (1 - touch) * (b == g) + touch * float(b in higher) / higher.size
                deep_run = (1 - touch) * (g > 0) + touch
            else:
                deep_b, deep_run = float(b == g), float(g > 0)
            p_budget[a] = p_greedy * (b == g) + p_deepen * deep_b + p_wide * (b == wide[a])
            p_run[a] = p_greedy * (g > 0) + p_deepen * deep_run + p_wide * (wide[a] > 0)
        return p_run, p_budget

    def reach_probability(self, greedy: np.ndarray, mask: np.ndarray, p_wide: float | None = None,
                          deepen: np.ndarray | Mapping[str, float] | None = None,
                          top: np.ndarray | Mapping[str, int] | None = None) -> np.ndarray:
        """Per arm and ladder level: P(the logging policy ran the arm at least that deep)."""
        return self._reach(greedy, mask, self._rule(greedy, mask, p_wide, deepen, top))

    def _reach(self, greedy: np.ndarray, mask: np.ndarray, rule: _Rule) -> np.ndarray:
        top, p_greedy, p_deepen, p_wide, q = rule
        at_greedy = (greedy[:, None] >= LADDER[None, :]).astype(np.float64)
        wide = (self._widened(greedy, mask)[:, None] >= LADDER[None, :]).astype(np.float64)
        deep = at_greedy.copy()
        for a in np.flatnonzero(q > 0):
            higher = _deeper(int(greedy[a]), int(top[a]))
            reached = np.maximum(at_greedy[a], (higher[None, :] >= LADDER[:, None]).mean(axis=1))
            deep[a] = (1 - q[a]) * at_greedy[a] + q[a] * reached
        return p_greedy * at_greedy + p_deepen * deep + p_wide * wide

    def cover_probability(self, greedy: np.ndarray, mask: np.ndarray, ranks: np.ndarray,
                          p_wide: float | None = None, deepen: np.ndarray | Mapping[str, float] | None = None,
                          top: np.ndarray | Mapping[str, int] | None = None) -> float:
        """P(the logging policy's configuration covers a target with these ranks) = ``w_i``."""
        return self._cover(greedy, mask, ranks, self._rule(greedy, mask, p_wide, deepen, top))

    def _cover(self, greedy: np.ndarray, mask: np.ndarray, ranks: np.ndarray, rule: _Rule) -> float:
        top, _, p_deepen, p_wide, q = rule
        if bool((ranks <= greedy).any()):
            return 1.0          # every exploration only deepens the greedy configuration
        deep = 0.0
        for a in np.flatnonzero(q > 0):
            higher = _deeper(int(greedy[a]), int(top[a]))
            deep += q[a] * float((ranks[a] <= higher).mean())
        wide = float((ranks <= self._widened(greedy, mask)).any())
        return p_deepen * deep + p_wide * wide

    # -- learning -------------------------------------------------------------------------

    def observe(self, x: np.ndarray, greedy: Mapping[str, int], available: Sequence[str],
                ranks: Mapping[str, int | None] | None, counts: Mapping[str, int] | None = None,
                p_wide: float | None = None, deepen: Mapping[str, float] | None = None,
                deepen_top: Mapping[str, int] | None = None, explored: str = "",
                query: str | None = None, judged: bool = False, judged_share: float = 0.0) -> None:
        """Learn from one resolved search: a click's full-information ``ranks`` (None: a skip).

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
            r = None if ranks is None else self._codes(ranks)
            if query and self.queries > 0:
                # A query's searches are served when clicked, or, judged, when the greedy
                # configuration retrieved what was wanted.
                served = r is not None and (not judged or bool((r <= g).any()))
                self._observe_query(str(query), served, explored == "wide")
            keys = self.cell_keys(np.asarray(x, dtype=np.float64))
            mask = np.array([a in set(available) for a in self.arms], dtype=bool)
            # The logged rule, resolved once for both the reach and the cover probability.
            rule = self._rule(g, mask, p_wide, deepen, deepen_top)
            reached = self._reach(g, mask, rule)
            for key in keys:
                cell = self._cells.setdefault(key, _Cell())
                cell.t += 1
                # n_wide and reach share one clock stamp: both are brought to the present here.
                cell.n_wide = self._n_wide(cell) + float(explored == "wide")
                if cell.reach is None:
                    # New, or from a state saved before reach was kept: every arm counts as run
                    # at every depth on the searches before this one (the old rule, continued).
                    old = np.full_like(reached, self._decayed_count(cell.t - cell.start) * self.decay)
                else:
                    old = cell.reach * self.decay ** (cell.t - cell.wide_t)
                # A judged search shows every arm's every depth, whatever ran.
                cell.reach = old + judged_share + (1.0 - judged_share) * reached
                cell.wide_t = cell.t
            if r is None:
                return
            if judged and not (r <= MAX_RANK).any():
                return      # no arm has it: a miss of every configuration, counted above
            w = self._cover(g, mask, r, rule)
            if w <= 0 and not judged:
                return      # a click no configuration of this policy could produce (e.g. a foreign log)
            w = judged_share + (1.0 - judged_share) * w
            # Inverse propensity, capped at the weight of a plain discovery (by wide
            # exploration, else by deepening one arm). A lower cap would bias the gain of arms the policy
            # rarely runs downwards, and an underestimated arm is never run again to correct it;
            # an overestimate is corrected as soon as the arm runs.
            self._append(keys, r, counts, min(1.0 / w, self.weight_cap))

    def observe_found_later(self, x: np.ndarray, ranks: Mapping[str, int | None],
                            counts: Mapping[str, int] | None = None) -> None:
        """Learn from a target the user found after this search failed them (``found_later``).

        The search was already counted when it was resolved (its skip, or its click on
        something else); only the target's ranks are added, with weight 1. A miss is seen
        this way whatever the logging policy ran, so there is no propensity to correct
        by; only the share of misses users follow up is unknown, which makes
        the gain of what would have fixed them an underestimate, never an overestimate.
        """
        with self._lock:
            keys = self.cell_keys(np.asarray(x, dtype=np.float64))
            self._append(keys, self._codes(ranks), counts, 1.0)

    def _codes(self, ranks: Mapping[str, int | None]) -> np.ndarray:
        """A target's ranks by arm name as rank codes in arm order."""
        return np.array([_code(ranks.get(a)) for a in self.arms], dtype=np.int16)

    def _append(self, keys: list[tuple], r: np.ndarray, counts: Mapping[str, int] | None, inv_w: float) -> None:
        """Buffer one target's rank codes ``r`` in every cell of ``keys`` (the oldest leaves a full buffer)."""
        c = np.array([min(int((counts or {}).get(a, MAX_RANK)), MAX_RANK) for a in self.arms], dtype=np.int16)
        self.n_clicks += 1
        for key in keys:
            cell = self._cells.setdefault(key, _Cell())
            cell.ranks.append(r)
            cell.counts.append(c)
            cell.inv_w.append(inv_w)
            cell.born.append(cell.t)
            while len(cell.ranks) > self.buffer:
                for q in (cell.ranks, cell.counts, cell.inv_w, cell.born):
                    q.popleft()
                cell.start = cell.born[0]

    # -- reports --------------------------------------------------------------------------

    def n_cells(self) -> int:
        """Context cells seen (the root included)."""
        return len(self._cells)

    # -- checkpoints ----------------------------------------------------------------------

    def _config(self) -> dict:
        """The settings a saved state is only valid under (a state learnt under others is refused)."""
        return {"arms": list(self.arms), "cost_per_candidate": self.cost_per_candidate,
                "cost_per_ms": self.cost_per_ms, "epsilon": self.epsilon,
                "wide": self.wide, "wide_min": self.wide_min, "wide_budget": self.wide_budget,
                "contextual": self.contextual, "prior": self.prior, "decay": self.decay,
                "buffer": self.buffer, "weight_cap": self.weight_cap, "ladder": LADDER.tolist(),
                "max_rank": MAX_RANK,
                # Only when kept, so that a state saved before query counts existed still loads.
                **({"queries": self.queries} if self.queries else {})}

    def state_dict(self) -> dict:
        """What was learned, as JSON-ready values plus numpy arrays (one row per buffered click).

        The random stream is not part of it: after :meth:`load_state_dict` it
        restarts from the seed, exactly as after replaying the same history.
        """
        with self._lock:
            cells = list(self._cells.items())
            sizes = [len(c.ranks) for _, c in cells]
            n_arms = len(self.arms)

            def stacked(attr: str, dtype) -> np.ndarray:
                rows = [row for _, c in cells for row in getattr(c, attr)]
                return np.array(rows, dtype=dtype).reshape((len(rows), n_arms) if attr in ("ranks", "counts")
                                                           else (len(rows),))
            return {
                "config": self._config(), "n_events": self.n_events, "n_clicks": self.n_clicks,
                "arm_ms": [None if not np.isfinite(v) else float(v) for v in self._ms],
                "cells": [{"key": list(key), "t": c.t, "start": c.start, "n_wide": c.n_wide, "wide_t": c.wide_t,
                           "reach": None if c.reach is None else c.reach.tolist()}
                          for key, c in cells],
                "sizes": np.array(sizes, dtype=np.int64),
                "ranks": stacked("ranks", np.int16), "counts": stacked("counts", np.int16),
                "inv_w": stacked("inv_w", np.float64), "born": stacked("born", np.int64),
                # Least recently searched first, as kept.
                "query_counts": [[q, *map(float, v)] for q, v in self._queries.items()],
            }

    def load_state_dict(self, state: Mapping) -> None:
        """Replace what was learned by :meth:`state_dict`'s output; ValueError (state unchanged)
        when it was saved under other settings or is malformed. The random stream restarts."""
        if state.get("config") != self._config():
            raise ValueError("coverage state was saved under other settings (arms, ladder or parameters)")
        try:
            sizes = np.asarray(state["sizes"], dtype=np.int64)
            ranks, counts = np.asarray(state["ranks"]), np.asarray(state["counts"])
            inv_w, born = np.asarray(state["inv_w"], dtype=np.float64), np.asarray(state["born"], dtype=np.int64)
            meta = list(state["cells"])
            n_events, n_clicks = int(state["n_events"]), int(state["n_clicks"])
            arm_ms = np.array([np.nan if v is None else float(v)
                               for v in state.get("arm_ms") or [None] * len(self.arms)], dtype=np.float64)
            queries = OrderedDict((str(row[0]), np.array([float(v) for v in row[1:]], dtype=np.float64))
                                  for row in state.get("query_counts") or [])
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"malformed coverage state: {exc}") from None
        if any(v.shape != (3,) or not np.isfinite(v).all() or (v < 0).any() for v in queries.values()) \
                or len(queries) > self.queries:
            raise ValueError("malformed coverage state: query counts")
        total = int(sizes.sum()) if sizes.size else 0
        shape = (total, len(self.arms))
        if len(meta) != sizes.size or (sizes < 0).any() or ranks.shape != shape or counts.shape != shape \
                or inv_w.shape != (total,) or born.shape != (total,) or arm_ms.shape != (len(self.arms),):
            raise ValueError("malformed coverage state: array shapes disagree with the cells")
        cells: dict[tuple, _Cell] = {}
        at = 0
        for info, size in zip(meta, sizes.tolist()):
            rows = slice(at, at + size)
            at += size
            cells[tuple(info["key"])] = _Cell(
                t=int(info["t"]), start=int(info["start"]),
                n_wide=float(info.get("n_wide", 0.0)), wide_t=int(info.get("wide_t", 0)),
                reach=_reach(info.get("reach"), len(self.arms)),
                ranks=deque(ranks[rows].astype(np.int16)), counts=deque(counts[rows].astype(np.int16)),
                inv_w=deque(inv_w[rows].tolist()), born=deque(born[rows].tolist()))
        with self._lock:
            self._cells = cells
            self._queries = queries
            self._rng = np.random.default_rng(self.seed)
            self.n_events, self.n_clicks = n_events, n_clicks
            self._ms = arm_ms


def _reach(value, n_arms: int) -> np.ndarray | None:
    """A saved cell's reach, checked (None: saved before reach was kept)."""
    if value is None:
        return None
    reach = np.asarray(value, dtype=np.float64)
    if reach.shape != (n_arms, len(LADDER)) or not np.isfinite(reach).all() or (reach < 0).any():
        raise ValueError("malformed coverage state: a cell's reach has the wrong shape or values")
    return reach


def _alone_at(alone: np.ndarray | None, budgets: np.ndarray) -> np.ndarray:
    """Each arm's coverage alone at its own budget (NaN before any data)."""
    if alone is None:
        return np.full(len(budgets), float("nan"))
    return np.clip(alone[np.arange(len(budgets)), np.searchsorted(LADDER, budgets)], 0.0, 1.0)


def _deeper(budget: int, top: int) -> np.ndarray:
    """The ladder levels deepening may raise an arm at ``budget`` to, up to ``top``."""
    return LADDER[(LADDER > budget) & (LADDER <= top)]


def _code(rank: int | None) -> int:
    if rank is None or not isinstance(rank, (int, np.integer)) or rank < 1 or rank > MAX_RANK:
        return _NOT_FOUND
    return int(rank)
