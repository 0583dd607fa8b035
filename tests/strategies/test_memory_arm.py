"""The memory arm: seed candidates, clicks that reorder and create pairs, and
the prior giving way to what users do."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.memory import NEW_PAIR_PRIOR, QueryMemory, posterior
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.memory import MemoryStrategy
from tests.strategies.contract import StrategyContract


@pytest.fixture()
def strategy(tiny_catalog) -> MemoryStrategy:
    return MemoryStrategy.open(ArmResources(tiny_catalog))


class TestMemoryContract(StrategyContract):
    known_query = "love"


def ids(candidates) -> list[str]:
    return [c.entity_id for c in candidates]


def test_exact_title_comes_first_with_features(strategy):
    top = strategy.retrieve(Query.make("Blinding Lights"), 5)[0]
    assert top.entity_id == "track:blinding"
    assert top.features["memory_clicks"] == 0 and top.features["memory_impressions"] == 0
    assert top.score == pytest.approx(top.features["memory_predicted"], abs=1e-6)


def test_a_clicked_item_rises_to_first(strategy):
    query = "love"
    before = ids(strategy.retrieve(Query.make(query), 10))
    assert before[0] == "track:lovestory" and "track:halo" not in before
    for _ in range(3):
        strategy.memory.record_impressions(query, ["track:lovestory", "track:halo"])
        strategy.memory.record_click(query, "track:halo")
    after = strategy.retrieve(Query.make(query), 10)
    assert ids(after)[0] == "track:halo"
    assert after[0].features == {"memory_predicted": NEW_PAIR_PRIOR, "memory_observed": 1.0,
                                 "memory_clicks": 3.0, "memory_impressions": 3.0, "memory_reformulations": 0.0}


def test_a_brand_new_query_learns_a_pair_from_one_click(strategy):
    query = Query.make("song from that car advert")
    assert strategy.retrieve(query, 10) == []
    strategy.memory.record_click(query.raw, "track:kill")
    out = strategy.retrieve(query, 10)
    assert ids(out) == ["track:kill"]
    assert out[0].score == pytest.approx(posterior(NEW_PAIR_PRIOR, 1, 1))
    assert strategy.memory.entry(query.raw, "track:kill").learned_from_clicks


def test_impressions_without_clicks_create_no_pair(strategy):
    strategy.memory.record_impressions("brand new words", ["track:kill"])
    assert strategy.retrieve(Query.make("brand new words"), 10) == []


def test_observed_replaces_predicted(strategy):
    query = "blinding lights"
    predicted = strategy.retrieve(Query.make(query), 1)[0].score
    for _ in range(41):
        strategy.memory.record_impressions(query, ["track:blinding"])
    strategy.memory.record_click(query, "track:blinding")
    strategy.memory.record_click(query, "track:savetears")
    out = {c.entity_id: c for c in strategy.retrieve(Query.make(query), 10)}
    # 1 click in 41 impressions pulls the prediction down towards 1/41 ...
    assert out["track:blinding"].score < predicted / 3
    assert out["track:blinding"].features["memory_observed"] == pytest.approx(1 / 41)
    # ... so the pair a click created (1 in 1) now ranks above it.
    assert out["track:savetears"].rank < out["track:blinding"].rank


def test_the_engine_memory_is_used_and_gets_the_seed(tiny_catalog):
    shared = QueryMemory()
    shared.record_click("love", "track:halo")
    arm = MemoryStrategy.open(ArmResources(tiny_catalog, memory=shared))
    assert arm.memory is shared and shared.seed is arm.seed
    assert "track:halo" in ids(arm.retrieve(Query.make("love"), 10))


def test_unknown_entities_in_the_memory_are_not_offered(strategy):
    strategy.memory.record_click("love", "track:deleted-since")
    assert "track:deleted-since" not in ids(strategy.retrieve(Query.make("love"), 10))


def test_score_matches_retrieve(strategy):
    strategy.memory.record_click("love", "track:halo")
    query = Query.make("love")
    out = strategy.retrieve(query, 10)
    rows = strategy.catalog.entities.rows([c.entity_id for c in out] + ["track:kill"])
    scores = strategy.score(query, rows)
    assert np.allclose(scores[:-1], [c.score for c in out])
    assert scores[-1] == 0.0


def test_a_users_lean_orders_the_list_for_that_user_only(strategy):
    for _ in range(3):
        strategy.memory.record_impressions("love", ["track:crazy"])
    strategy.memory.record_click("love", "track:crazy")                  # r&b: one click in three showings
    plain = strategy.retrieve(Query.make("love"), 10)
    assert ids(plain) == ["track:lovestory", "track:crazy"]              # pop's prediction still ahead
    pair = {c.entity_id: c.score for c in plain}
    fan = strategy.retrieve(Query.make("love").with_lean({"r b": 0.8, "rock": 0.1}), 10)
    assert ids(fan) == ["track:crazy", "track:lovestory"]
    assert fan[0].score == pytest.approx(pair["track:crazy"] * 1.8)
    assert fan[1].score == pytest.approx(pair["track:lovestory"])       # pop: no lean, no change
    assert [c.rank for c in fan] == [1, 2]
    # The pairs are everybody's: another user, and the ranker's full-pool score, see them unleaned.
    assert ids(strategy.retrieve(Query.make("love").with_lean({"pop": 0.5}), 10)) == ids(plain)
    rows = strategy.catalog.entities.rows(ids(plain))
    np.testing.assert_allclose(strategy.score(Query.make("love").with_lean({"r b": 0.8}), rows),
                               [pair[e] for e in ids(plain)])
