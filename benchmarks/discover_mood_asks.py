"""How often an arm's first 10 hold something the simulated user accepts for a mood or activity ask.

    python benchmarks/discover_mood_asks.py --catalog /work/data/spotify.duckdb --contexts 100

For every mood and activity ask of the simulator without a genre slot ("tunes to unwind to"),
the relevant set is the simulator's own judgement (``mood_activity_mask``: tagged tracks,
playlists named so, their tracks). Deterministic arms are asked once; the discover arm, whose
sample depends on the search's context, once per context (``user_id`` u0..uN), and its rate is
the share of contexts whose first 10 hold a relevant entity. Also printed: how many relevant
entities the discover arm's pool holds, and its retrieve time. Measurement only: it reads the
simulator's vocabulary, which the system never does.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.simulate import vocab as sim_vocab
from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.query_types import mood_activity_mask
from ltrr.strategies.base import ArmResources
from ltrr.strategies.registry import arm_class
from ltrr.understanding import QueryUnderstander

ARMS = ("lexical", "semantic", "structured", "popular")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--contexts", type=int, default=100)
    args = parser.parse_args()
    cat = Catalog.open(args.catalog)
    arms: dict = {}
    resources = ArmResources(cat, arm=lambda name: arms[name])
    for name in ARMS:
        arms[name] = arm_class(name).open(resources)
    discover = arm_class("discover").open(resources)
    understander = QueryUnderstander.open(cat)
    view = CatalogView.from_catalog(cat)
    ids = cat.entities.ids
    rates: dict[str, list[float]] = {a: [] for a in (*ARMS, "discover")}
    ms: list[float] = []
    for kind, asks in (("mood", sim_vocab.MOOD_ASKS), ("activity", sim_vocab.ACTIVITY_ASKS)):
        for value, templates in asks.items():
            relevant = set(ids[np.flatnonzero(mood_activity_mask(view, kind, (value,), ""))].tolist())
            if len(relevant) < 5:
                continue
            for text in (t for t in templates if "{" not in t):
                understood = understander.understand(text)
                hits = {a: float(any(c.entity_id in relevant
                                     for c in arm.retrieve(Query.make(text, understanding=understood), 10)))
                        for a, arm in arms.items()}
                found = []
                for i in range(args.contexts):
                    query = Query.make(text, understanding=understood, context={"user_id": f"u{i}"})
                    start = time.perf_counter()
                    listed = discover.retrieve(query, 10)
                    ms.append((time.perf_counter() - start) * 1000)
                    found.append(any(c.entity_id in relevant for c in listed))
                hits["discover"] = float(np.mean(found))
                pool = discover.inclusion(Query.make(text, understanding=understood), 10)
                for a, h in hits.items():
                    rates[a].append(h)
                print(f"{value:9s} {text[:36]:36s} relevant={len(relevant):5d} "
                      f"in pool={sum(e in relevant for e in pool)}/{len(pool)} "
                      + " ".join(f"{a}={h:.2f}" for a, h in hits.items()))
    print("mean share with a relevant entity in the first 10:",
          {a: round(float(np.mean(v)), 3) for a, v in rates.items()})
    print(f"discover retrieve(10): p50 {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms ({len(ms)} calls)")


if __name__ == "__main__":
    main()
