"""A query that names a playlist: the playlist, then what is on it, from the structured arm."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.vocab import CatalogVocabulary, playlist_names_of
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.named_playlist import NamedPlaylists
from ltrr.strategies.structured import StructuredStrategy


@pytest.fixture()
def named(tiny_catalog) -> NamedPlaylists:
    return NamedPlaylists.open(tiny_catalog)


def entity_ids(catalog, rows) -> list[str]:
    return [str(catalog.entities.ids[r]) for r in rows]


def test_the_named_playlist_comes_first_then_its_tracks(named, tiny_catalog):
    reading = named.reading(Query.make("whats on Sad Songs for a Breakup").tokens, 10)
    # The tiny catalog's popularity puts Save Your Tears above Rainy Days.
    assert entity_ids(tiny_catalog, reading) == ["playlist:sad", "track:savetears", "track:rainy"]
    scores = list(reading.values())
    # The name is three of the four content words ("on", "for" and "a" say how it is asked).
    assert scores == sorted(scores, reverse=True) and scores[0] == pytest.approx(1 + 3 / 4)
    assert all(s > 1.0 for s in scores)            # above any understanding reading (at most 1)
    assert len(named.reading(Query.make("sad songs for a breakup").tokens, 2)) == 2


def test_a_name_that_is_not_most_of_the_query_or_no_name_reads_nothing(named):
    assert named.reading(Query.make("90s rap classics from my fathers old car radio").tokens, 10) == {}
    assert named.reading(Query.make("love").tokens, 10) == {}
    assert named.reading(Query.make("90s rap").tokens, 10) == {}          # part of a name is no name
    assert named.reading((), 10) == {} and named.reading(Query.make("90s rap classics").tokens, 0) == {}


def test_the_structured_arm_lists_the_reading_and_scores_it_alike(tiny_catalog):
    arm = StructuredStrategy.open(ArmResources(tiny_catalog))
    query = Query.make("90s rap classics songs")
    out = arm.retrieve(query, 5)
    assert [c.entity_id for c in out[:3]] == ["playlist:90srap", "track:nystate", "track:theworld"]
    assert out[0].features["structured_playlist_name"] == pytest.approx(0.75)
    rows = tiny_catalog.entities.rows([c.entity_id for c in out])
    np.testing.assert_allclose(arm.score(query, rows), [c.score for c in out], atol=1e-6)


def test_shared_a_playlist_asked_for_its_songs(shared_catalog):
    arm = StructuredStrategy.open(ArmResources(shared_catalog))
    out = arm.retrieve(Query.make("songs off reggaeton classics"), 10)
    ents = shared_catalog.entities
    first = ents.row_of[out[0].entity_id]
    assert ents.types[first] == "playlist" and ents.titles[first].lower() == "reggaeton classics"
    members = set(shared_catalog.query_df(
        "SELECT track_id FROM playlist_tracks WHERE playlist_id = ?", [out[0].entity_id])["track_id"])
    assert len(out) == 10 and {c.entity_id for c in out[1:]} <= members


def test_namesakes_tracks_are_dealt_in_turns_and_scores_do_not_depend_on_the_depth():
    # Two playlists answer to "gym hits"; the more popular one (row 10) holds three tracks.
    vocabulary = CatalogVocabulary.from_names([], ["Gym Hits"])
    named = NamedPlaylists(vocabulary, {"gym hits": [10, 20]},
                           {10: np.array([1, 2, 3]), 20: np.array([4, 2, 5])})
    reading = named.reading(Query.make("gym hits songs").tokens, 10)
    assert list(reading) == [10, 1, 4, 2, 3, 5, 20]
    shallow = named.reading(Query.make("gym hits songs").tokens, 3)
    assert shallow == {row: reading[row] for row in (10, 1, 4)}


def test_shared_a_long_name_is_read_by_the_part_people_type(shared_catalog):
    arm = StructuredStrategy.open(ArmResources(shared_catalog))
    ents = shared_catalog.entities
    links = shared_catalog.query_df("SELECT playlist_id, track_id FROM playlist_tracks")
    for query, name in (("big room edm songs", "big room edm"), ("everything in electropop", "electropop")):
        # Every playlist that answers to the name (its whole name, or the part before " - ").
        so_named = {str(ents.ids[r]) for r in np.flatnonzero(ents.types == "playlist")
                    if name in playlist_names_of(ents.titles[r])}
        out = arm.retrieve(Query.make(query), 6)
        assert so_named and out[0].entity_id in so_named, query
        members = set(links.track_id[links.playlist_id.isin(so_named)])
        assert {c.entity_id for c in out[1:]} <= members, query
