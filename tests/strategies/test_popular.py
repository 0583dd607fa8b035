"""The popular arm: most popular within the understood constraints, or overall."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.query import Query

from ltrr.strategies.base import ArmResources
from ltrr.strategies.popular import PopularStrategy
from ltrr.understanding_results import Interpretation, Understanding
from tests.strategies.contract import StrategyContract


@pytest.fixture()
def strategy(tiny_catalog) -> PopularStrategy:
    return PopularStrategy.open(ArmResources(tiny_catalog))


class TestPopularContract(StrategyContract):
    known_query = "love"


def expected_order(frame, keep) -> list[str]:
    """Oracle: sort the kept entities by popularity (desc), then entity_id."""
    kept = frame[keep]
    return kept.sort_values(["popularity", "entity_id"], ascending=[False, True])["entity_id"].tolist()


def test_no_constraints_gives_the_globally_popular(strategy):
    frame = strategy.catalog.entities.frame
    out = strategy.retrieve(Query.make("love"), 5)
    assert [c.entity_id for c in out] == expected_order(frame, np.ones(len(frame), bool))[:5]
    assert all(c.features["popular_constrained"] == 0.0 for c in out)


@pytest.mark.parametrize("text, keep", [
    ("rap", lambda f: f["genre"] == "rap"),
    ("90s rap", lambda f: (f["genre"] == "rap") & (f["entity_id"] != "artist:nas")
     & (f["entity_id"] != "track:rainy")),
    ("r&b songs", lambda f: (f["genre"] == "r&b") & (f["entity_type"] == "track")),
    ("tayler swift", lambda f: f["artist_id"] == "artist:taylor"),
])
def test_popularity_within_constraints(strategy, text, keep):
    frame = strategy.catalog.entities.frame
    out = strategy.retrieve(Query.make(text), 50)
    assert [c.entity_id for c in out] == expected_order(frame, keep(frame))
    assert all(c.features["popular_constrained"] == 1.0 for c in out)
    assert [c.score for c in out] == [c.features["popular_popularity"] for c in out]


def test_uses_the_best_interpretation_only(strategy):
    u = Understanding(query="x", interpretations=(
        Interpretation(0.6, entity_type="album"), Interpretation(0.4, entity_type="playlist")))
    out = strategy.retrieve(Query.make("x", understanding=u), 10)
    assert {c.entity_id.split(":")[0] for c in out} == {"album"}


def test_score_is_popularity_inside_scope_zero_outside(strategy):
    query = Query.make("rap")
    rows = strategy.catalog.entities.rows(["album:illmatic", "track:blinding"])
    assert strategy.score(query, rows).tolist() == [0.75, 0.0]


def test_shared_catalog_rap_playlists(shared_catalog):
    arm = PopularStrategy.open(ArmResources(shared_catalog))
    out = arm.retrieve(Query.make("rap playlist"), 20)
    entities = shared_catalog.entities
    assert len(out) == 20
    assert {(entities.get(c.entity_id)["entity_type"], entities.get(c.entity_id)["genre"]) for c in out} \
        == {("playlist", "rap")}
    pops = [entities.get(c.entity_id)["popularity"] for c in out]
    assert pops == sorted(pops, reverse=True)
