"""The coverage learner's saved state: its cells as flat arrays, and back, checked.

One row per buffered target, whatever the number of cells, so a saved state's
size is bounded by the cells' buffers, not by the length of the history.
"""
from __future__ import annotations

from collections import OrderedDict, deque
from typing import Mapping

import numpy as np

from ltrr.bandit.coverage.cells import LADDER, Cell


def cells_to_state(cells: Mapping[tuple, Cell], n_arms: int) -> dict:
    """``cells`` as JSON-ready metadata per cell plus stacked numpy arrays (one row per buffered target)."""
    items = list(cells.items())
    sizes = [len(c.ranks) for _, c in items]

    def stacked(attr: str, dtype) -> np.ndarray:
        rows = [row for _, c in items for row in getattr(c, attr)]
        return np.array(rows, dtype=dtype).reshape((len(rows), n_arms) if attr in ("ranks", "counts")
                                                   else (len(rows),))
    return {
        "cells": [{"key": list(key), "t": c.t, "start": c.start, "n_wide": c.n_wide, "wide_t": c.wide_t,
                   "reach": None if c.reach is None else c.reach.tolist(),
                   "trend": None if c.trend is None else c.trend.tolist()}
                  for key, c in items],
        "sizes": np.array(sizes, dtype=np.int64),
        "ranks": stacked("ranks", np.int16), "counts": stacked("counts", np.int16),
        "inv_w": stacked("inv_w", np.float64), "born": stacked("born", np.int64),
    }


def state_to_parts(state: Mapping, n_arms: int, max_queries: int
                   ) -> tuple[dict[tuple, Cell], OrderedDict, int, int, np.ndarray]:
    """A saved state read back: cells, query counts, events, clicks and arm milliseconds.

    ValueError when it is malformed (nothing is half-applied: the caller swaps in the result).
    """
    try:
        n_events, n_clicks = int(state["n_events"]), int(state["n_clicks"])
        arm_ms = np.array([np.nan if v is None else float(v)
                           for v in state.get("arm_ms") or [None] * n_arms], dtype=np.float64)
        queries = OrderedDict((str(row[0]), np.array([float(v) for v in row[1:]], dtype=np.float64))
                              for row in state.get("query_counts") or [])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed coverage state: {exc}") from None
    # Three counts per query, then (saved since queries remember the arms they ran) one per arm,
    # then (since they count misses per arm) one more per arm.
    if any(v.shape not in ((3,), (3 + n_arms,), (3 + 2 * n_arms,)) or not np.isfinite(v).all() or (v < 0).any()
           for v in queries.values()) \
            or len(queries) > max_queries:
        raise ValueError("malformed coverage state: query counts")
    if arm_ms.shape != (n_arms,):
        raise ValueError("malformed coverage state: arm_ms must hold one value per arm")
    return state_to_cells(state, n_arms), queries, n_events, n_clicks, arm_ms


def state_to_cells(state: Mapping, n_arms: int) -> dict[tuple, Cell]:
    """The cells of :func:`cells_to_state`'s output, checked; ValueError when malformed."""
    try:
        sizes = np.asarray(state["sizes"], dtype=np.int64)
        ranks, counts = np.asarray(state["ranks"]), np.asarray(state["counts"])
        inv_w, born = np.asarray(state["inv_w"], dtype=np.float64), np.asarray(state["born"], dtype=np.int64)
        meta = list(state["cells"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed coverage state: {exc}") from None
    total = int(sizes.sum()) if sizes.size else 0
    shape = (total, n_arms)
    if len(meta) != sizes.size or (sizes < 0).any() or ranks.shape != shape or counts.shape != shape \
            or inv_w.shape != (total,) or born.shape != (total,):
        raise ValueError("malformed coverage state: array shapes disagree with the cells")
    cells: dict[tuple, Cell] = {}
    at = 0
    for info, size in zip(meta, sizes.tolist()):
        rows = slice(at, at + size)
        at += size
        cells[tuple(info["key"])] = Cell(
            t=int(info["t"]), start=int(info["start"]),
            n_wide=float(info.get("n_wide", 0.0)), wide_t=int(info.get("wide_t", 0)),
            reach=_reach(info.get("reach"), n_arms), trend=_trend(info.get("trend")),
            ranks=deque(ranks[rows].astype(np.int16)), counts=deque(counts[rows].astype(np.int16)),
            inv_w=deque(inv_w[rows].tolist()), born=deque(born[rows].tolist()))
    return cells


def _reach(value, n_arms: int) -> np.ndarray | None:
    """A saved cell's reach, checked (None: saved before reach was kept)."""
    if value is None:
        return None
    reach = np.asarray(value, dtype=np.float64)
    if reach.shape != (n_arms, len(LADDER)) or not np.isfinite(reach).all() or (reach < 0).any():
        raise ValueError("malformed coverage state: a cell's reach has the wrong shape or values")
    return reach


def _trend(value) -> np.ndarray | None:
    """A saved cell's decayed trend sums, checked (None: saved before they were kept)."""
    if value is None:
        return None
    trend = np.asarray(value, dtype=np.float64)
    # Decayed sums: served searches (slow, fast), breadth (slow, fast), searches (slow, fast).
    if trend.shape != (6,) or not np.isfinite(trend).all() or (trend < 0).any() or (trend[4:] <= 0).any() \
            or (trend[:2] > trend[4:] + 1e-9).any():
        raise ValueError("malformed coverage state: a cell's trend has the wrong shape or values")
    return trend
