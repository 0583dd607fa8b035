"""The discover arm: a stratified random sample with exact inclusion probabilities, reproducible
from what the engine logs with a search."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy
from ltrr.strategies.discover import (EXPLOIT, PER_STRATUM, DiscoverStrategy, Pool, inclusion_probabilities,
                                      search_seed)
from ltrr.strategies.lexical import LexicalStrategy
from tests.strategies.contract import StrategyContract, opener


@pytest.fixture()
def strategy(tiny_catalog) -> DiscoverStrategy:
    arms: dict[str, Strategy] = {"lexical": LexicalStrategy.open(ArmResources(tiny_catalog))}
    return DiscoverStrategy.open(ArmResources(tiny_catalog, arm=opener(arms)))


class TestDiscoverContract(StrategyContract):
    known_query = "love"


def q(text: str, **context) -> Query:
    return Query.make(text, context=context)


def ids(cands: list[Candidate]) -> list[str]:
    return [c.entity_id for c in cands]


# ---------------------------------------------------------------- exact probabilities
def test_the_docstring_example():
    first, lone = inclusion_probabilities([3, 1], 2)
    assert first == pytest.approx([EXPLOIT + (1 - EXPLOIT) / 3, (1 - EXPLOIT) / 3, (1 - EXPLOIT) / 3])
    assert lone == pytest.approx([1.0])


@pytest.mark.parametrize("sizes", [[5, 5, 5], [1, 4, 2, 5], [3], [2, 2, 1, 1, 5, 3]])
def test_probabilities_sum_to_the_list_length(sizes):
    for budget in range(0, sum(sizes) + 3):
        probs = np.concatenate(inclusion_probabilities(sizes, budget))
        assert probs.sum() == pytest.approx(min(budget, sum(sizes)))
        assert np.all(probs >= 0) and np.all(probs <= 1 + 1e-12)


def sample_frequencies(strategy: DiscoverStrategy, pool: Pool, budget: int, draws: int) -> dict[int, float]:
    counts: dict[int, int] = {}
    for seed in range(draws):
        for row in strategy.sequence(pool, seed)[:budget]:
            counts[row] = counts.get(row, 0) + 1
    return {row: c / draws for row, c in counts.items()}


@pytest.mark.parametrize("sizes, budget", [([3, 1], 2), ([5, 2, 4], 4), ([5, 2, 4], 7), ([1, 1, 3, 5], 5)])
def test_probabilities_match_the_sampler(strategy, sizes, budget):
    """The closed form against the sampler itself: 4,000 seeded draws, within 4.5 standard errors."""
    rows, strata = iter(range(100)), []
    for n in sizes:
        strata.append(tuple(next(rows) for _ in range(n)))
    pool = Pool(tuple(f"g{i}" for i in range(len(sizes))), tuple(strata), {r: 1.0 for s in strata for r in s})
    draws = 4000
    seen = sample_frequencies(strategy, pool, budget, draws)
    for stratum, probs in zip(strata, inclusion_probabilities(sizes, budget)):
        for row, p in zip(stratum, probs):
            tolerance = 4.5 * np.sqrt(max(p * (1 - p), 1e-4) / draws)
            assert abs(seen.get(row, 0.0) - p) <= tolerance, (sizes, budget, row, p, seen.get(row))


# ---------------------------------------------------------------- the arm's lists
def test_candidates_carry_their_propensity(strategy):
    query = q("sad songs", user_id="u1")
    exact = strategy.inclusion(query, 4)
    out = strategy.retrieve(query, 4)
    assert out
    for cand in out:
        assert cand.features["discover_propensity"] == pytest.approx(exact[cand.entity_id])
        assert 0 < cand.features["discover_propensity"] <= 1
    # Over the whole pool the propensities add up to the expected list length.
    assert sum(exact.values()) == pytest.approx(min(4, len(exact)))


def test_a_shorter_list_is_a_prefix_of_a_longer_one(strategy):
    for context in ({"user_id": "u1"}, {"user_id": "u2", "hour": 7}, {}):
        query = Query.make("sad songs", context=context)
        full = ids(strategy.retrieve(query, 50))
        for budget in (1, 2, 3, 5):
            assert ids(strategy.retrieve(query, budget)) == full[:budget]


def test_the_seed_is_the_logged_query_and_context(strategy):
    """A search rebuilt from its log record (query text, JSON context) draws the same list."""
    context = {"user_id": "u7", "hour": 21, "session_id": "s-3", "weekday": 2, "ratio": 0.25, "flag": True}
    live = Query.make("Sad  Songs", context=context)
    logged = json.loads(json.dumps({"query": live.raw, "context": dict(live.context)}))
    again = Query.make(logged["query"], context=dict(reversed(list(logged["context"].items()))))
    assert search_seed(again) == search_seed(live)
    assert ids(strategy.retrieve(again, 10)) == ids(strategy.retrieve(live, 10))


def test_different_contexts_draw_different_samples(strategy):
    lists = {tuple(ids(strategy.retrieve(q("sad songs", user_id=f"u{i}"), 3))) for i in range(12)}
    assert len(lists) > 1
    # ...from the same pool: the sample varies, what may be sampled does not.
    pools = {tuple(sorted(strategy.inclusion(q("sad songs", user_id=f"u{i}"), 3))) for i in range(12)}
    assert len(pools) == 1


def test_the_first_items_cover_distinct_genres(strategy):
    genre = dict(zip(strategy.catalog.entities.frame["entity_id"], strategy.catalog.entities.frame["genre"]))
    for i in range(8):
        query = q("love", user_id=f"u{i}")
        pool = strategy.pool(query)
        first = ids(strategy.retrieve(query, len(pool.strata)))
        assert len({genre[e] for e in first}) == len(pool.strata) > 1


def test_strata_keep_their_best(strategy):
    pool = strategy.pool(q("love"))
    assert all(0 < len(s) <= PER_STRATUM for s in pool.strata)
    for stratum in pool.strata:
        scores = [pool.relevance[r] for r in stratum]
        assert scores == sorted(scores, reverse=True)


def test_constraints_bring_matching_entities(tiny_catalog):
    """Standalone (no other arm open): a genre ask samples that genre's entities."""
    arm = DiscoverStrategy.open(ArmResources(tiny_catalog))
    out = arm.retrieve(q("rap"), 20)
    frame = tiny_catalog.entities.frame.set_index("entity_id")
    assert out and all(frame.loc[e, "genre"] == "rap" for e in ids(out))


def test_nothing_understood_falls_back_to_popular_playlists(tiny_catalog):
    arm = DiscoverStrategy.open(ArmResources(tiny_catalog))
    out = arm.retrieve(q("qwzx"), 10)
    assert sorted(ids(out)) == ["playlist:90srap", "playlist:sad"]
    assert all(c.features["discover_propensity"] == 1.0 for c in out)


class Broken(Strategy):
    name = "broken"

    @classmethod
    def open(cls, resources):  # pragma: no cover - built directly
        raise NotImplementedError

    def retrieve(self, query, budget):
        raise RuntimeError("index on fire")

    def score(self, query, rows):
        raise RuntimeError("index on fire")


def test_a_failing_source_is_left_out(tiny_catalog):
    arm = DiscoverStrategy.open(ArmResources(tiny_catalog, arm=opener({"lexical": Broken(), "semantic": Broken()})))
    out = arm.retrieve(q("rap"), 10)
    assert out and all(c.entity_id in tiny_catalog.entities.row_of for c in out)
    assert arm.retrieve(q("qwzx"), 3)     # the fallback still answers


def test_semantic_playlists_join_the_pool(tiny_catalog):
    """With a semantic arm open, the playlists it scores closest (cosine >= MIN_SIMILARITY) are pooled."""
    class FakeSemantic(Broken):
        def score(self, query, rows):
            return np.array([0.9 if tiny_catalog.entities.ids[r] == "playlist:sad" else 0.0 for r in rows])

        def retrieve(self, query, budget):
            return []

    arm = DiscoverStrategy.open(ArmResources(tiny_catalog, arm=opener({"semantic": FakeSemantic()})))
    assert ids(arm.retrieve(q("qwzx"), 10)) == ["playlist:sad"]
