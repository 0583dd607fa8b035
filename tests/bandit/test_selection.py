"""The selection records (ltrr.bandit.selection): the log's JSON form, lookup by arm."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr.bandit.selection import ArmChoice, Selection
from tests.bandit.selectors import ARMS, D, selector


def test_selection_to_dict_is_json_ready():
    s = selector("thompson").select(np.ones(D))
    data = json.loads(json.dumps(s.to_dict()))
    assert data["policy"] == "thompson"
    assert set(data["arms"]) == set(ARMS)
    assert data["arms"]["lexical"] == {"selected": True, "budget": 20, "propensity": 1.0, "expectation": 0.5}
    with pytest.raises(KeyError, match="unknown arm 'nope'"):
        s["nope"]


def test_from_arrays_gives_one_choice_per_arm_in_arm_order():
    s = Selection.from_arrays("linucb", ("a", "b", "c"), np.array([True, False, True]), np.array([20, 0, 7]),
                              np.array([1.0, 0.25, 0.5]), np.array([0.8, 0.1, 0.4]))
    assert [c.arm for c in s.choices] == ["a", "b", "c"] and s.decision is None
    assert s["b"] == ArmChoice("b", False, 0, 0.25, 0.1)
    assert s.selected_arms == ("a", "c") and s.arm_to_budget == {"a": 20, "c": 7}
    assert s.arm_to_propensity == {"a": 1.0, "b": 0.25, "c": 0.5}
    # Plain Python values, so the record goes to the JSON log as it is.
    assert all(type(v) in (bool, int, float) for c in s.choices
               for v in (c.selected, c.budget, c.propensity, c.expectation))
