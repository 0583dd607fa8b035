"""base: every plan starts from a routing table's configuration for its kind of ask, chosen
from what a warm start read, and the learner buys only what pays beyond it."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.cells import LADDER
from ltrr.bandit.coverage.plan import greedy
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.selector import ArmSelector
from tests.bandit.learners import two_word_context as ctx

ARMS = ("a", "b", "c")
LISTS = {a: 50 for a in ARMS}


def warmed(spec: str) -> ArmSelector:
    """A selector that read 200 searches of one kind, nine in ten found by arm a at rank 1 and the
    rest by arm c alone at rank 3 (titles, and asks for what just came out), then served 1,500
    (five half-lives) that ran arm a only: its finds clicked, the rest ended without a click."""
    sel = ArmSelector(PolicySpec.parse(spec, known_arms=ARMS), ARMS, seed=0, arm_budget=10)
    for i in range(200):
        sel.observe_warm(ctx(), {"c": 3} if i % 10 == 0 else {"a": 1}, LISTS)
    learner = sel._coverage.learner
    for i in range(1500):
        learner.observe(ctx(), {"a": 1}, list(ARMS), None if i % 10 == 0 else {"a": 1}, LISTS, p_wide=0.0)
    return sel


def budgets(sel: ArmSelector) -> dict[str, tuple[int, float]]:
    """Each arm's budget and chance to run in the selector's greedy configuration."""
    return {c.arm: (c.budget, c.propensity) for c in sel.select(ctx()).choices}


def test_an_arm_the_table_runs_for_a_kind_stays_in_every_plan_after_the_learners_evidence_fades():
    faded, based = warmed("coverage:cost=0.008"), warmed("coverage:cost=0.008,base=0.008")
    c = ARMS.index("c")
    mask = np.ones(len(ARMS), dtype=bool)
    # Without a base the learner has let arm c go: the misses of its own searches, which never ran
    # c, are skips that say nothing of c, and the warm start's finds by c have faded.
    assert faded._coverage.learner.greedy(ctx(), mask)[0][c] == 0
    # With one, the table (a tenth of the warm searches found by c alone at rank 3) keeps c at 3 in
    # every draw, with propensity 1: it is part of the greedy configuration, not an exploration.
    base = based._coverage.base(ctx())
    assert dict(zip(ARMS, base)) == {"a": 1, "b": 0, "c": 3}
    for _ in range(20):
        budget, propensity = budgets(based)["c"]
        assert budget >= 3 and propensity == 1.0


def test_a_plan_never_goes_below_its_base_and_adds_only_what_pays():
    learner = CoverageLearner(ARMS, seed=0)
    for i in range(300):
        # a finds two thirds of what is wanted at rank 1, b the rest at rank 4.
        learner.observe_warm(ctx(), {"a": 1} if i % 3 else {"b": 4}, LISTS)
    mask = np.ones(len(ARMS), dtype=bool)
    levels = learner._levels(ctx())
    free, _, cover_free, _ = greedy(levels, mask, 0.004, np.zeros(3), 50.0)
    assert dict(zip(ARMS, free)) == {"a": 1, "b": 5, "c": 0}
    # A base that already runs what pays: nothing is added, and its coverage is read as the free plan's.
    same, _, cover_same, _ = greedy(levels, mask, 0.004, np.zeros(3), 50.0, base=free)
    assert list(same) == list(free) and cover_same == pytest.approx(cover_free)
    # A base of c, which never finds anything, is kept (the table chose it), and a and b are still bought.
    with_c, _, _, _ = greedy(levels, mask, 0.004, np.zeros(3), 50.0, base=np.array([0, 0, 10]))
    assert dict(zip(ARMS, with_c)) == {"a": 1, "b": 5, "c": 10}
    # An arm that is not available runs at no budget, base or not.
    off = np.array([True, True, False])
    assert greedy(levels, off, 0.004, np.zeros(3), 50.0, base=np.array([0, 0, 10]))[0][2] == 0
    # Before anything is learned, every arm at the cold budget or its base, whichever is deeper.
    assert list(greedy([], mask, 0.004, np.zeros(3), 50.0, base=np.array([0, 0, 50]))[0]) == [10, 10, 50]
    assert set(free) <= set(LADDER)


def test_the_table_is_saved_with_the_learner_and_a_state_without_it_is_refused():
    sel = warmed("coverage:cost=0.008,base=0.008")
    again = ArmSelector(sel.spec, ARMS, seed=0, arm_budget=10)
    again.load_state_dict(sel.state_dict())
    assert list(again._coverage.base(ctx())) == list(sel._coverage.base(ctx()))
    assert budgets(again) == budgets(sel)
    plain = warmed("coverage:cost=0.008").state_dict()
    plain["spec"] = str(sel.spec)
    with pytest.raises(ValueError, match="no routing table"):
        ArmSelector(sel.spec, ARMS, seed=0, arm_budget=10).load_state_dict(plain)


def test_the_policy_spec_reads_base():
    assert dict(PolicySpec.parse("coverage").params)["base"] == 0.0
    assert dict(PolicySpec.parse("coverage:base=0.008").params)["base"] == 0.008
    with pytest.raises(ValueError, match="base must be 0"):
        PolicySpec.parse("coverage:base=-1")
