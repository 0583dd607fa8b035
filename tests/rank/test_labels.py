"""Training groups from logged clicks (ltrr.rank.labels): naive, IPS, cascade and LightGBM positions."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.rank.features import FEATURE_NAMES
from ltrr.rank.labels import stack_sessions, training_set
from ltrr.rank.position import prior_bias


def session(labels: list[int], positions: list[int]) -> tuple:
    n = len(labels)
    X = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, len(FEATURE_NAMES)), np.float32)
    return X, np.array(labels, np.float32), np.array(positions)


P = prior_bias().at          # 1 / rank


def test_naive_reading_is_one_group_per_session():
    data = training_set([session([0, 1, 0], [1, 2, 3]), session([0, 0], [1, 2])], P, "none")
    assert data.group.tolist() == [3] and data.y.tolist() == [0, 1, 0] and data.weight is None


def test_ips_weights_each_click_by_its_inverse_examination_probability():
    data = training_set([session([0, 1, 0, 0], [1, 2, 3, 4]), session([1, 0, 0, 0], [1, 2, 3, 4])], P, "ips")
    assert data.group.tolist() == [4, 4]
    w = data.weight[np.cumsum([0, 4])]
    assert w[0] / w[1] == pytest.approx(2.0)                    # clicked at rank 2 vs rank 1
    assert data.weight.mean() == pytest.approx(1.0)
    assert data.y.tolist() == [1, 0, 0, 0, 1, 0, 0, 0]            # the clicked row first, then the others
    np.testing.assert_array_equal(data.X[:4, 0], [1, 0, 2, 3])


def test_two_clicks_make_two_groups_that_do_not_treat_each_other_as_negatives():
    data = training_set([session([1, 0, 1, 0], [1, 2, 3, 4])], P, "ips")
    assert data.group.tolist() == [3, 3]
    np.testing.assert_array_equal(data.X[:3, 0], [0, 1, 3])
    np.testing.assert_array_equal(data.X[3:, 0], [2, 1, 3])


def test_cascade_keeps_only_rows_above_the_last_click_as_negatives():
    data = training_set([session([0, 0, 1, 0, 0], [1, 2, 3, 4, 5])], P, "ips_cascade")
    assert data.group.tolist() == [3]
    np.testing.assert_array_equal(data.X[:, 0], [2, 0, 1])


def test_lightgbm_mode_passes_positions_and_no_weights():
    data = training_set([session([0, 1, 0], [2, 1, 3])], P, "lightgbm")
    assert data.position.tolist() == [2, 1, 3] and data.weight is None


def test_no_clicks_no_groups_and_unknown_modes_refused():
    assert training_set([session([0, 0], [1, 2])], P, "ips").group.size == 0
    with pytest.raises(ValueError, match="debias"):
        training_set([], P, "magic")


def test_stacked_rows_and_groups_line_up():
    rng = np.random.default_rng(0)
    sessions = [(rng.normal(size=(n, len(FEATURE_NAMES))).astype(np.float32), rng.integers(0, 3, n).astype(float))
                for n in (3, 7, 1, 5)]
    X, y, group = stack_sessions(sessions)
    assert group.tolist() == [3, 7, 1, 5] and len(X) == len(y) == 16
    bounds = np.cumsum([0, *group])
    for (sx, sy), lo, hi in zip(sessions, bounds[:-1], bounds[1:]):
        np.testing.assert_array_equal(X[lo:hi], sx)
        assert y[lo:hi].tolist() == sy.tolist()
