"""Context cells: where the coverage learner keeps what clicks taught it, and how a query finds its cells.

A cell holds a decayed count of its resolved searches, a bounded buffer of the
rank vectors of the targets clicked (or found later, or judged) in it, and per
arm and ladder level the decayed number of its searches that ran the arm that
deep (its *reach*). :func:`level` reads a cell as arrays for the estimates.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES, REMEMBERED_CAP
from ltrr.reward import BUDGET_LADDER, MAX_RANK

LADDER = np.array(BUDGET_LADDER, dtype=np.int64)
NOT_FOUND = MAX_RANK + 1                 # rank code for "not within MAX_RANK"
_IDX = {name: i for i, name in enumerate(CONTEXT_FEATURES)}

# Context features that define a query's kind: shape, script, typo-likeness, QU's reading.
_SHAPE = ("q_one_word", "q_two_words", "q_three_plus_words", "q_has_digits", "q_non_latin")
# Edges of the memory probe's buckets: nothing, a few, many, a full list (see remembered_bucket).
REMEMBERED_EDGES = (1, 6, REMEMBERED_CAP)
_KIND = tuple(n for n in CONTEXT_FEATURES
              if n.startswith(("type_", "slot_")) or n in ("intent_any", "q_unknown_words"))


class Level(NamedTuple):
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
    prior: float | None = None        # pseudo searches shrinking it towards its parent (None: the learner's)


@dataclass
class Cell:
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
    # Decayed sums of the cell's served searches and planned breadth, and its decayed search
    # counts, each slow and fast; None before its first search (see fold_trend).
    trend: np.ndarray | None = None
    # The buffer stacked as arrays (ranks, counts, hits, born, inv_w), kept up to date by push:
    # a search reads its cells on every plan, and stacking the buffer on every read was half of
    # what choosing a plan cost.
    _stacked: tuple | None = field(default=None, repr=False, compare=False)

    def push(self, r: np.ndarray, c: np.ndarray, inv_w: float, buffer: int) -> None:
        """Buffer one target's rank codes ``r`` and list lengths ``c``; the oldest leaves a full buffer."""
        self.ranks.append(r)
        self.counts.append(c)
        self.inv_w.append(inv_w)
        self.born.append(self.t)
        dropped = 0
        while len(self.ranks) > buffer:
            for q in (self.ranks, self.counts, self.inv_w, self.born):
                q.popleft()
            self.start = self.born[0]
            dropped += 1
        # Clicks arrive between reads: the stacked arrays gain the new row and lose the dropped
        # ones (an array copy) rather than being stacked again from every buffered row.
        old = self._stacked
        self._stacked = None if old is None or dropped > len(old[0]) else _grown(old, r, c, self.t, inv_w, dropped)


TREND_FAST_HALFLIFE = 35.0               # searches after which the fast means weigh a search half
BREADTH_CAP = 20                         # budget above which an arm's depth adds nothing to a plan's breadth


def breadth(budgets: np.ndarray) -> float:
    """How much a planned configuration runs: its budgets summed, each capped at :data:`BREADTH_CAP`
    (the memory's 50 is a list it rarely fills; what matters is which arms run and roughly how deep)."""
    return float(np.minimum(np.asarray(budgets), BREADTH_CAP).sum())


def fold_trend(cell: Cell, served: bool, planned: float, decay: float) -> None:
    """Fold one resolved search into the cell's decayed sums of served searches and planned
    breadth and its decayed search counts: slow ones at the learner's ``decay``, fast ones at
    :data:`TREND_FAST_HALFLIFE` (``cell.trend``; read them with :func:`trend_means`).

    Raw counts, not inverse-propensity estimates: in a small cell a few clicks found under rare
    exploration carry weights that saturate every estimate, so the estimated coverage cannot show
    the fall that a cell which stopped running what served it suffers; the share of its searches
    that end in a click can.
    """
    fast = 0.5 ** (1.0 / TREND_FAST_HALFLIFE)
    rate = np.array([decay, fast, decay, fast, decay, fast])
    step = np.array([float(served), float(served), planned, planned, 1.0, 1.0])
    cell.trend = step if cell.trend is None else rate * cell.trend + step


def trend_means(trend: np.ndarray) -> tuple[float, float, float, float]:
    """The cell's share of served searches (slow, fast) and mean planned breadth (slow, fast)."""
    slow_n, fast_n = float(trend[4]), float(trend[5])
    return (float(trend[0]) / slow_n, float(trend[1]) / fast_n,
            float(trend[2]) / slow_n, float(trend[3]) / fast_n)


def query_key(query: str) -> tuple:
    """The cell of one normalized query text."""
    return ("q", query)


def is_query_key(key: tuple) -> bool:
    """Whether ``key`` is the cell of one query text (see :func:`query_key`)."""
    return len(key) == 2 and key[0] == "q"


def remembered_bucket(x: np.ndarray) -> int:
    """What the memory probe found for the query (``q_remembered``): 0 nothing, 1 a few
    entities (1-5), 2 many (6-49), 3 a full list (50 or more)."""
    count = int(round(float(x[_IDX["q_remembered"]]) * REMEMBERED_CAP))
    return int(np.searchsorted(REMEMBERED_EDGES, count, side="right"))


def is_probe_key(key: tuple) -> bool:
    """Whether ``key`` is a kind cell split by the memory probe (see :func:`cell_keys`)."""
    return bool(key) and key[0] == "p"


def cell_keys(x: np.ndarray, contextual: bool, query: str | None = None, probe: bool = False) -> list[tuple]:
    """The cells of context ``x``, finest first, ending with the root ``()``.

    With ``query`` (its normalized text), the finest cell is the query itself; then, with
    ``probe``, the query's kind split by what the memory holds for it
    (:func:`remembered_bucket`); then its kind (shape, script, typo-likeness, what query
    understanding found), then its shape (length, digits, script, how much of it QU left as
    free text, whether it is mostly a playlist's name); the context-free learner keeps the
    root only.
    """
    if not contextual:
        return [()]
    shape = tuple(int(x[_IDX[n]] >= 0.5) for n in _SHAPE)
    free = float(x[_IDX["q_free_text_share"]])
    # Whether the query is mostly a playlist's name belongs to its shape, not its kind: such
    # queries are read by QU as anything (a genre, a title, digits), and only a shared parent
    # pools what they teach ("<playlist> songs" is served by the related arm alone).
    shape = shape + (0 if free == 0 else 1 if free < 0.99 else 2, int(x[_IDX["q_playlist_name"]] >= 0.5))
    kind = tuple(int(x[_IDX[n]] >= 0.5) for n in _KIND)
    kinds = [("k",) + shape + kind, ("s",) + shape, ()]
    if probe:
        kinds = [("p", remembered_bucket(x)) + shape + kind] + kinds
    return [query_key(query)] + kinds if query else kinds


def decayed_count(decay: float, searches: int) -> float:
    """Decayed count of the last ``searches`` resolved searches (the newest weighs 1)."""
    return (1.0 - decay ** max(searches, 0)) / (1.0 - decay)


def decayed_wide(cell: Cell, decay: float) -> float:
    """The cell's decayed count of wide explorations, brought to its present."""
    return cell.n_wide * decay ** (cell.t - cell.wide_t)


def level(cell: Cell | None, decay: float, n_arms: int, prior: float | None = None) -> Level | None:
    """``cell`` read as arrays, weights decayed to its present (None: an empty or unseen cell);
    ``prior``: the pseudo searches that shrink it towards its parent (None: the learner's)."""
    if cell is None or cell.t <= 0:
        return None
    # Decayed count of the resolved searches the buffer window covers (clicks and skips).
    n = decayed_count(decay, cell.t - cell.start + 1)
    # A state saved before reach was kept counts every arm as run at every depth: the old rule.
    reach = n if cell.reach is None else np.minimum(cell.reach * decay ** (cell.t - cell.wide_t), n)
    span = cell.t - cell.start + 1
    if not cell.ranks:
        return Level(n, np.zeros((0, n_arms), np.int16), np.zeros((0, n_arms)), np.zeros(0),
                     np.zeros((0, n_arms, len(LADDER)), dtype=bool), decayed_wide(cell, decay), np.zeros(0),
                     span, reach, prior)
    ranks, counts, hit, born, inv_w = stacked(cell)
    age = cell.t - born
    weights = inv_w * decay ** age
    return Level(n, ranks, counts, weights, hit, decayed_wide(cell, decay), age, span, reach, prior)


def held_level(cell: Cell | None, n_arms: int) -> Level | None:
    """A held cell (what a warm start read, see ``CoverageLearner.hold``) read as arrays: nothing
    decays, and every arm ran at every depth on each of its searches (they are judged in full).
    No ages: the drift alarm reads the learner's own searches only. None: an empty or unseen cell."""
    if cell is None or cell.t <= 0:
        return None
    span = cell.t - cell.start + 1
    reach = np.full((n_arms, len(LADDER)), float(span))
    if not cell.ranks:
        return Level(float(span), np.zeros((0, n_arms), np.int16), np.zeros((0, n_arms)), np.zeros(0),
                     np.zeros((0, n_arms, len(LADDER)), dtype=bool), 0.0, None, span, reach)
    ranks, counts, hit, _, inv_w = stacked(cell)
    return Level(float(span), ranks, counts, inv_w, hit, 0.0, None, span, reach)


def _grown(old: tuple, r: np.ndarray, c: np.ndarray, born: int, inv_w: float, dropped: int) -> tuple:
    """The stacked arrays of :func:`stacked` with their first ``dropped`` rows gone and one row
    appended: what stacking the buffer again would give."""
    return _arrays(np.concatenate((old[0][dropped:], np.asarray(r)[None])),
                   np.concatenate((old[1][dropped:], np.asarray(c)[None])),
                   np.append(old[3][dropped:], born), np.append(old[4][dropped:], inv_w))


def _arrays(ranks: np.ndarray, counts: np.ndarray, born: np.ndarray, inv_w: np.ndarray) -> tuple:
    """(ranks, counts, hits, born, inv_w) as :func:`stacked` gives them, read-only: the hits are
    whether each arm found each click within each ladder level."""
    arrays = (ranks, counts, ranks[..., None] <= LADDER, np.asarray(born, dtype=np.float64),
              np.asarray(inv_w, dtype=np.float64))
    for a in arrays:
        a.flags.writeable = False
    return arrays


def stacked(cell: Cell) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``cell``'s buffer as arrays: rank codes and list lengths (clicks x arms), whether each arm
    found each click within each ladder level, and each click's birth clock and 1 / weight.
    Stacked on the first read, then grown by :meth:`Cell.push`; read-only (shared between reads)."""
    if cell._stacked is None or len(cell._stacked[0]) != len(cell.ranks):
        cell._stacked = _arrays(np.stack(cell.ranks), np.stack(cell.counts),
                                np.fromiter(cell.born, dtype=np.float64, count=len(cell.born)), cell.inv_w)
    return cell._stacked


def rank_code(rank: int | None) -> int:
    """A rank as the learner stores it: 1..MAX_RANK, else :data:`NOT_FOUND`."""
    if rank is None or not isinstance(rank, (int, np.integer)) or rank < 1 or rank > MAX_RANK:
        return NOT_FOUND
    return int(rank)


def rank_codes(arms: Sequence[str], ranks: Mapping[str, int | None]) -> np.ndarray:
    """A target's ranks by arm name as rank codes in ``arms`` order."""
    return np.array([rank_code(ranks.get(a)) for a in arms], dtype=np.int16)


def list_lengths(arms: Sequence[str], counts: Mapping[str, int] | None) -> np.ndarray:
    """Each arm's list length (unknown: :data:`MAX_RANK`), capped at MAX_RANK, in ``arms`` order."""
    return np.array([min(int((counts or {}).get(a, MAX_RANK)), MAX_RANK) for a in arms], dtype=np.int16)
