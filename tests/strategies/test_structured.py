"""The structured arm: each interpretation as a parameterized query, known
answers on the tiny catalog, the 90s-rap promise on the real one, and SQL
results checked against the numpy constraint masks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ltrr.query import Query

from ltrr.strategies.base import ArmResources
from ltrr.strategies.structured import (
    ATTRS_INDEX, EntityAttributes, StructuredStrategy, build_sql, interpretations_to_query,
)
from ltrr.understanding_results import Interpretation, Understanding
from tests.strategies.contract import StrategyContract


@pytest.fixture()
def strategy(tiny_catalog) -> StructuredStrategy:
    return StructuredStrategy.open(ArmResources(tiny_catalog))


class TestStructuredContract(StrategyContract):
    known_query = "90s rap"


def ids(candidates) -> set[str]:
    return {c.entity_id for c in candidates}


def year(value) -> int | None:
    return None if value is None or value != value else value.year


def test_90s_rap_on_the_tiny_catalog(strategy):
    out = strategy.retrieve(Query.make("90s rap"), 50)
    # Illmatic, its two tracks, and the playlist whose era is the 1990s.
    assert ids(out) == {"album:illmatic", "track:nystate", "track:theworld", "playlist:90srap"}
    assert all(c.features["structured_constraints"] == 2 for c in out)


def test_type_and_genre(strategy):
    assert ids(strategy.retrieve(Query.make("rap playlist"), 50)) == {"playlist:90srap"}
    assert ids(strategy.retrieve(Query.make("sad songs"), 50)) >= {"track:savetears", "track:rainy"}
    top2 = strategy.retrieve(Query.make("sad songs"), 2)
    assert ids(top2) == {"track:savetears", "track:rainy"}


def test_artist_constraint_with_free_text_ordering(strategy):
    out = strategy.retrieve(Query.make("tayler swift"), 50)
    entities = strategy.catalog.entities
    assert {entities.get(c.entity_id)["artist_id"] for c in out} == {"artist:taylor"}
    assert "artist:taylor" in ids(out)
    # The leftover words order Taylor Swift's entities: "love story" first.
    assert strategy.retrieve(Query.make("tayler swift love story"), 1)[0].entity_id == "track:lovestory"


def test_new_releases(strategy):
    out = strategy.retrieve(Query.make("new releases"), 50)
    assert ids(out) == {"track:rainy", "episode:nas"}     # newest release 2024-06-01, one year back


def test_no_constraints_gives_nothing(strategy):
    assert strategy.retrieve(Query.make("love"), 10) == []
    assert strategy.retrieve(Query.make("the world is yours"), 10) == []


def test_the_engines_understanding_is_used(strategy):
    pop = Understanding(query="x", interpretations=(Interpretation(1.0, genres=("pop",)),))
    out = strategy.retrieve(Query.make("whatever the user typed", understanding=pop), 50)
    assert ids(out) == {"artist:taylor", "album:1989", "track:blank", "track:shake", "track:lovestory",
                        "playlist:sad"}


def test_values_are_parameters_never_sql(strategy):
    hostile = Understanding(query="x", interpretations=(
        Interpretation(1.0, genres=("rap' OR 1=1 --",), free_text="'); DROP TABLE attrs; --"),))
    assert strategy.retrieve(Query.make("x", understanding=hostile), 10) == []
    sql, params = build_sql(hostile.interpretations[0], 10, strategy.attrs)
    assert "rap'" not in sql and "DROP" not in sql
    assert -1 in params                               # an unknown genre's code matches nothing
    assert " '); " in params                          # the free text is a parameter too
    assert strategy.retrieve(Query.make("90s rap"), 10)          # the table is still there


def test_unlikely_readings_are_not_queried():
    u = Understanding(query="q", interpretations=(
        Interpretation(0.81, genres=("rap",), year_from=1990, year_to=1999),
        Interpretation(0.09, year_from=1990, year_to=1999, free_text="rap"),
        Interpretation(0.10, free_text="90s rap"),
    ))
    assert [i.likelihood for i in interpretations_to_query(u)] == [0.81]


QUERIES = ["90s rap", "rap playlist", "tayler swift", "sad songs", "new releases", "rainy day",
           "r&b 2019", "workout", "1989", "pop songs"]


@pytest.mark.parametrize("text", QUERIES)
def test_sql_agrees_with_the_numpy_masks(strategy, text):
    query = Query.make(text)
    out = strategy.retrieve(query, 10_000)
    expected = np.zeros(len(strategy.attrs.frame), dtype=bool)
    for interp in interpretations_to_query(strategy.understanding(query)):
        expected |= strategy.attrs.mask(interp)
    rows = strategy.catalog.entities.rows([c.entity_id for c in out])
    assert set(rows.tolist()) == set(np.flatnonzero(expected).tolist())
    assert np.allclose(strategy.score(query, rows), [c.score for c in out])
    outside = np.flatnonzero(~expected)
    assert np.all(strategy.score(query, outside) == 0)


def test_attributes_are_persisted(tiny_catalog):
    EntityAttributes.open(tiny_catalog)
    assert (tiny_catalog.index_dir / f"{ATTRS_INDEX}.manifest.json").is_file()
    assert (tiny_catalog.index_dir / f"{ATTRS_INDEX}.parquet").is_file()


# --- the real catalog -------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_strategy(shared_catalog) -> StructuredStrategy:
    return StructuredStrategy.open(ArmResources(shared_catalog))


def test_shared_90s_rap_is_only_90s_rap(shared_strategy):
    out = shared_strategy.retrieve(Query.make("90s rap"), 300)
    assert len(out) == 300
    entities = shared_strategy.catalog.entities
    tracks = 0
    for cand in out:
        entity = entities.get(cand.entity_id)
        assert entity["genre"] == "rap"
        if entity["entity_type"] in ("track", "album"):
            assert 1990 <= year(entity["release_date"]) <= 1999
        tracks += entity["entity_type"] == "track"
    assert tracks > 50


def test_shared_rap_playlists_and_workouts(shared_strategy):
    entities = shared_strategy.catalog.entities
    rap = shared_strategy.retrieve(Query.make("rap playlist"), 100)
    assert rap and {(entities.get(c.entity_id)["entity_type"], entities.get(c.entity_id)["genre"])
                    for c in rap} == {("playlist", "rap")}
    workout = shared_strategy.retrieve(Query.make("workout"), 100)
    names = [entities.get(c.entity_id)["title"].lower() for c in workout]
    assert names and all(any(w in n for w in ("workout", "gym", "training", "fitness", "running", "cardio"))
                         for n in names)


def test_shared_new_releases_are_recent(shared_strategy):
    out = shared_strategy.retrieve(Query.make("new releases"), 100)
    newest = shared_strategy.attrs.newest_day
    entities = shared_strategy.catalog.entities
    for cand in out:
        entity = entities.get(cand.entity_id)
        released = (pd.Timestamp(entity["release_date"]) - pd.Timestamp("1970-01-01")).days
        assert entity["is_new"] or released >= newest - 365


@pytest.mark.parametrize("text", ["zzqx wobble", "halo", "90s rap", "90s rap classics songs", "sad songs", ""])
def test_the_probe_reads_0_only_when_the_list_is_empty(strategy, text):
    """0 exactly when there is no reading to query (no constraint, no playlist named)."""
    query = Query.make(text)
    listed = strategy.retrieve(query, 50)
    assert (strategy.count(query) == 0) == (not listed)
