"""What int8 passage vectors cost in retrieval: recall@10 of int8 against fp32 on a real catalog.

    python -m ltrr import ../shared/data/spotify_songs.csv --catalog /tmp/spotify.duckdb
    python benchmarks/encoder_int8_recall.py --catalog /tmp/spotify.duckdb --queries 300 [--sample 20000]

Embeds the semantic arm's passages of the catalog (or a random sample of
``--sample`` entities) twice with ONNX Runtime, fp32 and dynamically quantised
int8, then runs realistic queries (the simulator's mix of titles, typos,
artists, genres and moods), always encoded in fp32 as the product does, by
exact search over each matrix. Prints recall@10 of the int8 top 10 against the
fp32 top 10, how often the fp32 top 1 is still first, the passage-vector
cosines and both throughputs. Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import harness
from ltrr.catalog.store import Catalog
from ltrr.embedding import Encoder
from ltrr.progress import TqdmProgress
from ltrr.strategies.semantic_passages import passage

K = 10


def top_k(matrix: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Row numbers of the k best rows per query, best first (exact search)."""
    scores = queries @ matrix.T
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--sample", type=int, default=0, help="embed a random sample of N entities (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    catalog = Catalog.open(args.catalog)
    try:
        frame = catalog.entities.frame
        stream = harness.simulated_stream(catalog, args.queries, args.seed)
    finally:
        catalog.close()
    rows = np.arange(len(frame))
    if args.sample and args.sample < len(rows):
        rows = np.sort(np.random.default_rng(args.seed).choice(rows, args.sample, replace=False))
    sub = frame.iloc[rows]
    texts = [passage(*r) for r in zip(sub["entity_type"], sub["title"], sub["subtitle"], sub["genre"],
                                      sub["mood"], sub["text"])]
    fp32 = Encoder(backend="onnx", passage_precision="fp32")
    int8 = Encoder(backend="onnx", passage_precision="int8")
    matrices, rates = {}, {}
    for name, enc in (("fp32", fp32), ("int8", int8)):
        bar = TqdmProgress()
        start = time.perf_counter()
        matrices[name] = enc.encode_passages(texts, progress=lambda d, t, m="", n=name: bar(d, t, f"{n}: {m}"))
        rates[name] = len(texts) / (time.perf_counter() - start)
        bar.close()
    queries = fp32.encode_queries([it.query for it in stream])
    exact, approx = top_k(matrices["fp32"], queries), top_k(matrices["int8"], queries)
    recall = np.mean([len(set(a) & set(b)) / K for a, b in zip(exact, approx)])
    top1 = np.mean(exact[:, 0] == approx[:, 0])
    cos = (matrices["fp32"] * matrices["int8"]).sum(axis=1)
    print(f"catalog {args.catalog} : {len(texts):,} passages{' (random sample)' if len(rows) < len(frame) else ''}, "
          f"{len(queries)} queries (fp32), exact search")
    print(f"recall@10 int8 vs fp32: {recall:.4f}   top-1 unchanged: {top1:.3f}")
    print(f"passage cosine int8 vs fp32: min {cos.min():.4f}  p5 {np.percentile(cos, 5):.4f}  mean {cos.mean():.4f}")
    print(f"passages/s: fp32 {rates['fp32']:.0f}  int8 {rates['int8']:.0f}  "
          f"(ratio {rates['int8'] / rates['fp32']:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
