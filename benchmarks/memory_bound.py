"""Does the query memory's state stay flat as searches go on (20,000 to 100,000 and beyond)?

    python benchmarks/memory_bound.py                        # 200,000 searches, a line per 20,000
    python benchmarks/memory_bound.py --vague 0.2 --reword 0.3   # fewer chains: bounds reached later

Feeds one :class:`ltrr.memory.QueryMemory` (the engine's defaults: at most 20,000 queries, and as
many reformulation and rewording patterns) with a stream in which nearly every search is a new
text, so that every bound is reached: each search shows ten entities (impressions); a share
``--vague`` are vague asks that failed, each reworded by its user with a chance ``--reword``, which
counts the pair (failed ask -> entity) and the chain's phrase substitution; a third of the others
get a click. The query counts reach their bound at 20,000 searches, the reformulation evidence
and the rewordings at 20,000 reworded asks (80,000 searches by default). Asks and rewordings are
made of numbered words (``mood123 w45 w67`` -> ``w45 w67 chill4``), so texts and patterns keep
coming: what the memory holds is set by its bounds, not by a vocabulary running out.

At each ``--every`` searches it prints the state's size as a checkpoint writes it (the pickled
:meth:`QueryMemory.state_dict`), the queries, pairs, reformulation evidence and rewording patterns
held, and the seconds the last stretch took. Numbers only, no assertions: say which machine.
The engine's other learned state is measured by ``benchmarks/engine_memory.py``.
"""
from __future__ import annotations

import argparse
import pickle
import time

import numpy as np

import harness  # noqa: F401  (puts the repository on sys.path)
from ltrr.memory import QueryMemory


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--searches", type=int, default=200_000)
    ap.add_argument("--every", type=int, default=20_000)
    ap.add_argument("--vague", type=float, default=0.5, help="share of searches that are vague asks and fail")
    ap.add_argument("--reword", type=float, default=0.5, help="chance a failed vague ask is reworded")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    memory = QueryMemory()
    started = time.perf_counter()
    print("searches  state_MB  queries  pairs  reformulated_asks  rewording_patterns  seconds")
    for i in range(1, args.searches + 1):
        words = f"w{rng.integers(100_000)} w{rng.integers(100_000)}"
        vague = rng.random() < args.vague
        query = f"mood{rng.integers(50_000)} {words}" if vague else words
        shown = [f"t{rng.integers(1_000_000)}" for _ in range(10)]
        memory.record_impressions(query, shown)
        if vague and rng.random() < args.reword:
            to_query = f"{words} chill{rng.integers(10)}"
            memory.record_reformulation(query, f"t{rng.integers(1_000_000)}", f"u{rng.integers(5_000)}",
                                        to_query=to_query)
        elif not vague and rng.random() < 1 / 3:
            memory.record_click(query, shown[int(rng.integers(3))])
        if i % args.every == 0:
            state = memory.state_dict()
            size = len(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)) / 2 ** 20
            print(f"{i:8d}  {size:8.1f}  {memory.n_queries:7d}  {len(state['entities']):6d}  "
                  f"{memory.reformulations.n_queries:17d}  {memory.rewrites.n_queries:18d}  "
                  f"{time.perf_counter() - started:7.1f}", flush=True)
            started = time.perf_counter()


if __name__ == "__main__":
    main()
