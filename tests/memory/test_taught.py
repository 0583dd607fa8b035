"""The taught asks: what users taught something, and the log of changes a reader follows."""
from __future__ import annotations

from ltrr.memory import QueryMemory
from ltrr.memory.reformulation import ReformulationMemory
from ltrr.memory.taught import TaughtLog, is_taught, taught_asks


def test_the_memory_logs_each_change_to_its_taught_asks_until_a_reset():
    memory = QueryMemory(max_queries=2)
    v0, changes = memory.taught_changes(-1)
    assert changes is None                                   # never read: read taught() whole
    memory.record_click("a", "track:halo")
    memory.record_reformulation("b", "track:halo", "u1")
    memory.record_click("b", "track:halo")                   # already taught: no change
    memory.record_click("c", "track:halo")                   # room for "c": the bound forgets "a"
    v1, changes = memory.taught_changes(v0)
    assert changes == [("a", True), ("b", True), ("a", False), ("c", True)]
    assert memory.taught_changes(v1) == (v1, [])
    memory.clear()
    assert memory.taught_changes(v1)[1] is None


def test_clicked_asks_come_first_and_evidence_alone_also_teaches():
    reformulations = ReformulationMemory()
    reformulations.record("tunes to unwind to", "track:p", "u1")
    reformulations.record("love", "track:p", "u1")
    clicks = {"love": 2, "halo": 1}
    assert taught_asks(clicks, reformulations) == ["love", "halo", "tunes to unwind to"]
    assert is_taught("tunes to unwind to", clicks, reformulations) and not is_taught("other", clicks, reformulations)


def test_a_reader_behind_the_log_or_ahead_of_it_reads_the_whole_set():
    log = TaughtLog()
    log.note("a", False, False)                             # no change: no version
    assert log.changes(0) == (0, [])
    log.note("a", False, True)
    log.note("b", False, True)
    assert log.changes(0) == (2, [("a", True), ("b", True)]) and log.changes(1) == (2, [("b", True)])
    assert log.changes(3) == (2, None)
    log.reset()
    assert log.changes(2) == (3, None) and log.changes(3) == (3, [])
