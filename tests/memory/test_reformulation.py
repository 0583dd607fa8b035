"""Reformulation evidence: distinct users, decay in searches, bounds, exact state round trips."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr.memory.reformulation import (HALF_LIFE, MAX_USERS, NEW_USER_WEIGHT, REPEAT_WEIGHT, ReformulationMemory,
                                confidence, confidences, user_key)


def test_distinct_users_weigh_more_than_one_user_repeating():
    many, one = ReformulationMemory(), ReformulationMemory()
    for user in ("a", "b", "c"):
        many.record("tunes to unwind to", "track:p", user)
        one.record("tunes to unwind to", "track:p", "a")
    assert many.pair("tunes to unwind to", "track:p").weight == pytest.approx(3 * NEW_USER_WEIGHT)
    assert one.pair("tunes to unwind to", "track:p").weight == pytest.approx(NEW_USER_WEIGHT + 2 * REPEAT_WEIGHT)
    assert (many.pair("tunes to unwind to", "track:p").users, one.pair("tunes to unwind to", "track:p").users) == (3, 1)
    assert one.pair("tunes to unwind to", "track:p").chains == 3
    assert confidence(3.0) == pytest.approx(0.6) and confidence(1.5) < confidence(3.0) < confidence(10.0) < 1


def test_weights_halve_every_half_life_searches_and_never_by_the_clock():
    memory = ReformulationMemory(half_life=100)
    memory.record("q", "track:p", "a")
    for _ in range(100):
        memory.tick()
    assert memory.pair("q", "track:p").weight == pytest.approx(0.5)
    memory.record("q", "track:p", "b")           # decayed first, then the new user's 1
    assert memory.pair("q", "track:p").weight == pytest.approx(1.5)
    assert HALF_LIFE >= 10_000                    # a study's few thousand searches barely fade it


def test_a_query_keeps_several_meanings_and_drops_the_weakest_past_its_bound():
    memory = ReformulationMemory(max_entities=2)
    memory.record("vague", "track:a", "u1")
    memory.record("vague", "track:a", "u2")
    memory.record("vague", "track:b", "u3")
    memory.record("vague", "track:c", "u4")      # c, just taught, stays; the weakest other, b, leaves
    assert set(memory.evidence("vague")) == {"track:a", "track:c"}


def test_the_least_recently_taught_query_leaves_first():
    memory = ReformulationMemory(max_queries=2)
    memory.record("q1", "track:a", "u")
    memory.record("q2", "track:a", "u")
    memory.record("q1", "track:b", "u")          # q1 taught again: q2 is now the oldest
    memory.record("q3", "track:a", "u")
    assert memory.n_queries == 2 and memory.evidence("q2") == {}
    assert set(memory.evidence("q1")) == {"track:a", "track:b"}


def test_user_hashes_are_bounded_per_pair():
    memory = ReformulationMemory()
    for i in range(MAX_USERS + 5):
        memory.record("q", "track:a", f"u{i}")
    state = memory.state_dict()
    assert len(state["users"][0]) == MAX_USERS
    assert memory.pair("q", "track:a").users == MAX_USERS + 5


def test_state_round_trips_exactly_through_json():
    memory = ReformulationMemory(half_life=7)
    for i in range(5):
        memory.record(f"q{i % 2}", f"track:{i % 3}", f"u{i % 2}")
        memory.tick()
    restored = ReformulationMemory(half_life=7)
    restored.load_state_dict(json.loads(json.dumps(memory.to_dict())))
    assert list(restored) == list(memory)
    assert restored.clock == memory.clock
    restored.record("q0", "track:0", "u9")
    memory.record("q0", "track:0", "u9")
    assert restored.pair("q0", "track:0") == memory.pair("q0", "track:0")


@pytest.mark.parametrize("state", [{}, {"clock": 0, "queries": ["q"], "entities": [], "weight": [], "at": [],
                                        "n_users": [], "chains": [], "users": []},
                                   {"clock": 0, "queries": ["q"], "entities": ["e"], "weight": [np.nan], "at": [0],
                                    "n_users": [1], "chains": [1], "users": [["u"]]}])
def test_a_malformed_state_is_refused_and_changes_nothing(state):
    memory = ReformulationMemory()
    memory.record("q", "track:a", "u")
    with pytest.raises(ValueError, match="malformed reformulation state"):
        memory.load_state_dict(state)
    assert memory.pair("q", "track:a") is not None


def test_user_keys_are_stable_short_hashes():
    assert user_key("alice") == user_key("alice") != user_key("bob")
    assert len(user_key("alice")) == 16 and "alice" not in user_key("alice")


def test_each_entity_gets_the_confidence_of_its_evidence_and_zero_without():
    memory = ReformulationMemory()
    for user in ("a", "b", "c"):
        memory.record("tunes to unwind to", "track:p", user)
    found = confidences(memory.evidence("tunes to unwind to"), ["track:q", "track:p"])
    np.testing.assert_allclose(found, [0.0, confidence(3.0)])
    assert confidences({}, ["track:p"]).tolist() == [0.0]
