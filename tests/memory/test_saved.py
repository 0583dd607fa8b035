"""The memory's saved state: the JSON snapshot and the checkpoint state round trip exactly, older
versions still load, and malformed data is rejected with its reason, nothing half-applied."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr.memory import QueryMemory
from ltrr.memory.reformulation import ReformulationMemory
from ltrr.memory.saved import read_checkpoint


def test_snapshot_round_trip_through_json():
    memory = QueryMemory(strength=6)
    memory.record_impressions("love", ["track:halo", "track:kill"])
    memory.record_click("love", "track:halo")
    data = json.loads(json.dumps(memory.to_dict()))
    restored = QueryMemory.from_dict(data)
    assert restored.observed("love") == memory.observed("love")
    assert restored.strength == 6
    restored.clear()
    assert len(restored) == 0 and len(memory) == 2


@pytest.mark.parametrize("data", [
    None, {}, {"version": 2}, {"version": 1, "pairs": [["q", "track:a", 1]]},
    {"version": 1, "pairs": [["q", "track:a", "x", 1]]}, {"version": 1, "pairs": [["q", "track:a", 1, -1]]},
    {"version": 1, "pairs": [["q", 5, 1, 1]]},
])
def test_malformed_snapshots_are_rejected_clearly(data):
    with pytest.raises(ValueError):
        QueryMemory.from_dict(data)


def test_a_state_of_the_previous_version_still_loads():
    memory = QueryMemory()
    memory.record_impressions("love", ["track:halo"])
    memory.record_click("love", "track:halo")
    old = memory.state_dict()
    old = {k: v for k, v in old.items() if k != "reformulations"} | {"version": 2}
    restored = QueryMemory()
    restored.load_state_dict(old)
    assert restored.observed("love") == memory.observed("love") and len(restored.reformulations) == 0
    snapshot = {k: v for k, v in memory.to_dict().items() if k != "reformulations"}
    assert QueryMemory.from_dict(snapshot).observed("love") == memory.observed("love")


def test_rewordings_round_trip_through_both_snapshots_and_reset():
    memory = QueryMemory()
    memory.record_reformulation("easygoing rnb", "track:gooddays", "a", to_query="rnb chill playlist")
    for _ in range(7):
        memory.record_impressions("q", ["track:halo"])              # the clock of decay moves
    again = QueryMemory()
    again.load_state_dict(memory.state_dict())
    assert again.reworded("easygoing rap") == memory.reworded("easygoing rap") != []
    assert again.rewrites.clock == memory.rewrites.clock == 7
    restored = QueryMemory.from_dict(json.loads(json.dumps(memory.to_dict())))
    assert restored.reworded("easygoing rap") == memory.reworded("easygoing rap")
    before = {k: v for k, v in memory.state_dict().items() if k != "rewrites"}
    older = QueryMemory()
    older.load_state_dict(before)                                    # a checkpoint from before substitutions
    assert older.reworded("easygoing rap") == [] and older.reformulated("easygoing rnb")
    memory.clear()
    assert memory.reworded("easygoing rap") == []


def _state() -> dict:
    memory = QueryMemory()
    memory.record_impressions("love", ["track:halo", "track:kill"])
    memory.record_click("love", "track:halo")
    return memory.state_dict()


@pytest.mark.parametrize("change, reason", [
    ({"version": 4}, "version 4"),
    ({"sizes": np.array([3], dtype=np.int64)}, "columns of different lengths"),
    ({"clicked_queries": ["love", "halo"]}, "zip"),
    ({"reformulations": None}, "malformed reformulation state"),
])
def test_a_malformed_checkpoint_is_rejected_and_the_memory_keeps_its_counts(change, reason):
    memory = QueryMemory()
    memory.record_click("halo", "track:halo")
    before = memory.observed("halo")
    with pytest.raises(ValueError, match=f"malformed query-memory state: .*{reason}"):
        memory.load_state_dict(_state() | change)
    assert memory.observed("halo") == before and memory.observed("love") == {}


def test_reading_a_checkpoint_makes_new_evidence_memories_with_the_old_bounds():
    reformulations, rewrites = ReformulationMemory(max_queries=5, max_entities=2), ReformulationMemory(max_entities=3)
    counts, per_query, new_reformulations, new_rewrites = read_checkpoint(_state(), reformulations, rewrites)
    assert list(counts) == ["love"] and per_query == {"love": 1}
    assert new_reformulations is not reformulations and new_rewrites is not rewrites
    assert (new_reformulations.max_queries, new_reformulations.max_entities, new_rewrites.max_entities) == (5, 2, 3)
