"""The shared retrieval cache: one computation per arm and query, and the time it took, kept with the list."""
from __future__ import annotations

import time

from ltrr.query import Query
from ltrr.strategies.base import Candidate, Strategy, ranked
from ltrr.strategies.cached import CachedStrategy, computed_ms


class SlowArm(Strategy):
    """An arm that takes ``delay`` seconds per call and counts its calls."""

    name = "slow"

    def __init__(self, delay: float) -> None:
        self.catalog = None
        self.delay = delay
        self.calls: list[int] = []

    @classmethod
    def open(cls, resources):  # pragma: no cover - built directly
        raise NotImplementedError

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        self.calls.append(budget)
        time.sleep(self.delay)
        return ranked([Candidate(f"e{i}", float(100 - i)) for i in range(budget)], budget)


def cached_arm(delay: float, depth: int) -> tuple[dict, SlowArm, CachedStrategy, Query]:
    """An empty shared cache, a slow arm, the arm wrapped in the cache, and a query."""
    cache: dict = {}
    inner = SlowArm(delay)
    return cache, inner, CachedStrategy(inner, cache, depth=depth), Query.make("love song")


def test_a_computed_list_records_its_time():
    cache, _, arm, q = cached_arm(0.02, depth=10)
    assert computed_ms(cache, "slow", q.raw) is None
    out = arm.retrieve(q, 5)
    assert [c.entity_id for c in out] == ["e0", "e1", "e2", "e3", "e4"]
    assert arm.inner.calls == [10]                     # computed at the cached depth, not the budget
    ms = computed_ms(cache, "slow", q.raw)
    assert ms is not None and 20.0 <= ms < 2000.0      # the sleep, measured (slack for a busy machine)


def test_a_hit_neither_recomputes_nor_changes_the_time():
    cache, inner, first, q = cached_arm(0.02, depth=10)
    first.retrieve(q, 10)
    recorded = computed_ms(cache, "slow", q.raw)
    inner.delay = 0.0                                  # a recomputation now would record a far smaller time
    other_engine = CachedStrategy(inner, cache, depth=10)
    assert len(other_engine.retrieve(q, 3)) == 3
    assert len(first.retrieve(q, 10)) == 10
    assert inner.calls == [10]
    assert computed_ms(cache, "slow", q.raw) == recorded


def test_a_deeper_budget_recomputes_and_records_the_new_time():
    cache, inner, arm, q = cached_arm(0.0, depth=5)
    arm.retrieve(q, 5)
    quick = computed_ms(cache, "slow", q.raw)
    inner.delay = 0.03
    assert len(arm.retrieve(q, 8)) == 8
    assert inner.calls == [5, 8]
    assert computed_ms(cache, "slow", q.raw) >= 30.0 > quick


def test_times_are_per_arm_and_query():
    cache: dict = {}
    arm = CachedStrategy(SlowArm(0.0), cache)
    arm.retrieve(Query.make("one"), 3)
    assert computed_ms(cache, "slow", "two") is None
    assert computed_ms(cache, "other", "one") is None
    assert computed_ms(cache, "slow", "one") > 0.0


def test_each_engine_is_told_what_the_list_cost_not_the_hits_time():
    cache, inner, first, q = cached_arm(0.02, depth=10)
    second = CachedStrategy(inner, cache, depth=10)
    assert inner.cost_ms(q) is None                    # an uncached arm: its call's own time is its cost
    assert first.cost_ms(q) is None
    first.retrieve(q, 10)
    calls = len(inner.calls)
    second.retrieve(q, 3)
    assert len(inner.calls) == calls                    # a hit: the arm did not run again
    assert second.cost_ms(q) == first.cost_ms(q) == computed_ms(cache, "slow", q.raw) >= 20.0
