"""Per-arm retrieval latency on a catalog, and bm25s against rank_bm25.

    python benchmarks/arms_latency.py --catalog /tmp/shared.duckdb --arms lexical fuzzy --queries 300

Opens each arm (building its index with a progress bar if needed), runs the
same realistic queries through every arm (exact titles, artist names,
"artist title", the same with typos, and a few free-text requests) and
prints open time, p50/p95/mean milliseconds per query. With the lexical arm
it also times rank_bm25.BM25Okapi on the same documents and queries and
prints the per-query speed ratio (full score vectors on both sides).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import harness  # noqa: F401  (puts ltrr on sys.path)
from ltrr.catalog.store import Catalog, CatalogError
from ltrr.progress import TqdmProgress
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.registry import arm_class, arm_names

FREE_TEXT = [
    "songs for a rainy day", "upbeat music for the gym", "chill beats to study to", "sad breakup songs",
    "90s hip hop classics", "latin party reggaeton", "relaxing acoustic evening", "summer road trip hits",
]


def typo(text: str, rng: np.random.Generator) -> str:
    """One random edit (drop, swap, replace or double a letter) in a word of 3+ letters."""
    chars = list(text)
    letters = [i for i, ch in enumerate(chars) if ch.isalpha()]
    if len(letters) < 3:
        return text
    i = int(rng.choice(letters[1:-1]))
    kind = int(rng.integers(4))
    if kind == 0:
        del chars[i]
    elif kind == 1:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif kind == 2:
        chars[i] = chr(ord("a") + int(rng.integers(26)))
    else:
        chars.insert(i, chars[i])
    return "".join(chars)


def make_queries(catalog: Catalog, n: int, seed: int) -> list[str]:
    """`n` queries: a quarter each titles, artists/"artist title", typo'd versions; plus free text."""
    rng = np.random.default_rng(seed)
    frame = catalog.entities.frame
    tracks = frame[frame["entity_type"] == "track"]
    artists = frame.loc[frame["entity_type"] == "artist", "title"].tolist()
    if tracks.empty:
        titles = frame["title"].tolist()
        combos = titles
    else:
        titles = tracks["title"].tolist()
        combos = (tracks["subtitle"] + " " + tracks["title"]).tolist()
    pick = lambda pool, k: [pool[i] for i in rng.integers(0, len(pool), size=k)] if pool else []
    quarter = max(n // 4, 1)
    clean = pick(titles, quarter) + pick(artists or titles, quarter // 2) + pick(combos, quarter - quarter // 2)
    typos = [typo(q, rng) for q in pick(clean, quarter)]
    out = clean + typos
    out += [FREE_TEXT[i % len(FREE_TEXT)] for i in range(max(n - len(out), 0))]
    return out[:n]


def percentiles(times: list[float]) -> str:
    ms = np.asarray(times) * 1000
    return f"p50 {np.percentile(ms, 50):7.2f}  p95 {np.percentile(ms, 95):7.2f}  mean {ms.mean():7.2f} ms"


def bm25_ratio(arm, queries: list[str], limit: int) -> None:
    """Time rank_bm25 against the lexical arm's bm25s scores on the same documents."""
    from rank_bm25 import BM25Okapi

    from ltrr.strategies.lexical import B, K1, entity_tokens

    frame = arm.catalog.entities.frame
    start = time.perf_counter()
    docs = [entity_tokens(t, s, x) for t, s, x in zip(frame["title"], frame["subtitle"], frame["text"])]
    oracle = BM25Okapi(docs, k1=K1, b=B, epsilon=0.0)
    print(f"rank_bm25 build: {time.perf_counter() - start:.1f} s for {len(docs)} documents")
    ratios, slow, fast, worst = [], [], [], 0.0
    for text in queries[:limit]:
        tokens = list(Query.make(text).tokens)
        if not tokens:
            continue
        t0 = time.perf_counter()
        expected = oracle.get_scores(tokens)
        t1 = time.perf_counter()
        got = arm.bm25_scores(tokens)
        t2 = time.perf_counter()
        slow.append(t1 - t0)
        fast.append(t2 - t1)
        ratios.append((t1 - t0) / max(t2 - t1, 1e-9))
        worst = max(worst, float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-12))))
    print(f"rank_bm25 score all docs: {percentiles(slow)}")
    print(f"bm25s     score all docs: {percentiles(fast)}")
    print(f"speed-up bm25s over rank_bm25 per query: median {np.median(ratios):.0f}x "
          f"(p5 {np.percentile(ratios, 5):.0f}x) over {len(ratios)} queries; "
          f"max relative score difference {worst:.1e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path, help="a catalog .duckdb file")
    parser.add_argument("--arms", nargs="+", default=["lexical", "fuzzy"],
                        help=f"arms to time (known: {', '.join(arm_names())})")
    parser.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    parser.add_argument("--budget", type=int, default=50, help="candidates per query (default 50)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracle-queries", type=int, default=100,
                        help="queries for the rank_bm25 comparison (it is slow; default 100)")
    args = parser.parse_args(argv)

    unknown = [a for a in args.arms if a not in arm_names()]
    if unknown:
        parser.error(f"unknown arm(s) {', '.join(unknown)}; known: {', '.join(arm_names())}")
    if args.queries < 1:
        parser.error("--queries must be at least 1")
    try:
        catalog = Catalog.open(args.catalog)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    queries = make_queries(catalog, args.queries, args.seed)
    print(f"catalog {args.catalog}: {len(catalog.entities)} entities; "
          f"{len(queries)} queries, budget {args.budget}")
    arms = {}
    for name in args.arms:
        progress = TqdmProgress()
        start = time.perf_counter()
        arm = arm_class(name).open(ArmResources(catalog, progress=progress))
        progress.close()
        built = " (built)" if getattr(arm, "built_now", False) else " (loaded)"
        print(f"{name:>9} open: {time.perf_counter() - start:6.2f} s{built}")
        arms[name] = arm

    parsed = [Query.make(q) for q in queries]
    for name, arm in arms.items():
        for q in parsed[:5]:                              # warm caches and lazy imports
            arm.retrieve(q, args.budget)
        times, hits = [], 0
        for q in parsed:
            start = time.perf_counter()
            out = arm.retrieve(q, args.budget)
            times.append(time.perf_counter() - start)
            hits += bool(out)
        print(f"{name:>9}: {percentiles(times)}  ({hits}/{len(parsed)} queries with results)")

    if "lexical" in arms:
        bm25_ratio(arms["lexical"], queries, args.oracle_queries)
    catalog.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
