"""Team-draft interleaving of retrieval policies: does it pick the on-policy winner, with fewer searches?

Each fixed retrieval policy (``static:...`` or ``all``; no learning, so a
policy's answer to a query is fixed) runs in its own engine over one stream
of simulated users; its final top 10 per search is kept. Then, as in
``benchmarks/ranking_interleaving.py``: the on-policy truth of a policy is its
exact expected success rate under the position-based model (eta 1) over the
whole stream; ``--runs`` seeded runs of ``--searches`` sampled searches
interleave two policies' lists and tally wins; the searches needed at 95 %
confidence and 80 % power are compared with an A/B test's.

    python benchmarks/ranking_interleaving_retrieval.py --catalog spotify.duckdb --stream 1000
"""
from __future__ import annotations

import argparse
import time


import harness
from ltrr.catalog.store import Catalog
from ltrr.simulate.clicks import PositionBasedClicks

PAIRS = (("static:lexical", "all"), ("static:lexical", "static:lexical,fuzzy"),
         ("static:fuzzy", "static:lexical,fuzzy"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--stream", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = Catalog.open(args.catalog)
    stream = harness.simulated_stream(catalog, args.stream, 0)
    policies = sorted({p for pair in PAIRS for p in pair})
    lists: dict[str, list[list[str]]] = {}
    with harness.temporary_state() as root:
        for i, policy in enumerate(policies):
            engine = harness.open_engine(catalog, root / str(i), policy=policy, seed=0)
            engine.set_ranking_experiments(swap_share=0.0, interleave_share=0.0)
            try:
                lists[policy] = [[r.entity_id for r in engine.search(it.query, it.context, k=harness.K).results]
                                 for it in stream]
            finally:
                engine.close()
    catalog.close()
    print(f"{len(stream)} searches, {time.perf_counter() - started:.0f}s")
    clicks = PositionBasedClicks(eta=1.0, max_clicks=harness.K)
    harness.interleaving_versus_ab(lists, [it.relevant for it in stream], PAIRS, clicks, args.runs, args.searches,
                                   tag=0x2E7)


if __name__ == "__main__":
    main()
