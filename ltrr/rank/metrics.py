"""Ranking metrics: NDCG@k of graded labels and IPS-weighted DCG@k of logged clicks."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ltrr.rank.labels import Session
from ltrr.rank.position import PositionBias

NDCG_K = 10

Scorer = Callable[[np.ndarray], np.ndarray]


def ndcg_at_k(labels: np.ndarray, scores: np.ndarray, k: int = NDCG_K) -> float:
    """NDCG@k of one search, gain 2^label - 1; NaN when no row is relevant.

    Ties in ``scores`` are broken pessimistically (less relevant first), so a
    constant scorer earns no credit from the order rows happened to arrive in.
    """
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    ideal = np.sort(labels)[::-1][:k]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = float(((2.0 ** ideal - 1.0) * discount[: len(ideal)]).sum())
    if idcg <= 0:
        return float("nan")
    order = np.lexsort((labels, -scores))[:k]
    dcg = float(((2.0 ** labels[order] - 1.0) * discount[: len(order)]).sum())
    return dcg / idcg


def mean_ndcg(sessions: list[tuple[np.ndarray, np.ndarray]], scorer, k: int = NDCG_K) -> float:
    """Mean NDCG@k of ``scorer(X)`` over (X, labels) sessions that have a relevant row."""
    values = [ndcg_at_k(y, scorer(X), k) for X, y in sessions]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def ips_dcg(sessions: list[Session], scorer: Scorer, bias: PositionBias, k: int = NDCG_K) -> np.ndarray:
    """Per session, the IPS-weighted DCG@k of ``scorer``'s order of its rows (see :mod:`ltrr.rank.ranker`).

    ``sum over clicked rows of [rank <= k] / log2(1 + rank) / p(logged position)``, ties broken
    pessimistically (clicked rows last). Its mean is unbiased for the DCG of the relevant rows
    under the position-based model, whichever ranking logged the clicks.
    """
    out = np.zeros(len(sessions))
    for i, (X, y, pos) in enumerate(sessions):
        scores = np.asarray(scorer(X), dtype=np.float64)
        order = np.lexsort((y, -scores))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        for row in np.flatnonzero(y > 0):
            if rank[row] <= k:
                out[i] += 1.0 / np.log2(1.0 + rank[row]) / bias.at(int(pos[row]) or None)
    return out
