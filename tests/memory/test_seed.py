"""The memory's catalog half: the queries each entity should answer, and the persisted seed."""
from __future__ import annotations

import numpy as np

from ltrr.memory import SEED_INDEX, MemorySeed, misspellings, seed_queries


def _lookup_ids(seed: MemorySeed, query: str) -> list[str]:
    rows, _ = seed.lookup(query)
    return [seed.entities.ids[r] for r in rows]


def test_misspellings_are_deterministic_and_different():
    typos = misspellings("blinding lights")
    assert typos == ["blining lights", "blinidng lights"]
    assert misspellings("blinding lights") == typos
    assert misspellings("sza") == []          # too short to misspell safely
    assert misspellings("") == []


def test_track_seed_queries():
    pairs = dict(seed_queries("track", "Memories - Dillon Francis Remix", "Maroon 5", 67, "pop", 2019))
    assert {"memories dillon francis remix", "memories", "maroon 5 memories", "memories maroon 5",
            "maroon 5", "10s pop"} <= set(pairs)
    assert set(misspellings("memories")) <= set(pairs)
    # The exact (core) title outranks the artist alone; "artist title" is the most specific.
    assert pairs["maroon 5 memories"] > pairs["memories"] > pairs["maroon 5"]
    assert all(0 < p < 1 for p in pairs.values())


def test_popularity_scales_predictions():
    low = dict(seed_queries("track", "Halo", "Beyoncé", 10))
    high = dict(seed_queries("track", "Halo", "Beyoncé", 90))
    assert high["halo"] > low["halo"]
    assert "beyonce halo" in high                # accents are folded


def test_artist_and_playlist_seed_queries():
    artist = dict(seed_queries("artist", "Taylor Swift", popularity=95))
    assert artist["taylor swift"] > artist["taylor"]
    playlist = dict(seed_queries("playlist", "90s Rap Classics", genre="rap"))
    assert {"90s rap classics", "90s rap", "rap playlist"} <= set(playlist)
    assert seed_queries("track", "!!!") == []


# --- the persisted seed ---------------------------------------------------------

def test_seed_lookups_on_the_tiny_catalog(seed):
    assert _lookup_ids(seed, "blinding lights")[0] == "track:blinding"
    assert _lookup_ids(seed, "The Weeknd!")[0] == "artist:weeknd"
    assert "track:lovestory" in _lookup_ids(seed, "love")
    assert _lookup_ids(seed, "illmatic")[0] == "album:illmatic"
    assert _lookup_ids(seed, "no such thing at all") == []
    assert _lookup_ids(seed, "") == []


def test_seed_predictions_are_sorted_and_capped(tiny_catalog):
    seed = MemorySeed.build(tiny_catalog.entities, per_query=1)
    rows, preds = seed.lookup("the weeknd")
    assert len(rows) == 1 and seed.entities.ids[rows[0]] == "artist:weeknd"
    full = MemorySeed.build(tiny_catalog.entities)
    _, preds = full.lookup("the weeknd")
    assert list(preds) == sorted(preds, reverse=True)
    assert np.all(np.diff(full.hashes.astype(np.float64)) >= 0)     # sorted for searchsorted


def test_seed_predicted_for_one_pair(seed):
    assert seed.predicted("blinding lights", "track:blinding") > 0.3
    assert seed.predicted("blinding lights", "track:halo") is None
    assert seed.predicted("blinding lights", "track:unknown") is None


def test_seed_predictions_of_a_query_by_entity(seed):
    predictions = seed.predictions("blinding lights")
    assert list(predictions) == _lookup_ids(seed, "blinding lights")
    assert predictions["track:blinding"] == seed.predicted("blinding lights", "track:blinding")
    assert seed.predictions("no such thing at all") == {}


def test_seed_is_persisted_and_memory_mapped(tiny_catalog):
    first = MemorySeed.open(tiny_catalog)
    assert (tiny_catalog.index_dir / f"{SEED_INDEX}.manifest.json").is_file()
    again = MemorySeed.open(tiny_catalog)
    assert isinstance(again.hashes, np.memmap)
    assert np.array_equal(np.asarray(again.hashes), np.asarray(first.hashes))
    assert _lookup_ids(again, "blinding lights") == _lookup_ids(first, "blinding lights")


def test_shared_catalog_seed(shared_catalog):
    seed = MemorySeed.open(shared_catalog)
    entities = shared_catalog.entities
    top = _lookup_ids(seed, "taylor swift")[0]
    assert entities.get(top)["title"] == "Taylor Swift" and top.startswith("artist:")
    assert entities.get(_lookup_ids(seed, "dance monkey")[0])["title"].startswith("Dance Monkey")
