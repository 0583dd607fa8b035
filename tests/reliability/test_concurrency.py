"""One engine shared by many threads, as the app's sessions share it, while the
learning state is reset and snapshotted under their feet."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np

from ltrr import Engine
from ltrr.errors import FeedbackError
from ltrr.log import read_events

ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
THREADS = 16
PAIRS = 40
RESETS = 3
SNAPSHOTS = 4
QUERIES = ["halo", "kill bill", "love", "nas", "rap", "taylor swift", "90s rap", "sza good days", "", "🔥"]


def _log_lines_are_whole(path: Path) -> list[dict]:
    """Every line but a torn last one is an intact event; returns the events."""
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    complete = lines[:-1]                     # the part after the last newline is a torn tail or empty
    events = read_events(path)
    assert len(events) == len(complete), f"{path}: {len(complete) - len(events)} damaged lines"
    return events


def test_search_feedback_reset_and_snapshot_at_once(tiny_catalog_path, tmp_path):
    engine = Engine.open(tiny_catalog_path, tmp_path / "state", arms=ARMS, ranker_training="background")
    unexpected: list[BaseException] = []
    searches: list[str] = []                  # every response id handed out
    acked: list[tuple[str, str | None]] = []  # every feedback the engine accepted
    refused_after_reset = [0]
    empties = [0]                             # empty queries: answered, never logged
    gate = threading.Barrier(THREADS + 1)
    done = threading.Event()

    def session(i: int) -> None:
        rng = np.random.default_rng(i)
        try:
            gate.wait()
            for _ in range(PAIRS):
                resp = engine.search(QUERIES[rng.integers(len(QUERIES))], context={"user_id": f"u{i}"})
                if resp.message.startswith("Empty query"):
                    # Answered, not searched: nothing is logged and feedback on it is refused by name.
                    try:
                        engine.feedback(resp.id, action="skip")
                    except FeedbackError as exc:
                        assert "empty query" in str(exc), exc
                    else:
                        raise AssertionError("feedback on an empty query was accepted")
                    empties[0] += 1
                    continue
                searches.append(resp.id)
                entity = resp.results[int(rng.integers(len(resp.results)))].entity_id if resp.results else None
                try:
                    if entity is None:
                        engine.feedback(resp.id, action="skip")
                    else:
                        engine.feedback(resp.id, entity)
                    acked.append((resp.id, entity))
                except FeedbackError as exc:
                    # The one refusal allowed: the state was reset between this search and its click.
                    assert "reset" in str(exc), exc
                    refused_after_reset[0] += 1
        except BaseException as exc:  # collected and asserted below
            unexpected.append(exc)

    def operator() -> None:
        """Resets and snapshots spread over the sessions' run, as a demo operator would."""
        try:
            gate.wait()
            for step in range(RESETS + SNAPSHOTS):
                time.sleep(0.15)
                if done.is_set():
                    break
                if step % 2 == 0 and step // 2 < RESETS:
                    engine.reset()
                else:
                    engine.snapshot(f"snap-{step}")
        except BaseException as exc:
            unexpected.append(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(THREADS)]
    threads.append(threading.Thread(target=operator))
    began = time.perf_counter()
    for t in threads[:-1]:
        t.start()
    threads[-1].start()
    for t in threads[:-1]:
        t.join()
    done.set()
    threads[-1].join()
    seconds = time.perf_counter() - began
    try:
        assert unexpected == []
        assert len(searches) + empties[0] == THREADS * PAIRS and len(searches) == len(set(searches))
        state = tmp_path / "state"
        live = _log_lines_are_whole(state / "log" / "events.jsonl")
        snapshots = sorted(p for p in (state / "snapshots").iterdir() if (p / "log" / "events.jsonl").is_file())
        resets = [p for p in snapshots if p.name.startswith("reset-")]
        assert resets and any(p.name.startswith("snap-") for p in snapshots)
        logs = {"live": live, **{p.name: _log_lines_are_whole(p / "log" / "events.jsonl") for p in snapshots}}
        # Reset moves the log into a reset-* snapshot: the live log plus those hold every
        # search exactly once, and every accepted feedback next to its search.
        owner: dict[str, str] = {}
        for name in ["live", *[p.name for p in resets]]:
            for e in logs[name]:
                if e["kind"] == "search":
                    assert e["id"] not in owner, f"search {e['id']} in {owner.get(e['id'])} and {name}"
                    owner[e["id"]] = name
        assert set(owner) == set(searches)
        feedback_in = {(e["search_id"], e.get("entity_id")): name for name in ["live", *[p.name for p in resets]]
                       for e in logs[name] if e["kind"] == "feedback"}
        for sid, entity in acked:
            assert feedback_in.get((sid, entity)) == owner[sid], "an accepted feedback is missing or misplaced"
        assert len(acked) + refused_after_reset[0] + empties[0] == THREADS * PAIRS
        # A snapshot is a consistent copy: its feedback refers to searches it holds.
        for name, events in logs.items():
            ids = {e["id"] for e in events if e["kind"] == "search"}
            assert all(e["search_id"] in ids for e in events if e["kind"] == "feedback"), name
        assert engine.status()["searches"] == sum(e["kind"] == "search" for e in live)
        print(f"\n{THREADS * PAIRS} search+feedback pairs, {len(resets)} resets, "
              f"{len(snapshots) - len(resets)} snapshots in {seconds:.1f} s; "
              f"{refused_after_reset[0]} clicks refused after a reset; "
              f"{json.dumps({n: len(e) for n, e in logs.items()})}")
    finally:
        engine.close()
