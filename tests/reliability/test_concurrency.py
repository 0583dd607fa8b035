"""One engine shared by many threads, as the app's sessions share it."""
from __future__ import annotations

import threading
import time

import numpy as np

from ltrr import Engine

ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
THREADS = 16
PAIRS = 200
QUERIES = ["halo", "kill bill", "love", "nas", "rap", "taylor swift", "90s rap", "sza good days", "", "🔥"]


def test_sixteen_threads_search_and_click_without_errors(tiny_catalog_path, tmp_path):
    engine = Engine.open(tiny_catalog_path, tmp_path / "state", arms=ARMS, ranker_training="background")
    errors: list[BaseException] = []
    clicks = [0] * THREADS
    start_gate = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        rng = np.random.default_rng(i)
        try:
            start_gate.wait()
            for _ in range(PAIRS):
                resp = engine.search(QUERIES[rng.integers(len(QUERIES))], context={"user_id": f"u{i}"})
                if resp.results:
                    engine.feedback(resp.id, resp.results[int(rng.integers(len(resp.results)))].entity_id)
                    clicks[i] += 1
                else:
                    engine.feedback(resp.id, action="skip")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    try:
        assert errors == []
        events = engine.log_events()
        assert sum(e["kind"] == "search" for e in events) == THREADS * PAIRS
        assert sum(e["kind"] == "feedback" for e in events) == THREADS * PAIRS
        assert sum(e["kind"] == "feedback" and e["action"] == "click" for e in events) == sum(clicks)
        assert engine.status()["searches"] == THREADS * PAIRS
        assert len({e["id"] for e in events if e["kind"] == "search"}) == THREADS * PAIRS
        print(f"\n{THREADS * PAIRS} search+feedback pairs in {seconds:.1f} s: "
              f"{THREADS * PAIRS / seconds:.0f} pairs/s")
    finally:
        engine.close()
