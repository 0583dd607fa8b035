"""Tests every arm must pass. An arm's test module subclasses StrategyContract
and provides the `strategy` fixture (an opened arm on the tiny or shared catalog)
and `known_query`: a query for which the arm returns at least one candidate."""
from __future__ import annotations

import pytest

from ltrr.errors import LtrrError
from ltrr.query import Query

from ltrr.strategies.base import Candidate, Strategy

ODD_QUERIES = [
    "", "   ", "x" * 10_000, "!!!???...", "🎵🔥💃", "مرحبا بالعالم", "שלום", "e\u0301\u0301\u0301",
    "a\x00b\x07c", "'; DROP TABLE tracks; --", ".*+?[(\\", "%_%", "NULL", "0", "\ufeff\u200b",
]


class StrategyContract:
    known_query: str = "love"

    def test_returns_well_formed_candidates(self, strategy):
        out = strategy.retrieve(Query.make(self.known_query), 5)
        assert 0 < len(out) <= 5
        assert all(isinstance(c, Candidate) for c in out)
        assert [c.rank for c in out] == list(range(1, len(out) + 1))
        scores = [c.score for c in out]
        assert scores == sorted(scores, reverse=True)
        assert len({c.entity_id for c in out}) == len(out)

    def test_budget_respected(self, strategy):
        assert len(strategy.retrieve(Query.make(self.known_query), 1)) <= 1
        assert strategy.retrieve(Query.make(self.known_query), 0) == []

    def test_deterministic(self, strategy):
        a = strategy.retrieve(Query.make(self.known_query), 10)
        b = strategy.retrieve(Query.make(self.known_query), 10)
        assert [(c.entity_id, c.score) for c in a] == [(c.entity_id, c.score) for c in b]

    @pytest.mark.parametrize("text", ODD_QUERIES)
    def test_survives_odd_queries(self, strategy, text):
        out = strategy.retrieve(Query.make(text), 10)
        assert isinstance(out, list) and len(out) <= 10
        known = strategy_ids(strategy)
        assert all(c.entity_id in known for c in out)


def strategy_ids(strategy) -> set[str]:
    return set(strategy.catalog.entities.row_of)


def opener(arms: dict[str, Strategy]):
    """What the engine passes as ``ArmResources.arm`` to arms that build on others: an open arm,
    or LtrrError."""
    def arm(name: str) -> Strategy:
        if name not in arms:
            raise LtrrError(f"arm {name} is not open")
        return arms[name]
    return arm
