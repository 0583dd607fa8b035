"""The related arm: links from direct matches (artist from QU, lexical top
results or title matches) to their tracks, albums, artists and playlists."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.query import Query

from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.related import INDEX_NAME, Adjacency, RelatedStrategy
from tests.strategies.contract import StrategyContract


@pytest.fixture()
def strategy(tiny_catalog) -> RelatedStrategy:
    return RelatedStrategy.open(ArmResources(tiny_catalog))


class TestRelatedContract(StrategyContract):
    known_query = "love"


def ids(candidates) -> list[str]:
    return [c.entity_id for c in candidates]


def test_an_artist_gives_its_tracks_and_albums_not_itself(strategy):
    out = strategy.retrieve(Query.make("tayler swift"), 10)
    assert set(ids(out)) == {"track:blank", "track:shake", "track:lovestory", "album:1989"}
    # Tracks (link 1.0) before the album (0.8); tracks by popularity.
    assert ids(out)[:3] == ["track:blank", "track:shake", "track:lovestory"]


def test_an_album_gives_its_tracks_and_artist(strategy):
    out = ids(strategy.retrieve(Query.make("illmatic"), 10))
    assert {"track:nystate", "track:theworld", "artist:nas"} <= set(out)
    assert "album:illmatic" not in out


def test_a_track_gives_its_album_artist_and_playlists(strategy):
    assert set(ids(strategy.retrieve(Query.make("save your tears"), 10))) == {
        "album:afterhours", "artist:weeknd", "playlist:sad"}


def test_a_playlist_gives_its_tracks(strategy):
    out = ids(strategy.retrieve(Query.make("90s rap classics"), 10))
    assert out[:2] == ["track:nystate", "track:theworld"]


def test_title_prefix_fallback(strategy):
    # No lexical arm here: "love" starts the title "Love Story", whose artist is Taylor Swift.
    assert ids(strategy.retrieve(Query.make("love"), 1)) == ["artist:taylor"]
    assert strategy.retrieve(Query.make("zzzz"), 10) == []


class FakeLexical(Strategy):
    """A stand-in lexical arm whose answer is fixed: Halo."""

    name = "lexical"

    @classmethod
    def open(cls, resources):
        return cls()

    def retrieve(self, query, budget):
        return ranked([Candidate("track:halo", 1.0)], budget)


def test_seeds_come_from_the_lexical_arm_when_there_is_one(tiny_catalog):
    opened = []

    def arm(name: str):
        opened.append(name)
        return FakeLexical()

    related = RelatedStrategy.open(ArmResources(tiny_catalog, arm=arm))
    out = ids(related.retrieve(Query.make("anything at all"), 10))
    assert out == ["artist:beyonce"]               # Halo's artist; Halo has no album or playlist
    related.retrieve(Query.make("again"), 10)
    assert opened == ["lexical"]                   # opened once, lazily


def test_a_failing_lexical_arm_falls_back_to_titles(tiny_catalog):
    def arm(name: str):
        raise RuntimeError("lexical index is still building")

    related = RelatedStrategy.open(ArmResources(tiny_catalog, arm=arm))
    assert ids(related.retrieve(Query.make("love"), 1)) == ["artist:taylor"]


def test_score_matches_retrieve(strategy):
    query = Query.make("tayler swift")
    out = strategy.retrieve(query, 10)
    rows = strategy.catalog.entities.rows(ids(out) + ["track:halo", "artist:taylor"])
    scores = strategy.score(query, rows)
    assert np.allclose(scores[:-2], [c.score for c in out])
    assert scores[-2:].tolist() == [0.0, 0.0]      # unrelated, and the seed itself


def test_adjacency_is_symmetric_and_persisted(tiny_catalog):
    adjacency = Adjacency.open(tiny_catalog)
    assert (tiny_catalog.index_dir / f"{INDEX_NAME}.manifest.json").is_file()
    row = tiny_catalog.entities.row_of
    n = len(tiny_catalog.entities)
    links = {(s, d) for s in range(n) for d in adjacency.neighbours(s)[0].tolist()}
    assert links == {(d, s) for s, d in links}
    assert (row["track:halo"], row["artist:beyonce"]) in links
    reloaded = Adjacency.open(tiny_catalog)
    assert np.array_equal(reloaded.dst, adjacency.dst) and np.array_equal(reloaded.ptr, adjacency.ptr)


def test_shared_catalog_artist_tracks(shared_catalog):
    arm = RelatedStrategy.open(ArmResources(shared_catalog))
    entities = shared_catalog.entities
    out = arm.retrieve(Query.make("drake"), 20)
    drake = [a for a in entities.frame.query("entity_type == 'artist' and title == 'Drake'")["entity_id"]]
    assert len(out) == 20
    tracks = [entities.get(c.entity_id) for c in out if c.entity_id.startswith("track:")]
    assert len(tracks) >= 10
    # Every track is Drake's or credits him (a featured link).
    credited = set(shared_catalog.query_df(
        "SELECT track_id FROM track_artists WHERE artist_id = ?", drake)["track_id"])
    assert all(t["artist_id"] == drake[0] or t["entity_id"] in credited for t in tracks)


@pytest.mark.parametrize("text", ["tayler swift", "love", "halo", "90s rap classics", "zzqx wobble", "anmals"])
def test_the_probe_is_the_lists_exact_length(strategy, text):
    query = Query.make(text)
    assert strategy.count(query) == len(strategy.retrieve(query, 10_000))


def test_the_probe_reads_0_where_nothing_seeds_the_list(strategy):
    assert strategy.count(Query.make("zzqx wobble")) == 0 and strategy.count(Query.make("")) == 0
    assert strategy.count(Query.make("halo")) > 0
