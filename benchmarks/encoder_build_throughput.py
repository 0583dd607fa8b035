"""Semantic index build throughput on a slice of a catalog, locally and on Ray, with extrapolations.

    python benchmarks/encoder_build_throughput.py --catalog /tmp/spotify.duckdb --rows 8000 [--ray] [--int8]

Embeds the first ``--rows`` passages of the catalog (the semantic arm's
passages) with the ONNX encoder: on one thread (the per-core rate a Ray actor
gets) and on all threads (what a local build gets). With ``--ray`` it also
builds shards of the same rows through :func:`ltrr.scale.embed.build_shards`
on a local Ray cluster (``--actors`` encoder actors), end to end, startup
included. Then it prints what those rates imply for 1M and 100M passages --
extrapolations, labelled as such: embedding time only (no HNSW graph), and
assuming throughput scales with cores, which a cluster only approaches.
Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import harness  # noqa: F401  (puts ltrr on sys.path)
from ltrr.catalog.store import Catalog
from ltrr.embedding import Encoder
from ltrr.strategies.semantic_passages import catalog_passages


def rate(encoder: Encoder, texts: list[str]) -> float:
    """Passages per second of one encode_passages call over `texts`."""
    start = time.perf_counter()
    encoder.encode_passages(texts)
    return len(texts) / (time.perf_counter() - start)


def hours(n: float, per_second: float) -> str:
    return f"{n / per_second / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--int8", action="store_true", help="int8 passages instead of fp32")
    parser.add_argument("--ray", action="store_true", help="also build shards on a local Ray cluster")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=10, help="cluster size for the 100M extrapolation")
    parser.add_argument("--cores", type=int, default=16, help="cores per node for the extrapolation")
    args = parser.parse_args(argv)
    precision = "int8" if args.int8 else "fp32"

    catalog = Catalog.open(args.catalog)
    try:
        texts = catalog_passages(catalog.entities.frame)[: args.rows]
    finally:
        catalog.close()
    one = rate(Encoder(backend="onnx", passage_precision=precision, passage_threads=1), texts)
    every = rate(Encoder(backend="onnx", passage_precision=precision), texts)
    print(f"{len(texts):,} passages of {args.catalog.name}, onnx {precision}")
    print(f"local, 1 thread:        {one:8.0f} passages/s")
    print(f"local, all threads:     {every:8.0f} passages/s")
    if args.ray:
        from ltrr.scale.embed import build_shards

        out = Path(tempfile.mkdtemp(prefix="ltrr-ray-bench-"))
        try:
            start = time.perf_counter()
            build_shards(args.catalog, out, shards=2, actors=args.actors, precision=precision,
                         num_cpus=args.actors, limit=args.rows)
            ray_rate = len(texts) / (time.perf_counter() - start)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        print(f"Ray Data, {args.actors} actors:  {ray_rate:8.0f} passages/s "
              "(end to end: cluster and actor start-up included)")
    print()
    print("EXTRAPOLATED (embedding only, linear in cores; not measured at that size):")
    print(f"  1M passages here, all threads:            {hours(1e6, every)}")
    cluster = one * args.nodes * args.cores
    print(f"  100M passages on {args.nodes} nodes x {args.cores} cores "
          f"({one:.0f}/s per core):  {hours(1e8, cluster)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
