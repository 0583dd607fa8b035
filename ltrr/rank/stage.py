"""The rank stage of a search: from the pooled candidates' features to the shown order.

In this order:

1. **Scores.** The ranker in use (LightGBM when adopted, else the heuristic
   with *fixed* arm weights). The bandit's expectations never reach the
   ranker: weighting arms by what the bandit expects would feed its beliefs
   back into the clicks it learns from.
2. **The memory's rule.** When the query memory's rise-to-the-top rule names
   an entity of the pool (:meth:`ltrr.memory.QueryMemory.pinned`), it goes first.
3. **At most one experiment**, decided by the stage's own seeded generator:
   with probability ``interleave_share`` (only while a model is adopted) the
   heuristic and the model are team-draft interleaved (:mod:`ltrr.interleave`);
   otherwise with probability ``swap_share`` two adjacent results of the
   list shown trade places, the position uniform over the list's adjacent
   pairs (:mod:`ltrr.rank.position`). Both are logged in the search event
   (``interleave`` / ``swap``); the swap with its probability given the
   list's length, ``swap_share / (shown - 1)``, and a search that could have
   been swapped and was not with ``{"pos": 0, "p": 1 - swap_share}``: the
   position-bias estimate weighs every search by its logged probability.
4. **Exposure of what exploration found.** When the bandit explored (ran an
   arm deeper than its greedy budget, :func:`explored_rows`), up to
   :data:`EXPOSE_SLOTS` explored arms are drawn uniformly without replacement
   and the best candidate that only each one's exploration brought is shown
   from position :data:`EXPOSE_AT` on, in the drawn order, where the ranker
   put it lower; it takes the place of the swap. An exploration is paid for in
   candidates to learn whether the arm finds what users want, and only a click
   answers that: a candidate left at rank 8 of a wide pool is rarely examined,
   so the exploration would teach nothing (measured: the fresh arm's best
   candidate at ranks 6-9 in five wide explorations of a cell asking for new
   releases, no click). A wide exploration raises six or seven arms; with one
   slot the arm a new kind of query needs was shown in one of seven, so a cell
   needed dozens of wide explorations to learn it (see
   ``benchmarks/exposure_ab.py`` for the measured choice of slots). Logged as
   ``expose``: per exposed arm its entity, its chance of being drawn, from and
   to; interleaved searches are never changed.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from ltrr.events import rank_fields
from ltrr.interleave import team_draft
from ltrr.query import Query
from ltrr.rank.position import DEFAULT_SHARE, Swap, apply_swap, draw_swap, no_swap

if TYPE_CHECKING:
    from ltrr.memory import QueryMemory
    from ltrr.rank.ranker import Ranker

DEFAULT_INTERLEAVE_SHARE = 0.10
EXPOSE_AT = 3          # below the two best results, high enough to be examined often
EXPOSE_SLOTS = 3       # explored arms shown per exploring search, at EXPOSE_AT and below


@dataclass(frozen=True)
class RankedList:
    """The shown order (indices into the pool), every pooled row's score, and what was tried."""

    order: np.ndarray                 # pool indices, best first, at most k
    scores: np.ndarray                # the ranker's score of every pooled row
    pinned: str | None = None         # the entity the memory rule put first
    swap: Swap | None = None          # the logged swap draw (pos 0: could have been swapped, was not)
    interleave: dict | None = None    # {"a": name, "b": name, "teams": [...aligned with order]}
    expose: list[dict] | None = None  # per exposed arm {"arm", "entity_id", "p", "from", "to"} (1-based)

    def log_fields(self) -> dict:
        """The search event's fields this stage sets (declared in :mod:`ltrr.events`)."""
        return rank_fields(swap=None if self.swap is None else self.swap.to_dict(), interleave=self.interleave,
                           pinned=self.pinned, expose=self.expose)


class RankStage:
    """Scores, the memory rule and the experiments; one per engine (thread-safe)."""

    def __init__(self, memory: "QueryMemory", seed: int = 0, swap_share: float = DEFAULT_SHARE,
                 interleave_share: float = DEFAULT_INTERLEAVE_SHARE, expose: bool = True,
                 expose_slots: int = EXPOSE_SLOTS) -> None:
        self.memory = memory
        self.set_shares(swap_share, interleave_share)
        self.set_exposure(expose, expose_slots)
        self._rng = np.random.default_rng([int(seed), 0x5A4])
        self._lock = threading.Lock()

    def set_shares(self, swap_share: float | None = None, interleave_share: float | None = None) -> None:
        """Change the share of searches given an adjacent swap / an interleaving (0 turns it off)."""
        for name, value in (("swap_share", swap_share), ("interleave_share", interleave_share)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")
            setattr(self, name, float(value))

    def set_exposure(self, on: bool, slots: int | None = None) -> None:
        """Show what exploration alone brought (step 4 of the module docstring), or not;
        ``slots``: how many explored arms at most (None keeps the current number)."""
        if not isinstance(on, bool):
            raise ValueError(f"expose must be True or False, got {on!r}")
        if slots is not None:
            if isinstance(slots, bool) or not isinstance(slots, (int, np.integer)) or not 1 <= slots <= 10:
                raise ValueError(f"expose_slots must be a whole number from 1 to 10, got {slots!r}")
            self.expose_slots = int(slots)
        self.expose = on

    def rank(self, ranker: "Ranker", query: "Query | str", entity_ids: Sequence[str], X: np.ndarray,
             k: int, explored: Mapping[str, Sequence[int]] | None = None) -> RankedList:
        """The shown order of a pool by `ranker` (the engine's current one; see the module docstring).

        ``query``: the search's Query (its normalised text is the memory's key), or that text.

        ``explored``: per arm the bandit explored, the pool rows only that exploration brought,
        in the arm's order (:func:`explored_rows`).
        """
        n = len(entity_ids)
        if n == 0:
            return RankedList(np.zeros(0, dtype=np.int64), np.zeros(0))
        scores = np.asarray(ranker.score(X), dtype=np.float64)
        # The swap is drawn within the list shown (the top k of the pool): a short list is swapped
        # as often as a long one, and its probability given the length is logged.
        n_shown = min(k, n)
        with self._lock:          # one draw sequence per engine, whatever the threads
            u_interleave, u_coin_seed = self._rng.random(), int(self._rng.integers(2 ** 31))
            share = self.swap_share       # read once: the logged p of a swap and of no swap agree
            swap = draw_swap(self._rng, share, max(2, k), n_shown)
            expose_seed = int(self._rng.integers(2 ** 31))
        text = query.text if isinstance(query, Query) else query
        pinned = self.memory.pinned(query) if text else None
        index = {e: i for i, e in enumerate(entity_ids)}
        pin_row = index.get(pinned) if pinned is not None else None
        if pin_row is None:
            pinned = None
        order = _with_pin(_order(scores), pin_row)
        model_label = ranker.label if ranker.is_trained else None
        if model_label is not None and u_interleave < self.interleave_share:
            heuristic = _with_pin(_order(ranker.heuristic_score(X)), pin_row)
            return self._interleaved(entity_ids, scores, heuristic, order, pin_row, k, model_label, u_coin_seed,
                                     pinned)
        arms = sorted(a for a, rows in (explored or {}).items() if len(rows)) if self.expose else []
        if arms and k >= EXPOSE_AT:
            return self._exposed(order, scores, pinned, entity_ids, explored, arms, k, expose_seed)
        shown = order[:k]
        if swap is None:
            swap = no_swap(share, max(2, k), len(shown))
        else:
            shown = np.asarray(apply_swap(list(shown), swap), dtype=np.int64)
        return RankedList(shown, scores, pinned, swap, None)

    def _exposed(self, order: np.ndarray, scores: np.ndarray, pinned: str | None, entity_ids: Sequence[str],
                 explored: Mapping[str, Sequence[int]], arms: list[str], k: int, seed: int) -> RankedList:
        """Step 4: the drawn arms' best exploration-only rows from position EXPOSE_AT on."""
        drawn = [arms[i] for i in np.random.default_rng(seed).permutation(len(arms))[:self.expose_slots]]
        p = round(min(1.0, self.expose_slots / len(arms)), 6)
        ranker_at = {int(row): at for at, row in enumerate(order)}
        taken: set[int] = set()
        log = []
        for arm in drawn:
            row = next((int(r) for r in explored[arm] if int(r) not in taken), None)
            if row is None:
                continue        # its finds were all another drawn arm's too
            taken.add(row)
            at = int(np.flatnonzero(order == row)[0])
            to = min(at, EXPOSE_AT - 1 + len(log))
            order = np.insert(order[order != row], to, row).astype(np.int64)
            log.append({"arm": arm, "entity_id": str(entity_ids[row]), "p": p,
                        "from": ranker_at[row] + 1, "to": to + 1})
        return RankedList(order[:k], scores, pinned, None, None, log)

    def _interleaved(self, entity_ids, scores, heuristic, model, pin_row, k, model_label, coin_seed,
                     pinned) -> RankedList:
        ids = list(entity_ids)
        head = [] if pin_row is None else [pin_row]
        a = [ids[i] for i in heuristic if i != pin_row]
        b = [ids[i] for i in model if i != pin_row]
        items, teams = team_draft(a, b, k - len(head), np.random.default_rng(coin_seed))
        index = {e: i for i, e in enumerate(ids)}
        order = np.asarray(head + [index[e] for e in items], dtype=np.int64)
        # The pinned item belongs to neither team: a click on it credits nobody.
        info = {"a": "heuristic", "b": model_label, "teams": [""] * len(head) + teams}
        return RankedList(order, scores, pinned, None, info)


def explored_rows(greedy: Mapping[str, int], lists: Mapping[str, Sequence[str]],
                  pool_ids: Sequence[str]) -> dict[str, list[int]]:
    """Per arm that ran deeper than its ``greedy`` budget: the pool rows only that extra depth
    brought (no arm's list holds them within its greedy budget), in the arm's order.

    ``lists``: each arm's returned entity ids, best first; ``pool_ids``: the pool's entity ids.
    """
    index = {e: i for i, e in enumerate(pool_ids)}
    plain = {e for a, ids in lists.items() for e in ids[:max(0, int(greedy.get(a, 0)))]}
    out: dict[str, list[int]] = {}
    for arm, ids in lists.items():
        rows = [index[e] for e in ids[max(0, int(greedy.get(arm, 0))):] if e not in plain and e in index]
        if rows:
            out[arm] = rows
    return out


def _order(scores: np.ndarray) -> np.ndarray:
    """Best first; ties keep pool order (stable), like every ranking in the engine."""
    return np.lexsort((np.arange(len(scores)), -np.asarray(scores)))


def _with_pin(order: np.ndarray, pin_row: int | None) -> np.ndarray:
    if pin_row is None:
        return order
    return np.concatenate([[pin_row], order[order != pin_row]]).astype(np.int64)
