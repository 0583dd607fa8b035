"""Team-draft interleaving (ltrr.interleave): construction, credit, the sign test and the tally."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.interleave import Tally, credit, outcome, tally, team_draft


def test_worked_example_of_the_docstring():
    class Coins:            # a wins the first coin, b the second
        def __init__(self):
            self.values = iter([0.1, 0.9])

        def random(self):
            return next(self.values)

    items, teams = team_draft(["x", "y", "z"], ["y", "w", "x"], 4, Coins())
    assert items == ["x", "y", "w", "z"] and teams == ["a", "b", "b", "a"]
    assert outcome(dict(zip(items, teams)), ["w"]) == -1


def test_teams_stay_balanced_and_every_item_comes_from_its_teams_list():
    rng = np.random.default_rng(0)
    a = [f"d{i}" for i in range(20)]
    for _ in range(200):
        b = list(rng.permutation(a))
        items, teams = team_draft(a, b, 10, rng)
        assert len(items) == len(set(items)) == 10
        assert abs(teams.count("a") - teams.count("b")) <= 1
        # Each team's picks appear in the order of its own ranking.
        for team, ranking in (("a", a), ("b", b)):
            picked = [e for e, t in zip(items, teams) if t == team]
            assert picked == sorted(picked, key=ranking.index)


def test_each_team_leads_half_of_the_time():
    rng = np.random.default_rng(1)
    first = [team_draft(["x"], ["y"], 2, rng)[1][0] for _ in range(2000)]
    assert 900 < first.count("a") < 1100


def test_short_and_identical_lists():
    rng = np.random.default_rng(2)
    items, teams = team_draft(["x"], ["y", "z", "w"], 10, rng)
    assert sorted(items) == ["w", "x", "y", "z"]
    items, _ = team_draft(["x", "y"], ["x", "y"], 10, rng)
    assert items == ["x", "y"]
    assert team_draft([], [], 5, rng) == ([], [])


def test_credit_and_outcomes():
    teams = {"x": "a", "y": "b", "z": "b"}
    assert credit(teams, ["y", "z", "y", "unknown"]) == (0, 2)
    assert outcome(teams, ["x", "y"]) == 0 and outcome(teams, []) == 0 and outcome(teams, ["x"]) == 1


def test_sign_test_and_tally():
    t = Tally("heuristic", "lightgbm v2", wins=14, losses=6, ties=3)
    assert t.n == 23 and t.leader == "heuristic"
    assert t.p_value == pytest.approx(0.1153, abs=1e-4)          # binomial(20, 1/2), two-sided
    assert t.label() == "heuristic vs lightgbm v2: 14-6 (3 ties), p = 0.115"
    assert Tally("a", "b", 0, 0, 5).p_value == 1.0 and Tally("a", "b", 0, 0, 5).leader is None
    events = [
        {"id": "s1", "results": ["x", "y"], "interleave": {"a": "h", "b": "m", "teams": ["a", "b"]}},
        {"id": "s2", "results": ["x", "y"], "interleave": {"a": "h", "b": "m", "teams": ["b", "a"]}},
        {"id": "s3", "results": ["x", "y"], "interleave": {"a": "h", "b": "m", "teams": ["a", "b"]}},
        {"id": "s4", "results": ["x", "y"]},
    ]
    (row,) = tally(events, [("s1", "x"), ("s2", "x"), ("s4", "x")], resolved={"s1", "s2", "s3"})
    assert (row.wins, row.losses, row.ties) == (1, 1, 1)
    (row,) = tally(events, [("s1", "x")], resolved={"s1"})
    assert row.n == 1
