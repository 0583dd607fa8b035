"""ltrr.bandit.inputs, through the selector: every invalid context, reward and set of available
arms is refused with a message saying what would be valid, and teaches nothing."""
from __future__ import annotations

import numpy as np
import pytest

from tests.bandit.selectors import D, selector


@pytest.mark.parametrize("rewards, message", [
    ({"bogus": 1.0}, "reward for unknown arm 'bogus'"),
    ({"lexical": 2.0}, "must be a number in \\[0, 1\\], got 2.0"),
    ({"lexical": -0.1}, "must be a number in \\[0, 1\\]"),
    ({"lexical": float("nan")}, "must be a number in \\[0, 1\\]"),
    ({"lexical": "1"}, "must be a number in \\[0, 1\\], got '1'"),
    ({"lexical": True}, "must be a number in \\[0, 1\\], got True"),
    (["lexical"], "rewards must map arm names to numbers"),
])
def test_invalid_rewards(rewards, message):
    sel = selector("linucb")
    with pytest.raises(ValueError, match=message):
        sel.update(np.ones(D), rewards)
    assert sel.n_events == 0


@pytest.mark.parametrize("x, message", [
    ([], "non-empty 1-D sequence"),
    (np.ones((2, D)), "non-empty 1-D sequence"),
    (["a"] * D, "non-empty 1-D sequence"),
    (None, "non-empty 1-D sequence"),
    (np.r_[np.ones(D - 1), np.nan], "finite numbers only"),
    (np.r_[np.ones(D - 1), np.inf], "finite numbers only"),
    (np.ones(D + 1), f"context has {D + 1} features but the selector learned from {D}"),
])
def test_invalid_contexts(x, message):
    sel = selector("linucb")
    sel.update(np.ones(D), {"lexical": 1.0})
    with pytest.raises(ValueError, match=message):
        sel.select(x)
    with pytest.raises(ValueError, match=message):
        sel.update(x, {"lexical": 1.0})


@pytest.mark.parametrize("available, message", [
    (["lexical", "bogus"], "unknown arm\\(s\\) in available: bogus"),
    ("lexical", "not one string"),
])
def test_invalid_available(available, message):
    with pytest.raises(ValueError, match=message):
        selector("linucb").select(np.ones(D), available=available)
