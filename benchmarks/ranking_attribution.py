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
import time

import pandas as pd

import harness
from ltrr.attribution import attribution_table
from ltrr.catalog.store import Catalog
from ltrr.simulate.clicks import PositionBasedClicks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--policy", default="coverage")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = Catalog.open(args.catalog)
    stream = harness.simulated_stream(catalog, args.searches, args.seed)
    clicks = PositionBasedClicks(eta=1.0)
    rows, examples = [], {}
    with harness.temporary_state() as state:
        engine = harness.open_engine(catalog, state / "s", policy=args.policy, seed=args.seed)
        try:
            for it, resp, _ in harness.simulated_searches(engine, stream, clicks, args.seed):
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
