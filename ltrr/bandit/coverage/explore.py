"""Exploration: how the coverage learner departs from its greedy configuration, and the exact
chance of every configuration it may run.

Only deeper budgets are explored (a click's ranks are known for every arm, so
shallower budgets are learned for free). Three modes, drawn once per search:
greedy, *deepen* one arm (chance ``epsilon``, the arm drawn by
:func:`deepen_weights` up to :func:`deepen_top`), and *wide* (every available
arm at least at ``wide_budget``, chance :meth:`Exploration.wide_probability`).
Every probability is a function of the logged greedy configuration and rule,
so :meth:`Exploration.propensities`, :meth:`Exploration.reach` and
:meth:`Exploration.cover` recompute them exactly from the log.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from ltrr.bandit.coverage.cells import LADDER, Level, trend_means
from ltrr.bandit.coverage.estimate import expected_counts, gains

EXPLORE_HALF = 100.0                     # resolved searches of a cell at which wide exploration is 0.71x
DEEPEN_FLOOR = 0.05                      # weight every arm keeps in the deepening draw
WIDE_PRIOR = 5.0                         # wide explorations after which their measured gain counts half
RECENT = 50                              # a cell's last searches the drift alarm compares with its window
ALARM_Z = 3.0                            # standard errors a recent fall in coverage must exceed
BREADTH_FALL = 0.2                       # share by which a cell's planned breadth must fall for a slump
QUERY_PRIOR = 5.0                        # pseudo searches shrinking a query's own miss rate towards its cell's
QUERY_HALFLIFE = 30.0                    # a query's own searches after which its counts weigh half
TRIED_BELOW = 0.5                        # a query's decayed runs of an arm below which it counts as untried
TRY_AGAIN_AFTER = 2.0                    # a query's misses since an arm last ran after which it is untried again


class Rule(NamedTuple):
    """A logged exploration rule, resolved: per arm the deepest level, the chances of the three
    modes, and per arm the chance deepening picks it."""

    top: np.ndarray
    p_greedy: float
    p_deepen: float
    p_wide: float
    q: np.ndarray


def deeper(budget: int, top: int) -> np.ndarray:
    """The ladder levels deepening may raise an arm at ``budget`` to, up to ``top``."""
    return LADDER[(LADDER > budget) & (LADDER <= top)]


def upgradable(greedy: np.ndarray, mask: np.ndarray, top: np.ndarray | None = None) -> np.ndarray:
    """Available arms below their ``top`` (default: the ladder's): the ones exploration may deepen."""
    return np.flatnonzero(mask & (greedy < (LADDER[-1] if top is None else top)))


@dataclass(frozen=True)
class Exploration:
    """The exploration settings of a coverage policy, and the probabilities they imply."""

    arms: tuple[str, ...]
    epsilon: float
    wide: float
    wide_min: float
    wide_budget: int

    def widened(self, greedy: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The wide exploration: every available arm at least at ``wide_budget``."""
        return np.where(mask, np.maximum(greedy, self.wide_budget), greedy)

    def wide_probability(self, cover: float, seen: float = 0.0, gain: float | None = None,
                         tried: float = 0.0, alarm: float = 0.0, push: float = 0.0) -> float:
        """Chance of wide exploration: ``wide`` x what it may find x ``sqrt(k / (k + seen))``,
        plus ``alarm`` (see :func:`drift_alarm`) and ``push`` (see :meth:`QueryCounts.push`).

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

    def tops(self, top: np.ndarray | Mapping[str, int] | None) -> np.ndarray:
        """``top`` as an array per arm (logged by name; None: the top of the ladder)."""
        if top is None:
            return np.full(len(self.arms), int(LADDER[-1]), dtype=np.int64)
        if isinstance(top, Mapping):
            return np.array([int(top.get(a, LADDER[-1])) for a in self.arms], dtype=np.int64)
        return np.asarray(top, dtype=np.int64)

    def rule(self, greedy: np.ndarray, mask: np.ndarray, p_wide: float | None,
             deepen: np.ndarray | Mapping[str, float] | None,
             top: np.ndarray | Mapping[str, int] | None) -> Rule:
        """The exploration rule as logged (``p_wide`` None: the policy's ``wide``)."""
        tops = self.tops(top)
        modes = self.modes(greedy, mask, self.wide if p_wide is None else p_wide, deepen, tops)
        return Rule(tops, *modes)

    def modes(self, greedy: np.ndarray, mask: np.ndarray, p_wide: float,
              deepen: np.ndarray | Mapping[str, float] | None,
              top: np.ndarray) -> tuple[float, float, float, np.ndarray]:
        """Probabilities of (greedy, deepen, wide) and, per arm, the chance deepening picks it
        (``deepen``: logged weights, per arm or by name; None: uniform over the arms it may pick)."""
        up = upgradable(greedy, mask, top)
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
                     rule: Rule) -> tuple[np.ndarray, np.ndarray]:
        """Per arm: P(it runs) and P(it gets exactly ``budgets[a]``), under ``rule``."""
        top, p_greedy, p_deepen, p_wide, q = rule
        wide = self.widened(greedy, mask)
        p_run = np.zeros(len(self.arms))
        p_budget = np.zeros(len(self.arms))
        for a in range(len(self.arms)):
            b, g = budgets[a], greedy[a]
            if q[a] > 0:
                higher = deeper(int(g), int(top[a]))
                touch = q[a]
                deep_b = (1 - touch) * (b == g) + touch * float(b in higher) / higher.size
                deep_run = (1 - touch) * (g > 0) + touch
            else:
                deep_b, deep_run = float(b == g), float(g > 0)
            p_budget[a] = p_greedy * (b == g) + p_deepen * deep_b + p_wide * (b == wide[a])
            p_run[a] = p_greedy * (g > 0) + p_deepen * deep_run + p_wide * (wide[a] > 0)
        return p_run, p_budget

    def reach(self, greedy: np.ndarray, mask: np.ndarray, rule: Rule) -> np.ndarray:
        """Per arm and ladder level: P(the logging policy ran the arm at least that deep)."""
        top, p_greedy, p_deepen, p_wide, q = rule
        at_greedy = (greedy[:, None] >= LADDER[None, :]).astype(np.float64)
        wide = (self.widened(greedy, mask)[:, None] >= LADDER[None, :]).astype(np.float64)
        deep = at_greedy.copy()
        for a in np.flatnonzero(q > 0):
            higher = deeper(int(greedy[a]), int(top[a]))
            reached = np.maximum(at_greedy[a], (higher[None, :] >= LADDER[:, None]).mean(axis=1))
            deep[a] = (1 - q[a]) * at_greedy[a] + q[a] * reached
        return p_greedy * at_greedy + p_deepen * deep + p_wide * wide

    def cover(self, greedy: np.ndarray, mask: np.ndarray, ranks: np.ndarray, rule: Rule) -> float:
        """P(the logging policy's configuration covers a target with these rank codes) = ``w_i``."""
        top, _, p_deepen, p_wide, q = rule
        if bool((ranks <= greedy).any()):
            return 1.0          # every exploration only deepens the greedy configuration
        deep = 0.0
        for a in np.flatnonzero(q > 0):
            higher = deeper(int(greedy[a]), int(top[a]))
            deep += q[a] * float((ranks[a] <= higher).mean())
        wide = float((ranks <= self.widened(greedy, mask)).any())
        return p_deepen * deep + p_wide * wide

    def wide_gain(self, greedy: np.ndarray, mask: np.ndarray, cover: float, levels: Sequence[Level],
                  prior: float) -> tuple[float | None, float]:
        """Estimated coverage gain of the wide configuration over the greedy one at these
        levels (None before anything is known), and the wide explorations behind it."""
        if not levels or not np.isfinite(cover):
            return None, 0.0
        _, wide_cover = gains(levels, self.widened(greedy, mask), prior, len(self.arms))
        return float(np.clip(wide_cover, 0.0, 1.0)) - float(np.clip(cover, 0.0, 1.0)), levels[0].n_wide


def deepen_top(greedy: np.ndarray, mask: np.ndarray, cover: float, levels: Sequence[Level],
               cost_per_candidate: float, start_ms: np.ndarray, priced: bool,
               counts: np.ndarray | None = None) -> np.ndarray:
    """Per arm: the deepest budget exploration may deepen it to, ``greedy`` where none pays.

    A level pays at most the greedy configuration's estimated miss rate
    (``1 - cover``), so a level whose extra candidates (as the arm returns
    them in this context) cost more than that is never explored. ``priced``: whether
    candidates or milliseconds cost anything at all; ``counts``: the arms' expected
    candidates at these levels, when already known.
    """
    n_arms = len(mask)
    top = np.full(n_arms, int(LADDER[-1]), dtype=np.int64)
    if not levels or not np.isfinite(cover) or not priced:
        return top          # nothing has a price: every level could pay
    miss = 1.0 - float(np.clip(cover, 0.0, 1.0))
    counts = expected_counts(levels, n_arms) if counts is None else counts
    for a in range(n_arms):
        cur = counts[a, int(np.searchsorted(LADDER, greedy[a]))]
        cost = cost_per_candidate * (counts[a] - cur) + (start_ms[a] if greedy[a] == 0 else 0.0)
        payable = (LADDER > greedy[a]) & (cost <= miss)
        top[a] = int(LADDER[payable].max()) if payable.any() else int(greedy[a])
    return np.where(mask, top, greedy)


def deepen_weights(greedy: np.ndarray, mask: np.ndarray, levels: Sequence[Level], prior: float,
                   top: np.ndarray | None = None, alone: np.ndarray | None = None) -> np.ndarray:
    """Per arm: the chance that deepening picks it (0 for arms it cannot deepen), rounded
    to 6 decimals so that the logged values are the ones drawn with.

    Proportional to :data:`DEEPEN_FLOOR` + the arm's estimated coverage alone at the
    deepest budget in this context (``levels``); ``top``: see :func:`deepen_top`
    (default: the top of the ladder); ``alone``: every arm's coverage alone per level at
    these levels, when already known.
    """
    up = upgradable(greedy, mask, top)
    q = np.zeros(len(mask))
    if not up.size:
        return q
    score = np.full(len(mask), 1.0)
    if levels:
        if alone is None:
            alone, _ = gains(levels, np.zeros(len(mask), dtype=np.int64), prior, len(mask))
        score = DEEPEN_FLOOR + np.clip(np.nan_to_num(alone[:, -1]), 0.0, 1.0)
    q[up] = score[up] / score[up].sum()
    return np.round(q, 6)


def drift_alarm(budgets: np.ndarray, level: Level, decay: float) -> float:
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
    raw = level.w[last] / decay ** level.age[last]
    recent = float(np.clip(raw @ covered[last] / RECENT, 0.0, 1.0))
    fall = whole - recent
    se = float(np.sqrt(max(whole * (1.0 - whole), 0.01) / RECENT))
    return round(fall, 6) if fall > ALARM_Z * se else 0.0


def slump_alarm(trend: np.ndarray | None, searches: int) -> float:
    """How far a cell's recent share of served searches fell below its long-run share while its
    planned configurations got narrower (fast mean breadth at least :data:`BREADTH_FALL` below
    the slow one), when the fall exceeds :data:`ALARM_Z` standard errors of :data:`RECENT`
    searches; else 0 (also before the cell has had :data:`RECENT` searches: its fast means
    would still be its slow ones). ``trend``: the cell's decayed sums (:func:`~ltrr.bandit.coverage.cells.fold_trend`);
    ``searches``: the cell's resolved searches.

    This is the lock-in the drift alarm cannot see. A cell that stops running the arm that
    served part of it hears of those searches only as skips, which show no ranks; and where a
    few clicks found under rare exploration weigh many times the cell's searches, the estimated
    coverage of the cheap configuration left stays saturated while fewer of the cell's searches
    end in a click. Success and cost falling together is the learner's own doing, not new
    demand, and the fall is added to the chance of wide exploration, like the drift alarm, until
    the cell is served again. A cell of a few dozen searches is all "recent": its fast and slow
    means move together, and a loss there goes unseen.
    """
    if trend is None or searches < RECENT:
        return 0.0
    slow, fast, slow_breadth, fast_breadth = trend_means(trend)
    fall = slow - fast
    se = float(np.sqrt(max(slow * (1.0 - slow), 0.01) / RECENT))
    narrower = fast_breadth < (1.0 - BREADTH_FALL) * slow_breadth
    return round(fall, 6) if fall > ALARM_Z * se and narrower else 0.0


class QueryCounts:
    """Per recent query text: decayed searches, served searches, wide explorations that got no
    click, per arm the searches that ran it without holding what was clicked (an arm that
    served the query is not "tried and failed"), and per arm the misses since it last ran;
    bounded to the ``size`` most recently searched (least recent first)."""

    def __init__(self, size: int, n_arms: int = 0) -> None:
        self.size = int(size)
        self.n_arms = int(n_arms)
        self._decay = 0.5 ** (1.0 / QUERY_HALFLIFE)
        self.counts: OrderedDict[str, np.ndarray] = OrderedDict()

    def push(self, query: str | None, cover: float, wide: float) -> float:
        """Extra chance of wide exploration for a query that keeps failing more than its cell.

        A cell's miss rate averages over every query of its kind, so new demand that is a
        minority of its cell (a handful of new phrasings asking what just came out) barely
        moves it. A query typed again and again without a click is direct evidence: the
        excess of its own miss rate (shrunk towards the cell's with :data:`QUERY_PRIOR`)
        over the cell's is added, times ``wide``, fading as wide explorations of that very
        query end without a click (a query no arm serves stops paying for them).
        """
        stat = self.counts.get(query) if query else None
        if stat is None or not np.isfinite(cover):
            return 0.0
        n, clicks, wide_misses = stat[:3]
        cell_miss = 1.0 - float(np.clip(cover, 0.0, 1.0))
        miss = (max(n - clicks, 0.0) + QUERY_PRIOR * cell_miss) / (n + QUERY_PRIOR)
        return wide * max(0.0, miss - cell_miss) * WIDE_PRIOR / (WIDE_PRIOR + wide_misses)

    def untried(self, query: str | None, misses: float) -> np.ndarray | None:
        """Per arm: True where the query has gone at least ``misses`` (decayed) searches without a
        click and its searches have not lately run the arm without it holding the click (decayed
        count below :data:`TRIED_BELOW`), or it has failed :data:`TRY_AGAIN_AFTER` times since
        the arm last ran; None when no arm qualifies (or ``misses`` is 0: the rule is off).

        The chance that a kind of query's cell runs an arm is set by the cell's majority: a
        few phrasings of new demand (asks for what just came out, in a cell of titles) can go
        on failing while the one arm that serves them is never drawn, and a wide exploration
        that finds it may well end on another click. A query that keeps failing gets every arm
        its own searches have not tried, once, at the first step of the ladder: a handful of
        candidates, and the next click of that query tells its own cell which arm serves it.
        An arm that ran and held the click counts as untried: it served the query before (in a
        wide exploration, say), so a query that has since lost it gets it back (a stray click
        can move a query to a cell that never runs it).
        """
        stat = self.counts.get(query) if query and misses > 0 else None
        if stat is None or len(stat) < 3 + self.n_arms or self.n_arms == 0:
            return None
        # Counts decay a little with every search of the query: read them as whole searches.
        if np.floor(stat[0] - stat[1] + 0.5) < misses:
            return None
        out = stat[3:3 + self.n_arms] < TRIED_BELOW
        if len(stat) == 3 + 2 * self.n_arms:
            # One try is not a verdict: a click elsewhere (a stray tap, say) tried the arm that
            # serves the query as fully as a real answer would, and the query may fail without it
            # for ~30 of its searches before the try fades. Failing TRY_AGAIN_AFTER more times
            # since the arm last ran earns it another try.
            out |= stat[3 + self.n_arms:] >= TRY_AGAIN_AFTER - 0.5
        return out if out.any() else None

    def observe(self, query: str, served: bool, wide: bool, ran: np.ndarray | None = None) -> list[str]:
        """Fold one resolved search into its query's counts (``ran``: per arm, how much of a try the
        search was: 1 where it ran and did not hold what was clicked, less where nobody clicked
        and its finds were barely seen); returns the queries that left (the least recently
        searched beyond ``size``)."""
        width = 3 + 2 * self.n_arms
        stat = self.counts.pop(query, None)
        if stat is None or len(stat) != width:
            # A query saved before it counted misses per arm starts them at 0; one saved before it
            # remembered the arms it ran keeps its three counts.
            old = stat
            stat = np.zeros(width)
            if old is not None:
                keep = len(old) if len(old) in (3, 3 + self.n_arms) else 3
                stat[:keep] = old[:keep]
        n = self.n_arms
        tries = np.zeros(n) if ran is None or not n else np.clip(np.asarray(ran, dtype=float)[:n], 0.0, 1.0)
        step = np.zeros(width)
        step[:3] = (1.0, float(served), float(wide and not served))
        step[3:3 + n] = tries
        stat = stat * self._decay + step
        # Misses since each arm last ran: a miss adds one, a try clears them as far as it was one.
        since = stat[3 + n:]
        if not served:
            since += 1.0
        since *= 1.0 - tries
        self.counts[query] = stat
        gone = []
        while len(self.counts) > self.size:
            gone.append(self.counts.popitem(last=False)[0])
        return gone
