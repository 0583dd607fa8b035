"""Run by test_durability: a zygote that forks one engine process per "life".

The zygote imports ltrr once (2-3 s) and then, for each line ``SEED`` on
stdin, forks a child that opens the engine on the state folder and streams
searches with feedback forever, printing ``ACK [search_id, entity_id]`` after
each acknowledged feedback, until the test kills it with SIGKILL. The zygote
reports ``DEAD pid signal`` when the child is gone. Forking a warm,
single-threaded zygote makes each life cost an engine open, not an
interpreter start, so a test can afford dozens of kills.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

from ltrr import Engine

ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
QUERIES = ["halo", "kill bill", "love", "nas", "rap", "taylor swift", "90s rap", "sza good days", "blindng lihgts"]


def life(catalog: str, state: str, seed: int) -> None:
    """One engine process: search, click or skip, acknowledge; until killed."""
    rng = np.random.default_rng(seed)
    engine = Engine.open(catalog=catalog, state=state, policy="linucb", seed=0, arms=ARMS, ranker_training="off")
    print(f"READY {os.getpid()}", flush=True)
    while True:
        resp = engine.search(QUERIES[rng.integers(len(QUERIES))], context={"user_id": f"u{rng.integers(4)}"})
        if resp.results and rng.random() < 0.8:
            pick = resp.results[int(rng.integers(len(resp.results)))].entity_id
            engine.feedback(resp.id, pick)
            print("ACK", json.dumps([resp.id, pick]), flush=True)
        else:
            engine.feedback(resp.id, action="skip")
            print("ACK", json.dumps([resp.id, None]), flush=True)


def main(catalog: str, state: str) -> None:
    print("ZYGOTE", flush=True)
    for line in sys.stdin:
        seed = int(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                life(catalog, state, seed)
            except BaseException as exc:  # noqa: BLE001 - reported to the test, then the child ends
                print(f"FAILED {type(exc).__name__}: {exc}", flush=True)
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        print(f"DEAD {pid} {os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
