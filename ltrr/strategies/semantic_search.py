"""Nearest vectors to a query vector: exact over a matrix, or approximate over an HNSW graph.

Search is exact (a float32 matrix product) up to ``EXACT_MAX_ROWS`` entities
and approximate (a usearch HNSW graph, memory-mapped on load) above.
Measured on this machine (2 cores, 384 dims, top 10): exact costs 0.04 ms at
1k rows, 0.3 ms at 10k, 1.7 ms at 20k and 4.4 ms at 60k; HNSW costs
0.1-0.6 ms over the same range but takes seconds to build and is
approximate. They cross at about 10k rows, hence the threshold.

Every module that reads ``EXACT_MAX_ROWS`` reads it through this module
(``semantic_search.EXACT_MAX_ROWS``) at call time, so one setting, or a test's
monkeypatch, reaches the arm, its build and its live index alike.
"""
from __future__ import annotations

import numpy as np

EXACT_MAX_ROWS = 10_000


def exact(matrix: np.ndarray, vector: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the `budget` best cosines in a float32 matrix (unordered) and those cosines."""
    sims = matrix @ vector
    k = min(budget, sims.size)
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    rows = np.argpartition(-sims, k - 1)[:k]
    return rows, sims[rows]


def approximate(hnsw, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the `k` nearest vectors in a usearch HNSW graph (cosine metric) and their cosines."""
    matches = hnsw.search(vector, k)
    rows = np.asarray(matches.keys, dtype=np.int64)
    return rows, 1.0 - np.asarray(matches.distances, dtype=np.float64)   # usearch "cos" is 1 - cosine
