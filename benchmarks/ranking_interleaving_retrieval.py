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
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ltrr import Engine  # noqa: E402
from ltrr.catalog.store import Catalog  # noqa: E402
from ltrr.interleave import outcome, team_draft  # noqa: E402
from ltrr.simulate.clicks import PositionBasedClicks  # noqa: E402
from ltrr.simulate.users import CatalogView, generate_stream  # noqa: E402
from ranking_interleaving import success_probability  # noqa: E402

FAST_ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
PAIRS = (("static:lexical", "all"), ("static:lexical", "static:lexical,fuzzy"),
         ("static:fuzzy", "static:lexical,fuzzy"))
K = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--stream", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = Catalog.open(args.catalog)
    stream = generate_stream(CatalogView.from_catalog(catalog), args.stream, 0)
    policies = sorted({p for pair in PAIRS for p in pair})
    lists: dict[str, list[list[str]]] = {}
    with tempfile.TemporaryDirectory() as root:
        for i, policy in enumerate(policies):
            engine = Engine.open(catalog, Path(root) / str(i), policy=policy, seed=0, arms=FAST_ARMS,
                                 background=False, ranker_training="off")
            engine.set_ranking_experiments(swap_share=0.0, interleave_share=0.0)
            try:
                lists[policy] = [[r.entity_id for r in engine.search(it.query, it.context, k=K).results]
                                 for it in stream]
            finally:
                engine.close()
    catalog.close()
    relevant = [it.relevant for it in stream]
    truth = {p: float(np.mean([success_probability(ids, rel) for ids, rel in zip(lists[p], relevant)]))
             for p in policies}
    print(f"{len(stream)} searches ({time.perf_counter() - started:.0f}s); on-policy success (exact, PBM eta 1): "
          + ", ".join(f"{p} {v:.4f}" for p, v in truth.items()))
    clicks = PositionBasedClicks(eta=1.0, max_clicks=K)
    z = norm.ppf(0.975) + norm.ppf(0.8)
    for a, b in PAIRS:
        winner = a if truth[a] > truth[b] else b
        agree, all_outcomes = 0, []
        for run in range(args.runs):
            rng = np.random.default_rng([run, 0x2E7])
            total = 0
            for i in rng.integers(0, len(stream), size=args.searches):
                items, teams = team_draft(lists[a][i], lists[b][i], K, rng)
                got = clicks.clicks(items, relevant[i], rng)
                result = outcome(dict(zip(items, teams)), [e for _, e in got.clicks])
                total += result
                all_outcomes.append(result)
            leader = a if total > 0 else b if total < 0 else None
            agree += leader == winner
        o = np.array(all_outcomes, dtype=float)
        n_il = z ** 2 * o.var(ddof=1) / o.mean() ** 2 if o.mean() else float("inf")
        p1, p2 = truth[a], truth[b]
        n_ab = 2 * z ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2 if p1 != p2 else float("inf")
        print(f"{a} vs {b}: truth {p1:.4f} vs {p2:.4f} (winner {winner}); interleaving agrees in {agree}/{args.runs} "
              f"runs of {args.searches}; searches needed at 95%/80%: interleaving {n_il:,.0f}, A/B {n_ab:,.0f} "
              f"(ratio {n_ab / n_il:.1f}x)")


if __name__ == "__main__":
    main()
