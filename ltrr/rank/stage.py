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
   otherwise with probability ``swap_share`` two adjacent results in the top
   ``k`` trade places (:mod:`ltrr.rank.position`). Both are logged in the
   search event (``interleave`` / ``swap``), the swap with its probability.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ltrr.interleave import team_draft
from ltrr.rank.position import DEFAULT_SHARE, Swap, apply_swap, draw_swap

if TYPE_CHECKING:
    from ltrr.memory import QueryMemory
    from ltrr.rank.ranker import Ranker

DEFAULT_INTERLEAVE_SHARE = 0.10


@dataclass(frozen=True)
class RankedList:
    """The shown order (indices into the pool), every pooled row's score, and what was tried."""

    order: np.ndarray                 # pool indices, best first, at most k
    scores: np.ndarray                # the ranker's score of every pooled row
    pinned: str | None = None         # the entity the memory rule put first
    swap: Swap | None = None
    interleave: dict | None = None    # {"a": name, "b": name, "teams": [...aligned with order]}

    def log_fields(self) -> dict:
        """Extra fields of the search event."""
        out: dict = {}
        if self.swap is not None:
            out["swap"] = self.swap.to_dict()
        if self.interleave is not None:
            out["interleave"] = self.interleave
        if self.pinned is not None:
            out["pinned"] = self.pinned
        return out


class RankStage:
    """Scores, the memory rule and the experiments; one per engine (thread-safe)."""

    def __init__(self, memory: "QueryMemory", seed: int = 0, swap_share: float = DEFAULT_SHARE,
                 interleave_share: float = DEFAULT_INTERLEAVE_SHARE) -> None:
        self.memory = memory
        self.set_shares(swap_share, interleave_share)
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

    def rank(self, ranker: "Ranker", query_norm: str, entity_ids: Sequence[str], X: np.ndarray,
             k: int) -> RankedList:
        """The shown order of a pool by `ranker` (the engine's current one; see the module docstring)."""
        n = len(entity_ids)
        if n == 0:
            return RankedList(np.zeros(0, dtype=np.int64), np.zeros(0))
        scores = np.asarray(ranker.score(X), dtype=np.float64)
        with self._lock:          # one draw sequence per engine, whatever the threads
            u_interleave, u_coin_seed = self._rng.random(), int(self._rng.integers(2 ** 31))
            swap = draw_swap(self._rng, self.swap_share, max(2, k))
        pinned = self.memory.pinned(query_norm) if query_norm else None
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
        shown = order[:k]
        if swap is not None and swap.pos < len(shown):
            shown = np.asarray(apply_swap(list(shown), swap), dtype=np.int64)
        else:
            swap = None
        return RankedList(shown, scores, pinned, swap, None)

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


def _order(scores: np.ndarray) -> np.ndarray:
    """Best first; ties keep pool order (stable), like every ranking in the engine."""
    return np.lexsort((np.arange(len(scores)), -np.asarray(scores)))


def _with_pin(order: np.ndarray, pin_row: int | None) -> np.ndarray:
    if pin_row is None:
        return order
    return np.concatenate([[pin_row], order[order != pin_row]]).astype(np.int64)
