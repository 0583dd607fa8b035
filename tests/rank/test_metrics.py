"""Ranking metrics (ltrr.rank.metrics): NDCG@k and IPS-weighted DCG@k on known values."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.rank.features import COLUMN, FEATURE_NAMES
from ltrr.rank.metrics import ips_dcg, ndcg_at_k
from ltrr.rank.position import prior_bias


def test_ndcg_known_values():
    assert ndcg_at_k(np.array([0, 0, 1]), np.array([3.0, 2.0, 1.0])) == pytest.approx(0.5)
    assert ndcg_at_k(np.array([1, 0, 0]), np.array([3.0, 2.0, 1.0])) == 1.0
    assert np.isnan(ndcg_at_k(np.zeros(3), np.array([3.0, 2.0, 1.0])))
    # Ties earn no credit from arrival order.
    assert ndcg_at_k(np.array([1, 0, 0]), np.zeros(3)) == pytest.approx(0.5)
    # Graded: the better item first matters.
    assert ndcg_at_k(np.array([1, 2]), np.array([2.0, 1.0])) < ndcg_at_k(np.array([1, 2]), np.array([1.0, 2.0])) == 1.0


def _session(n: int, clicked: int, position_of_click: int | None = None) -> tuple:
    X = np.zeros((n, len(FEATURE_NAMES)), np.float32)
    X[:, COLUMN["popularity"]] = np.linspace(1, 0, n)          # the scorer below ranks by this
    y = np.zeros(n, np.float32)
    y[clicked] = 1
    pos = np.arange(1, n + 1, dtype=np.float32)
    if position_of_click is not None:
        pos[clicked] = position_of_click
    return X, y, pos


def test_ips_dcg_known_values():
    by_popularity = lambda X: X[:, COLUMN["popularity"]]                          # noqa: E731
    bias = prior_bias()                                                           # p(rank) = 1 / rank
    # Clicked row ranked 1st, clicked at display position 1: 1 / log2(2) / 1 = 1.
    # Clicked row ranked 3rd, clicked at position 4: 1 / log2(4) / (1/4) = 2.
    values = ips_dcg([_session(5, 0, 1), _session(5, 2, 4)], by_popularity, bias)
    np.testing.assert_allclose(values, [1.0, 2.0])
    # A click at a rank the scorer puts beyond k earns nothing.
    assert ips_dcg([_session(12, 11)], by_popularity, bias, k=10)[0] == 0.0
