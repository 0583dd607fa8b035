"""The routing table (``route``): a fixed configuration per kind of ask, chosen on judged searches."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.route import MIN_SEARCHES, RoutePolicy, route_keys
from ltrr.bandit.selector import ArmSelector

ARMS = ("lexical", "fuzzy", "popular")


def _context(**on: float) -> np.ndarray:
    x = np.zeros(len(CONTEXT_FEATURES))
    for name, v in on.items():
        x[CONTEXT_FEATURES.index(name)] = v
    return x


# Two kinds of the same shape (one word), and a one-word kind seen too rarely to get its own route.
TITLE = _context(q_one_word=1.0)
ARTIST = _context(q_one_word=1.0, type_artist=1.0)
RARE = _context(q_one_word=1.0, q_unknown_words=1.0)
PHRASE = _context(q_three_plus_words=1.0)


def _read(policy, x, n, arm, rank):
    for _ in range(n):
        policy.add(x, {a: (rank if a == arm else None) for a in ARMS}, {a: 50 for a in ARMS})


def test_each_kind_of_ask_gets_the_cheapest_configuration_that_serves_it():
    assert len({route_keys(x)[0] for x in (TITLE, ARTIST, RARE)}) == 3
    assert len({route_keys(x)[1] for x in (TITLE, ARTIST, RARE)}) == 1
    route = RoutePolicy(ARMS, cost=0.008, default_budget=20)
    assert list(route.budgets(TITLE)) == [20, 20, 20]            # nothing read: every arm, as `all`
    _read(route, TITLE, 60, "lexical", 1)
    _read(route, ARTIST, 30, "popular", 4)
    _read(route, RARE, MIN_SEARCHES - 1, "fuzzy", 2)
    _read(route, PHRASE, 25, "fuzzy", 2)
    assert dict(zip(ARMS, route.budgets(TITLE))) == {"lexical": 1, "fuzzy": 0, "popular": 0}
    assert dict(zip(ARMS, route.budgets(ARTIST))) == {"lexical": 0, "fuzzy": 0, "popular": 5}
    assert dict(zip(ARMS, route.budgets(PHRASE))) == {"lexical": 0, "fuzzy": 3, "popular": 0}
    # Too few searches of its own: the rare kind takes its shape's route (one-word asks, mostly titles).
    one_word = route.budgets(RARE)
    assert one_word[0] == 1 and one_word[2] == 5
    # A shape never read takes every search's.
    assert list(route.budgets(_context(q_two_words=1.0))) == list(route.budgets(None))


def test_a_dearer_candidate_leaves_out_what_serves_few():
    cheap, dear = (RoutePolicy(ARMS, cost=c, default_budget=20) for c in (0.0, 0.05))
    for route in (cheap, dear):
        _read(route, TITLE, 95, "lexical", 1)
        _read(route, TITLE, 5, "popular", 8)       # 5% need 10 more candidates
    assert dict(zip(ARMS, cheap.budgets(TITLE))) == {"lexical": 1, "fuzzy": 0, "popular": 10}
    assert dict(zip(ARMS, dear.budgets(TITLE))) == {"lexical": 1, "fuzzy": 0, "popular": 0}


def test_the_selector_routes_with_propensity_one_and_keeps_what_it_read():
    spec = PolicySpec.parse("route:cost=0.004", known_arms=ARMS)
    assert str(PolicySpec.parse(str(spec), known_arms=ARMS)) == str(spec) and spec.kind == "route"
    sel = ArmSelector(spec, ARMS, seed=0, arm_budget=10)
    assert sel.learns_warm and not sel.learns_every_arm
    for _ in range(30):
        sel.observe_warm(TITLE, {"lexical": 3, "fuzzy": None, "popular": None}, {"lexical": 50})
    chosen = sel.select(TITLE)
    assert [(c.arm, c.budget, c.propensity) for c in chosen.choices] == \
        [("lexical", 3, 1.0), ("fuzzy", 0, 0.0), ("popular", 0, 0.0)]
    assert [c.budget for c in sel.select(TITLE, available=["fuzzy", "popular"]).choices] == [0, 0, 0]
    assert [r["selection_probability"] for r in sel.report()] == [1.0, 0.0, 0.0]
    again = ArmSelector(spec, ARMS, seed=0, arm_budget=10)
    again.load_state_dict(sel.state_dict())
    assert [c.budget for c in again.select(TITLE).choices] == [3, 0, 0]
    broken = sel.state_dict()
    broken["route"] = {**broken["route"], "ranks": broken["route"]["ranks"][:, :2]}
    with pytest.raises(ValueError, match="route state"):
        again.load_state_dict(broken)


def test_a_negative_price_is_refused():
    with pytest.raises(ValueError, match="route option cost must be 0 or more"):
        PolicySpec.parse("route:cost=-1")
