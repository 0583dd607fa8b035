"""Failure attribution per query type on a simulated stream: which stage lost each failed search.

The real engine (``--policy``, every arm but the slow semantic one) answers a
stream of simulated users who click by the position-based model; after each
search, ``engine.attribute(response_id, interaction.relevant)`` names the
outcome (success, ranking loss, budget loss, retrieval miss: see
``ltrr/attribution.py``). Prints the table per query type and checks that
the outcomes account for every failed search.

    python benchmarks/ranking_attribution.py --catalog spotify.duckdb --searches 500
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ltrr import Engine  # noqa: E402
from ltrr.attribution import attribution_table  # noqa: E402
from ltrr.catalog.store import Catalog  # noqa: E402
from ltrr.simulate.clicks import PositionBasedClicks  # noqa: E402
from ltrr.simulate.users import CatalogView, generate_stream  # noqa: E402

FAST_ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--policy", default="coverage")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = Catalog.open(args.catalog)
    stream = generate_stream(CatalogView.from_catalog(catalog), args.searches, args.seed)
    clicks = PositionBasedClicks(eta=1.0)
    rows, examples = [], {}
    with tempfile.TemporaryDirectory() as state:
        engine = Engine.open(catalog, Path(state) / "s", policy=args.policy, seed=args.seed, arms=FAST_ARMS,
                             background=False, ranker_training="off")
        try:
            for it in stream:
                resp = engine.search(it.query, it.context, k=10)
                outcome = clicks.clicks([r.entity_id for r in resp.results], it.relevant,
                                        np.random.default_rng([args.seed, it.step]))
                for _, entity in outcome.clicks:
                    engine.feedback(resp.id, entity)
                if not outcome.clicks:
                    engine.feedback(resp.id, action="skip")
                found = engine.attribute(resp.id, sorted(it.relevant))
                rows.append((it.query_type, found))
                if found["outcome"] != "success":
                    examples.setdefault((it.query_type, found["outcome"]), (it.query, found["message"]))
        finally:
            engine.close()
    catalog.close()
    table = attribution_table(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print(f"{args.searches} searches, policy {args.policy} ({time.perf_counter() - started:.0f}s)")
        print(table.to_string(index=False))
    total = table[["failures"]].sum().iloc[0]
    explained = (table["accounted"] * table["failures"]).sum()
    print(f"failed searches: {total}; attributed: {explained:.0f} ({explained / max(total, 1):.0%})")
    for (qtype, kind), (query, message) in sorted(examples.items()):
        print(f"  {qtype:18s} {kind:15s} {query!r}: {message}")


if __name__ == "__main__":
    main()
