"""Run by test_durability: streams searches and feedbacks forever and prints one
line per acknowledged feedback, until the parent kills it with SIGKILL."""
from __future__ import annotations

import json
import sys

import numpy as np

from ltrr import Engine

ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
QUERIES = ["halo", "kill bill", "love", "nas", "rap", "taylor swift", "90s rap", "sza good days", "blindng lihgts"]


def main(catalog: str, state: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    engine = Engine.open(catalog=catalog, state=state, policy="linucb", seed=0, arms=ARMS, ranker_training="off")
    print("READY", flush=True)
    while True:
        resp = engine.search(QUERIES[rng.integers(len(QUERIES))], context={"user_id": f"u{rng.integers(4)}"})
        if resp.results and rng.random() < 0.8:
            pick = resp.results[int(rng.integers(len(resp.results)))].entity_id
            engine.feedback(resp.id, pick)
            print("ACK", json.dumps([resp.id, pick]), flush=True)
        else:
            engine.feedback(resp.id, action="skip")
            print("ACK", json.dumps([resp.id, None]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
