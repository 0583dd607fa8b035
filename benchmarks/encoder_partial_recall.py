"""What serving early costs: recall@10 of the semantic arm over its N most popular entities against the full index.

    python -m ltrr build --tracks 50000 --seed 0 --catalog /tmp/sem/catalog.duckdb
    python benchmarks/encoder_partial_recall.py --catalog /tmp/sem/catalog.duckdb --queries 300

A semantic arm opened in the background serves as soon as its ``SERVE_ROWS``
most popular entities are embedded and grows from there (most popular first).
This reads the catalog's complete semantic index (built first if missing),
runs realistic queries (the simulator's mix of titles, typos, artists, genres
and moods, encoded in fp32 as the product does) by exact search over the full
matrix and over the N most popular rows, for several N, and prints recall@10
of the partial top 10 against the full top 10 (cosine >= the arm's
``MIN_SIMILARITY``, as the arm returns them), how often the full top 1 is
still first, and the share of the full top 10 that lies among the served
rows. Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ltrr.catalog.store import Catalog  # noqa: E402
from ltrr.embedding import get_encoder  # noqa: E402
from ltrr.progress import TqdmProgress  # noqa: E402
from ltrr.simulate.stream import generate_stream  # noqa: E402
from ltrr.simulate.catalog_view import CatalogView  # noqa: E402
from ltrr.strategies.base import ArmResources  # noqa: E402
from ltrr.strategies.semantic import MIN_SIMILARITY, SemanticStrategy  # noqa: E402
from ltrr.strategies.semantic_job import SERVE_ROWS  # noqa: E402

K = 10


def top_k(matrix: np.ndarray, queries: np.ndarray, k: int = K) -> list[list[int]]:
    """Row numbers of the (up to) k best rows per query with cosine >= MIN_SIMILARITY, best first."""
    scores = queries @ matrix.T
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    return [[int(r) for r in row if s[r] >= MIN_SIMILARITY] for row, s in zip(best, scores)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[SERVE_ROWS // 2, SERVE_ROWS, 2 * SERVE_ROWS,
                                                                 4 * SERVE_ROWS, 8 * SERVE_ROWS])
    args = parser.parse_args(argv)

    catalog = Catalog.open(args.catalog)
    try:
        if not SemanticStrategy.is_built(catalog):
            bar = TqdmProgress()
            SemanticStrategy.open(ArmResources(catalog, progress=bar))
            bar.close()
        vectors = np.load(catalog.index_dir / "semantic.f16.npy").astype(np.float32)
        popularity = np.nan_to_num(catalog.entities.frame["popularity"].to_numpy(dtype=np.float64))
        stream = generate_stream(CatalogView.from_catalog(catalog), args.queries, args.seed)
    finally:
        catalog.close()
    queries = get_encoder().encode_queries([it.query for it in stream])
    full = top_k(vectors, queries)
    by_popularity = np.argsort(-popularity, kind="stable")
    print(f"catalog {args.catalog}: {len(vectors):,} entities, {len(queries)} simulated queries (fp32), "
          f"exact search, top {K} at cosine >= {MIN_SIMILARITY}")
    print(f"{'served rows':>12} {'share':>6} {'recall@10':>9} {'top-1 same':>10} {'full top 10 served':>18}")
    for n in sorted(set(min(s, len(vectors)) for s in args.sizes)):
        rows = by_popularity[:n]
        served = set(rows.tolist())
        partial = [[int(rows[i]) for i in hits] for hits in top_k(vectors[rows], queries)]
        pairs = [(f, p) for f, p in zip(full, partial) if f]
        recall = np.mean([len(set(f) & set(p)) / len(f) for f, p in pairs])
        top1 = np.mean([bool(p) and p[0] == f[0] for f, p in pairs])
        inside = np.mean([np.mean([r in served for r in f]) for f, _ in pairs])
        print(f"{n:>12,} {n / len(vectors):>6.1%} {recall:>9.3f} {top1:>10.3f} {inside:>18.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
