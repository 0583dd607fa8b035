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

With ``--nearby N`` it also looks up the taught asks nearest to a vague ask every ``N`` searches
(:class:`ltrr.strategies.nearby.NearbyAsks`, as the memory arm does for an ask the catalog predicts
nothing for) and prints the rows its index holds and the mean milliseconds of a lookup over the
stretch. The vectors are random unit vectors of MiniLM's width (384), made as fast as asked: the
figure is the index's upkeep and the matrix product, not the model's encoding (2.5 ms a query,
README *Speed*), which each taught ask pays once.
"""
from __future__ import annotations

import argparse
import pickle
import time

import numpy as np

import harness  # noqa: F401  (puts the repository on sys.path)
from ltrr.memory import QueryMemory
from ltrr.strategies.nearby import NearbyAsks


def random_vectors(seed: int, width: int = 384):
    """An encoder stand-in: a fixed random unit vector per text (the same text, the same vector)."""
    made: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(seed + 1)

    def encode(texts: list[str]) -> np.ndarray:
        for text in texts:
            if text not in made:
                v = rng.normal(size=width).astype(np.float32)
                made[text] = v / np.linalg.norm(v)
        return np.stack([made[t] for t in texts])
    return encode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--searches", type=int, default=200_000)
    ap.add_argument("--every", type=int, default=20_000)
    ap.add_argument("--vague", type=float, default=0.5, help="share of searches that are vague asks and fail")
    ap.add_argument("--reword", type=float, default=0.5, help="chance a failed vague ask is reworded")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nearby", type=int, default=0, help="look up asks close in meaning every N searches")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    memory = QueryMemory()
    nearby = NearbyAsks(memory, random_vectors(args.seed)) if args.nearby > 0 else None
    lookups: list[float] = []
    started = time.perf_counter()
    print("searches  state_MB  queries  pairs  reformulated_asks  rewording_patterns  seconds"
          + ("  nearby_rows  nearby_ms" if nearby is not None else ""))
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
        if nearby is not None and i % args.nearby == 0:
            at = time.perf_counter()
            nearby.nearest(f"mood{rng.integers(50_000)} {words}")
            lookups.append((time.perf_counter() - at) * 1000)
        if i % args.every == 0:
            state = memory.state_dict()
            size = len(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)) / 2 ** 20
            print(f"{i:8d}  {size:8.1f}  {memory.n_queries:7d}  {len(state['entities']):6d}  "
                  f"{memory.reformulations.n_queries:17d}  {memory.rewrites.n_queries:18d}  "
                  f"{time.perf_counter() - started:7.1f}"
                  + (f"  {nearby.indexed:11d}  {np.mean(lookups):9.2f}" if nearby is not None else ""), flush=True)
            lookups.clear()
            started = time.perf_counter()


if __name__ == "__main__":
    main()
