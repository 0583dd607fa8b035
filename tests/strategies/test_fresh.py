"""The fresh arm: new, then most recent, within the understood constraints."""
from __future__ import annotations

import pandas as pd
import pytest

from ltrr.query import Query

from ltrr.strategies.base import ArmResources
from ltrr.strategies.fresh import FreshStrategy
from tests.strategies.contract import StrategyContract


@pytest.fixture()
def strategy(tiny_catalog) -> FreshStrategy:
    return FreshStrategy.open(ArmResources(tiny_catalog))


class TestFreshContract(StrategyContract):
    known_query = "love"


def test_new_first_then_newest(strategy):
    out = strategy.retrieve(Query.make("love"), 4)
    # Rainy Day Blues is flagged new; then the 2024 episode, then the two 2022-12-09
    # releases, the more popular (Kill Bill, 90) before its album SOS (86).
    assert [c.entity_id for c in out] == ["track:rainy", "episode:nas", "track:kill", "album:sos"]
    assert out[0].features["fresh_is_new"] == 1.0 and out[0].features["fresh_age_days"] == 0.0
    assert out[1].features["fresh_is_new"] == 0.0


def test_only_dated_entities(strategy):
    frame = strategy.catalog.entities.frame.set_index("entity_id")
    out = strategy.retrieve(Query.make("music"), 100)
    assert len(out) == frame["release_date"].notna().sum()
    assert all(pd.notna(frame.loc[c.entity_id, "release_date"]) for c in out)


def test_within_constraints(strategy):
    out = strategy.retrieve(Query.make("rap"), 10)
    assert [c.entity_id for c in out][:1] == ["track:rainy"]
    assert {c.entity_id for c in out} == {"track:rainy", "album:illmatic", "track:nystate", "track:theworld"}
    assert strategy.retrieve(Query.make("rap playlist"), 10) == []      # playlists have no release date


def test_score_matches_retrieve(strategy):
    query = Query.make("r&b")
    out = strategy.retrieve(query, 10)
    rows = strategy.catalog.entities.rows([c.entity_id for c in out] + ["track:rainy", "artist:sza"])
    scores = strategy.score(query, rows)
    assert scores[:-2].tolist() == pytest.approx([c.score for c in out])
    assert scores[-2:].tolist() == [0.0, 0.0]       # rap, and undated


def test_shared_catalog_new_rap(shared_catalog):
    arm = FreshStrategy.open(ArmResources(shared_catalog))
    out = arm.retrieve(Query.make("new rap"), 50)
    entities = shared_catalog.entities
    assert len(out) == 50
    assert all(entities.get(c.entity_id)["genre"] == "rap" for c in out)
    dates = [pd.Timestamp(entities.get(c.entity_id)["release_date"]) for c in out]
    assert dates == sorted(dates, reverse=True)
