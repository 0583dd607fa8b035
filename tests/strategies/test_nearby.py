"""Asks close in meaning: a vague ask nobody typed before lists what users taught the asks nearest
to it, never its own lessons, and, when it names a genre, only that genre's finds."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.memory import QueryMemory
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.memory import MemoryStrategy
from ltrr.strategies.nearby import NearbyAsks
from ltrr.understanding import QueryUnderstander


def finds(nearby: NearbyAsks, text: str) -> dict[str, float]:
    """entity_id -> score of what the taught asks nearest to ``text`` list."""
    return {entity_id: value for entity_id, value, _, _ in nearby.listed(text)}


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# A made-up space with known cosines: "mellow tunes" is 0.8 from "tunes to unwind to", 0.48 from
# "chill music", 0 from "workout songs".
SPACE = {
    "tunes to unwind to": unit(1, 0, 0),
    "chill music": unit(0.6, 0.8, 0),
    "mellow tunes": unit(0.8, 0, 0.6),
    "workout songs": unit(0, 1, 0),
}


class Counting:
    """The fake encoder: SPACE's vectors, and how many texts it was asked to encode."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.stack([SPACE[t] for t in texts])


@pytest.fixture()
def memory() -> QueryMemory:
    memory = QueryMemory()
    memory.record_reformulation("tunes to unwind to", "track:gooddays", "u1")
    memory.record_reformulation("tunes to unwind to", "track:gooddays", "u2")
    memory.record_impressions("workout songs", ["track:blinding"])
    memory.record_click("workout songs", "track:blinding")
    return memory


def test_the_nearest_taught_asks_list_their_finds_scaled_by_similarity(memory):
    nearby = NearbyAsks(memory, Counting(), min_similarity=0.5)
    assert nearby.nearest("mellow tunes") == [("tunes to unwind to", pytest.approx(0.8, abs=1e-6))]
    score = memory.lessons("tunes to unwind to")["track:gooddays"]
    assert finds(nearby, "mellow tunes") == {"track:gooddays": pytest.approx(0.5 * 0.8 * score, abs=1e-6)}
    # Below the similarity floor nothing is listed.
    assert finds(NearbyAsks(memory, Counting(), min_similarity=0.9), "mellow tunes") == {}


def test_an_ask_is_never_its_own_neighbour(memory):
    nearby = NearbyAsks(memory, Counting(), min_similarity=0.5)
    assert [n for n, _ in nearby.nearest("tunes to unwind to")] == []
    assert "track:blinding" not in finds(nearby, "tunes to unwind to")


def test_a_shown_but_unclicked_item_is_no_lesson(memory):
    memory.record_impressions("tunes to unwind to", ["track:halo"])
    assert set(memory.lessons("tunes to unwind to")) == {"track:gooddays"}
    assert memory.taught() == ["workout songs", "tunes to unwind to"]


def test_each_taught_ask_is_encoded_once(memory):
    encoder = Counting()
    nearby = NearbyAsks(memory, encoder, min_similarity=0.5)
    finds(nearby, "mellow tunes")
    finds(nearby, "mellow tunes")
    assert sorted(encoder.encoded.count(t) for t in ("tunes to unwind to", "workout songs")) == [1, 1]
    memory.record_reformulation("chill music", "track:halo", "u3")
    assert nearby.nearest("mellow tunes")[0][0] == "tunes to unwind to"
    assert encoder.encoded.count("chill music") == 1 and encoder.encoded.count("tunes to unwind to") == 1


def test_no_encoder_means_no_neighbours_not_a_failure(memory):
    def broken(texts):
        raise OSError("no model here")
    assert finds(NearbyAsks(memory, broken), "mellow tunes") == {}


def understood(catalog, text: str) -> Query:
    q = Query.make(text)
    return Query(q.raw, q.text, q.tokens, QueryUnderstander.open(catalog).understand_tokens(q.tokens))


@pytest.mark.slow
def test_the_memory_arm_lists_a_close_ask_find_with_the_real_model(tiny_catalog):
    """With MiniLM: what someone found after "cheer me up hip hop" answers "rap that cheers me up" (typed by
    nobody before), but not "cheer me up pop" (close in phrasing, another genre)."""
    memory = QueryMemory()
    arm = MemoryStrategy.open(ArmResources(tiny_catalog, memory=memory))
    rap = [e for e, g in zip(tiny_catalog.entities.ids, tiny_catalog.entities.genre_keys) if g == "rap"]
    assert rap
    memory.record_reformulation("cheer me up hip hop", rap[0], "u1")
    smile = understood(tiny_catalog, "rap that cheers me up")
    assert arm.held(smile) == 0                   # the probe counts the query's own pairs only
    got = arm.retrieve(smile, 10)
    assert [c.entity_id for c in got] == [rap[0]] and "memory_nearby" in got[0].features
    assert arm.count(smile) == 1 and arm.score(smile, np.array([tiny_catalog.entities.row_of[rap[0]]]))[0] > 0
    rock = understood(tiny_catalog, "cheer me up pop")
    assert rock.understanding.best.genres and arm.retrieve(rock, 10) == []


def test_what_is_listed_follows_every_lesson(memory):
    nearby = NearbyAsks(memory, Counting(), min_similarity=0.5)
    assert set(finds(nearby, "mellow tunes")) == {"track:gooddays"}
    memory.record_reformulation("tunes to unwind to", "track:halo", "u3")
    assert set(finds(nearby, "mellow tunes")) == {"track:gooddays", "track:halo"}
    memory.clear()
    assert finds(nearby, "mellow tunes") == {}


def test_an_ask_the_memory_forgot_is_no_neighbour():
    memory = QueryMemory(max_queries=2)
    nearby = NearbyAsks(memory, Counting(), min_similarity=0.1)
    memory.record_click("tunes to unwind to", "track:gooddays")
    memory.record_click("chill music", "track:halo")
    assert [n for n, _ in nearby.nearest("mellow tunes")] == ["tunes to unwind to", "chill music"]
    assert nearby.indexed == 2
    memory.record_click("workout songs", "track:blinding")     # the memory keeps two queries
    assert "tunes to unwind to" not in memory.taught()
    assert [n for n, _ in nearby.nearest("mellow tunes")] == ["chill music"]
    assert nearby.indexed == 2                                  # its row retired, workout songs added
    assert finds(nearby, "mellow tunes") and "track:gooddays" not in finds(nearby, "mellow tunes")


class RandomSpace:
    """A fake encoder: a random unit vector per text, drawn the first time it is asked for."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.space: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        for t in texts:
            self.space.setdefault(t, unit(*self.rng.normal(size=8)))
        return np.stack([self.space[t] for t in texts])

    def nearest(self, memory: QueryMemory, probe: str, floor: float, n: int) -> list:
        """A brute-force pass over what the memory holds now, as NearbyAsks.nearest reads it."""
        taught = memory.taught()
        self([probe, *taught])
        sims = sorted(((float(self.space[t] @ self.space[probe]), t) for t in taught if t != probe),
                      key=lambda st: (-st[0], st[1]))
        return [(t, pytest.approx(sim, abs=1e-5)) for sim, t in sims if sim >= floor][:n]


def test_the_index_kept_in_place_reads_as_a_fresh_one_over_many_lessons():
    """Asks taught and forgotten by the hundred (rows retired, the matrix grown and compacted): the
    nearest asks are always those of a brute-force pass over what the memory holds now."""
    encode = RandomSpace(7)
    rng = encode.rng
    memory = QueryMemory(max_queries=40)
    nearby = NearbyAsks(memory, encode, min_similarity=0.2, neighbours=4)
    for step in range(400):
        memory.record_click(f"ask {int(rng.integers(120))}", "track:halo")
        if step % 7 == 0:
            probe = f"ask {int(rng.integers(150))}"
            assert nearby.nearest(probe) == encode.nearest(memory, probe, 0.2, 4)


def test_the_index_follows_clicks_rewordings_bounds_and_resets_as_a_fresh_one_would():
    """Asks taught by clicks and by reformulations, forgotten by either bound, and the memory
    cleared or reloaded now and then: the index, kept up to date from the memory's log of changes,
    always gives the nearest asks of a brute-force pass over what the memory holds now."""
    encode = RandomSpace(11)
    rng = encode.rng
    memory = QueryMemory(max_queries=30)
    nearby = NearbyAsks(memory, encode, min_similarity=0.1, neighbours=5)
    saved = memory.state_dict()
    for step in range(600):
        ask = f"ask {int(rng.integers(90))}"
        roll = rng.random()
        if roll < 0.45:
            memory.record_click(ask, "track:halo")
        elif roll < 0.8:
            memory.record_reformulation(ask, "track:gooddays", f"u{int(rng.integers(5))}")
        elif roll < 0.97:
            memory.record_impressions(ask, ["track:halo"] * 3 + [f"track:{step}"])
        elif roll < 0.985:
            memory.clear()
        else:
            memory.load_state_dict(saved)
        if step % 50 == 0:
            saved = memory.state_dict()
        if step % 5 == 0:
            probe = f"ask {int(rng.integers(100))}"
            assert nearby.nearest(probe) == encode.nearest(memory, probe, 0.1, 5)
            assert nearby.indexed == len(set(memory.taught()))


def test_a_reopened_memory_of_many_taught_asks_is_read_in_over_several_lookups(monkeypatch):
    monkeypatch.setattr("ltrr.strategies.nearby.ENCODE_PER_LOOKUP", 2)
    memory = QueryMemory()
    for ask in ("tunes to unwind to", "chill music", "workout songs"):
        memory.record_click(ask, "track:halo")
    encoder = Counting()
    nearby = NearbyAsks(memory, encoder, min_similarity=0.1)
    assert [n for n, _ in nearby.nearest("mellow tunes")] == ["chill music"]    # the latest two only
    assert nearby.indexed == 2
    assert [n for n, _ in nearby.nearest("mellow tunes")] == ["tunes to unwind to", "chill music"]
    assert nearby.indexed == 3
    assert sorted(t for t in encoder.encoded if t != "mellow tunes") == ["chill music", "tunes to unwind to",
                                                                           "workout songs"]
