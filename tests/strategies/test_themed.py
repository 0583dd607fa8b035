"""The themed arm: the playlists of the genre a query names, by meaning. Fast tests give it a
stand-in semantic arm whose similarities are set by hand; the slow ones the real MiniLM arm."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy
from ltrr.strategies.semantic import SemanticStrategy
from ltrr.strategies.themed import ThemedStrategy
from tests.strategies.contract import StrategyContract, opener


class HandSet(Strategy):
    """A stand-in semantic arm: the similarity of every entity to any query is set by hand."""

    name = "semantic"

    def __init__(self, catalog, sims: dict[str, float]) -> None:
        self.catalog = catalog
        self.sims = sims
        self.scored: list[list[int]] = []

    @classmethod
    def open(cls, resources: ArmResources) -> "HandSet":
        raise NotImplementedError

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        return []

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray:
        self.scored.append(list(map(int, rows)))
        ids = self.catalog.entities.ids
        return np.array([self.sims.get(ids[r], 0.5) for r in rows], dtype=np.float64)


def q(text: str) -> Query:
    return Query.make(text)


def test_lists_only_the_playlists_of_the_genre_the_query_names(tiny_catalog):
    semantic = HandSet(tiny_catalog, {"playlist:90srap": 0.6, "playlist:sad": 0.7})
    arm = ThemedStrategy.open(ArmResources(tiny_catalog, arm=opener({"semantic": semantic})))
    assert [c.entity_id for c in arm.retrieve(q("rap for the gym"), 10)] == ["playlist:90srap"]
    assert [c.entity_id for c in arm.retrieve(q("pop to cry to"), 10)] == ["playlist:sad"]
    # Only the genre's playlists were compared to the query: never its tracks, never other genres.
    assert semantic.scored[-1] == [tiny_catalog.entities.row_of["playlist:sad"]]


def test_names_no_genre_lists_nothing_and_asks_the_semantic_arm_nothing(tiny_catalog):
    semantic = HandSet(tiny_catalog, {})
    arm = ThemedStrategy.open(ArmResources(tiny_catalog, arm=opener({"semantic": semantic})))
    assert arm.retrieve(q("songs for the gym"), 10) == []
    assert arm.retrieve(q(""), 10) == []
    assert semantic.scored == []


def test_without_the_semantic_arm_it_lists_nothing(tiny_catalog):
    for arm in (ThemedStrategy.open(ArmResources(tiny_catalog, arm=opener({}))),
                ThemedStrategy.open(ArmResources(tiny_catalog))):
        assert arm.retrieve(q("rap for the gym"), 10) == []
        assert arm.count(q("rap for the gym")) == 0


def test_its_probe_reads_zero_exactly_where_its_list_is_empty(tiny_catalog):
    arm = ThemedStrategy.open(ArmResources(tiny_catalog, arm=opener({"semantic": HandSet(tiny_catalog, {})})))
    for text in ("rap for the gym", "pop to cry to", "songs for the gym", "", "save your tears"):
        listed = arm.retrieve(q(text), 50)
        assert (arm.count(q(text)) == 0) == (listed == []), text
        assert arm.count(q(text)) >= len(listed)


def test_orders_by_similarity_and_drops_what_is_not_similar(tiny_catalog, monkeypatch):
    # Two rap playlists: the second, made for the gym, is closer to the query.
    monkeypatch.setattr(ThemedStrategy, "in_scope", lambda self, query: np.array(
        [tiny_catalog.entities.row_of["playlist:90srap"], tiny_catalog.entities.row_of["playlist:sad"]]))
    semantic = HandSet(tiny_catalog, {"playlist:90srap": 0.3, "playlist:sad": 0.8})
    arm = ThemedStrategy.open(ArmResources(tiny_catalog, arm=opener({"semantic": semantic})))
    out = arm.retrieve(q("rap for the gym"), 10)
    assert [c.entity_id for c in out] == ["playlist:sad", "playlist:90srap"]
    assert [c.score for c in out] == [0.8, 0.3] and [c.rank for c in out] == [1, 2]
    assert [c.entity_id for c in arm.retrieve(q("rap for the gym"), 1)] == ["playlist:sad"]
    semantic.sims["playlist:90srap"] = -0.5            # below the semantic arm's own floor
    assert [c.entity_id for c in arm.retrieve(q("rap for the gym"), 10)] == ["playlist:sad"]


def test_scores_rows_in_scope_by_similarity_and_others_zero(tiny_catalog):
    semantic = HandSet(tiny_catalog, {"playlist:90srap": 0.6})
    arm = ThemedStrategy.open(ArmResources(tiny_catalog, arm=opener({"semantic": semantic})))
    row_of = tiny_catalog.entities.row_of
    rows = np.array([row_of["playlist:90srap"], row_of["playlist:sad"], row_of["track:savetears"]])
    assert arm.score(q("rap for the gym"), rows).tolist() == [0.6, 0.0, 0.0]
    assert arm.score(q("songs for the gym"), rows).tolist() == [0.0, 0.0, 0.0]


@pytest.fixture(scope="module")
def real_arms(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    semantic = SemanticStrategy.open(ArmResources(catalog))
    yield ThemedStrategy.open(ArmResources(catalog, arm=opener({"semantic": semantic})))
    catalog.close()


@pytest.mark.slow
class TestThemedContract(StrategyContract):
    known_query = "sad pop"

    @pytest.fixture()
    def strategy(self, real_arms):
        return real_arms


@pytest.mark.slow
def test_with_minilm_a_genre_and_a_moment_find_the_genres_playlist_made_for_it(real_arms):
    out = real_arms.retrieve(q("pop to cry to after a breakup"), 5)
    assert [c.entity_id for c in out] == ["playlist:sad"]
    assert 0 < out[0].score <= 1
