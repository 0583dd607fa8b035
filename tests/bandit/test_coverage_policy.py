"""The coverage policy inside the selector (ltrr.bandit.coverage_policy): searches drawn for
judgment at the policy's share, and a logged share read back."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage_policy import logged_share
from tests.bandit.selectors import random_context, selector


def test_judged_searches_are_drawn_at_their_share_and_a_damaged_share_teaches_nothing():
    sel = selector("coverage:judged=0.25", seed=3)
    x = random_context(np.random.default_rng(0))
    drawn = [sel.select(x).decision for _ in range(400)]
    assert all(d["judged_share"] == 0.25 for d in drawn)
    assert 0.18 < np.mean([d["judge"] for d in drawn]) < 0.32      # 100 expected, sd 8.7
    learner = sel.learner
    one = sel.select(x)
    bad = dict(one.decision, judge=True, judged_share="a lot")
    sel.observe_judged(x, [c.__dict__ for c in one.choices], bad, {"lexical": 1})
    assert learner.n_events == 0
    # A share outside [0, 1] reads as none: the search teaches as a plain click.
    sel.observe(x, [c.__dict__ for c in one.choices], dict(one.decision, judge=False, judged_share=7.0), None)
    assert learner.n_events == 1


@pytest.mark.parametrize("share, read", [
    (0.25, 0.25), (0, 0.0), (1, 1.0), (None, 0.0), (True, 0.0), ("0.5", 0.0), (-0.1, 0.0), (1.5, 0.0),
])
def test_a_logged_share_is_read_back_only_when_it_is_a_number_in_zero_to_one(share, read):
    decision = {} if share is None else {"judged_share": share}
    assert logged_share(decision) == read
