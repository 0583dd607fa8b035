"""PolicySpec: parsing, canonical strings, mabwiser mapping, and every invalid input."""
from __future__ import annotations

import dataclasses
import json

import pytest
from mabwiser.mab import LearningPolicy

from ltrr.bandit.policy import LEARNING_POLICIES, POLICY_NAMES, PolicySpec
from ltrr.strategies.registry import arm_names


@pytest.mark.parametrize("text, kind", [
    ("linucb", "learning"), ("lints", "learning"), ("thompson", "learning"), ("epsilon", "learning"),
    ("all", "all"), ("static:lexical,fuzzy", "static"),
])
def test_parse_gives_the_named_policy_and_kind(text, kind):
    spec = PolicySpec.parse(text)
    assert spec.name == text.split(":")[0]
    assert spec.kind == kind
    assert spec.is_learning == (kind == "learning")


@pytest.mark.parametrize("text, expected", [
    ("linucb", LearningPolicy.LinUCB(alpha=0.5, l2_lambda=1.0)),
    ("linucb:alpha=0.25,l2_lambda=2", LearningPolicy.LinUCB(alpha=0.25, l2_lambda=2.0)),
    ("linucb:alpha=0", LearningPolicy.LinUCB(alpha=0.0, l2_lambda=1.0)),
    ("lints", LearningPolicy.LinTS(alpha=0.3, l2_lambda=1.0)),
    ("lints:alpha=1.5", LearningPolicy.LinTS(alpha=1.5, l2_lambda=1.0)),
    ("thompson", LearningPolicy.ThompsonSampling()),
    ("epsilon", LearningPolicy.EpsilonGreedy(epsilon=0.1)),
    ("epsilon:epsilon=0.3", LearningPolicy.EpsilonGreedy(epsilon=0.3)),
])
def test_to_mabwiser_carries_the_hyper_parameters(text, expected):
    assert PolicySpec.parse(text).to_mabwiser() == expected


def test_hyper_parameters_are_exposed_and_irrelevant_ones_are_none():
    spec = PolicySpec.parse("linucb:alpha=0.25")
    assert (spec.alpha, spec.l2_lambda, spec.epsilon) == (0.25, 1.0, None)
    spec = PolicySpec.parse("epsilon:epsilon=0.2")
    assert (spec.alpha, spec.l2_lambda, spec.epsilon) == (None, None, 0.2)
    assert PolicySpec.parse("thompson").params == ()


def test_static_keeps_the_arms_in_the_order_given():
    assert PolicySpec.parse("static: fuzzy , lexical ").arms == ("fuzzy", "lexical")


def test_case_and_spaces_around_the_name_do_not_matter():
    assert PolicySpec.parse("  LinUCB ") == PolicySpec.parse("linucb")


@pytest.mark.parametrize("text", [
    "linucb", "linucb:alpha=0.125,l2_lambda=3", "lints:alpha=0.7", "thompson", "epsilon:epsilon=0.05",
    "all", "static:semantic", "static:memory,lexical,popular",
])
def test_str_is_canonical_and_parses_back_to_an_equal_spec(text):
    spec = PolicySpec.parse(text)
    assert PolicySpec.parse(str(spec)) == spec
    assert str(PolicySpec.parse(str(spec))) == str(spec)


def test_str_spells_out_defaults_so_logs_are_unambiguous():
    assert str(PolicySpec.parse("linucb")) == "linucb:alpha=0.5,l2_lambda=1.0"
    assert str(PolicySpec.parse("static:lexical,fuzzy")) == "static:lexical,fuzzy"
    assert str(PolicySpec.parse("all")) == "all"


def test_direct_construction_validates_like_parse():
    assert PolicySpec("linucb", params=(("alpha", 0.2),)).alpha == 0.2
    assert PolicySpec("static", arms=("lexical",)).arms == ("lexical",)
    with pytest.raises(ValueError, match="unknown policy 'ucb'"):
        PolicySpec("ucb")


def test_known_arms_override_the_registry():
    assert PolicySpec.parse("static:a,b", known_arms=["a", "b", "c"]).arms == ("a", "b")
    with pytest.raises(ValueError, match="valid arms: a, b, c"):
        PolicySpec.parse("static:lexical", known_arms=["a", "b", "c"])


def test_specs_are_immutable_and_hashable():
    spec = PolicySpec.parse("linucb")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "lints"
    assert len({spec, PolicySpec.parse("linucb"), PolicySpec.parse("lints")}) == 2


def test_to_dict_is_json_ready():
    data = json.loads(json.dumps(PolicySpec.parse("lints:alpha=0.7").to_dict()))
    assert data == {"name": "lints", "kind": "learning", "arms": [],
                    "params": {"alpha": 0.7, "l2_lambda": 1.0}, "spec": "lints:alpha=0.7,l2_lambda=1.0"}


def test_policy_name_lists_agree():
    assert set(LEARNING_POLICIES) < set(POLICY_NAMES)
    assert {"all", "static"} <= set(POLICY_NAMES)


# -- every invalid input, together -----------------------------------------------------

VALID_POLICIES = "valid policies: coverage, linucb, lints, thompson, epsilon, all, static"


@pytest.mark.parametrize("text, message", [
    ("", VALID_POLICIES),
    ("   ", VALID_POLICIES),
    (None, VALID_POLICIES),
    (42, VALID_POLICIES),
    ("ucb", "unknown policy 'ucb'; " + VALID_POLICIES),
    ("greedy:epsilon=0.1", "unknown policy 'greedy'"),
    ("static", "'static' needs at least one arm"),
    ("static: , ", "'static' needs at least one arm"),
    ("static:lexical,bogus,nope", "unknown arm\\(s\\) in 'static:lexical,bogus,nope': bogus, nope; valid arms: "
     + ", ".join(arm_names())),
    ("static:lexical,lexical", "more than once: lexical"),
    ("all:lexical", "'all' takes no options"),
    ("linucb:alpha=-1", "linucb option alpha must be 0 or more, got -1.0"),
    ("lints:alpha=0", "lints option alpha must be greater than 0"),
    ("linucb:l2_lambda=0", "l2_lambda must be greater than 0"),
    ("linucb:alpha=abc", "alpha='abc' is not a number"),
    ("linucb:alpha=nan", "must be a finite number"),
    ("linucb:alpha=inf", "must be a finite number"),
    ("linucb:alpha", "must look like name=value \\('linucb' takes alpha, l2_lambda\\)"),
    ("linucb:beta=1", "unknown option\\(s\\) 'beta' for policy 'linucb'; 'linucb' takes alpha, l2_lambda"),
    ("thompson:alpha=1", "'thompson' takes no options"),
    ("epsilon:epsilon=1.5", "epsilon must be between 0 and 1, got 1.5"),
    ("linucb:alpha=1,alpha=2", "'alpha' is given twice"),
    ("coverage:cost=-0.1", "coverage option cost must be 0 or more"),
    ("coverage:wide_at=4", "wide_at must be a budget of the ladder"),
    ("coverage:wide=0.6,epsilon=0.5", "add up to at most 1"),
    ("coverage:context=2", "context must be 0 \\(context-free\\) or 1"),
    ("coverage:prior=-1", "coverage option prior must be 0 or more, got -1.0"),
    ("coverage:ms=-0.5", "coverage option ms must be 0 or more, got -0.5"),
    ("coverage:queries=-1", "coverage option queries must be a whole number, 0 or more, got -1.0"),
    ("coverage:queries=2.5", "coverage option queries must be a whole number, 0 or more, got 2.5"),
    ("coverage:judged=1.5", "coverage option judged must lie between 0 and 1, got 1.5"),
    ("coverage:halflife=0", "coverage option halflife must be above 0, got 0.0"),
    ("coverage:later=0.5", "coverage option later must be 0 \\(off\\) or at least 1, got 0.5"),
])
def test_invalid_policy_strings_raise_value_error_naming_the_problem(text, message):
    with pytest.raises(ValueError, match=message):
        PolicySpec.parse(text)


def test_only_learning_policies_map_to_mabwiser():
    for text in ("all", "static:lexical"):
        with pytest.raises(ValueError, match="not a learning policy"):
            PolicySpec.parse(text).to_mabwiser()


def test_only_static_takes_arms():
    with pytest.raises(ValueError, match="only 'static' takes a list of arms"):
        PolicySpec("all", arms=("lexical",))


def test_the_half_life_a_spec_names_is_the_learners():
    from ltrr.bandit.coverage import CoverageLearner
    learner = CoverageLearner.from_params(("a", "b"), dict(PolicySpec.parse("coverage:halflife=1000").params))
    assert learner.decay == pytest.approx(0.5 ** (1 / 1000))
    default = CoverageLearner.from_params(("a", "b"), dict(PolicySpec.parse("coverage").params))
    assert default.decay == pytest.approx(0.5 ** (1 / 300))
