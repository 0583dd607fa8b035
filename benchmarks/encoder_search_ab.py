"""Paired latency of whole searches: torch vs ONNX query encoder, arms one after another vs concurrent.

    python benchmarks/encoder_search_ab.py --catalog /tmp/spotify.duckdb --queries 300

One engine (policy ``all``: all eight arms every search, ranker training off)
answers every query three times in a rotating order, once per configuration:

* ``torch+sequential``  -- the encoder and the arm loop as they were;
* ``onnx+sequential``   -- the ONNX Runtime query encoder, arms one after another;
* ``onnx+concurrent``   -- ONNX, and the arms on the fan-out (``ltrr.fanout``).

The query-embedding cache is emptied before every search, so each one pays
for its embedding. Because the three runs of a query are back to back, a
busy machine slows all three alike: compare within one run, and read the
load average printed with the results. Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np

import harness
from ltrr import fanout
from ltrr.catalog.store import Catalog
from ltrr.embedding import Encoder

STAGES = ("total", "arms", "arm:semantic", "rank", "log")
WARMUP = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    catalog = Catalog.open(args.catalog)
    stream = harness.simulated_stream(catalog, args.queries + WARMUP, args.seed)
    with harness.temporary_state("ltrr-ab-") as state:
        engine = harness.open_engine(catalog, state, policy="all", seed=args.seed, arms=None)
        semantic = engine._arms["semantic"]
        onnx = semantic._encoder
        torch_encoder = Encoder(backend="torch")
        configs = {"torch+sequential": (torch_encoder, math.inf), "onnx+sequential": (onnx, math.inf),
                   "onnx+concurrent": (onnx, fanout.INLINE_BELOW_MS)}
        names = list(configs)
        times: dict[str, dict[str, list[float]]] = {n: {s: [] for s in STAGES} for n in names}
        load_before = os.getloadavg()
        start = time.perf_counter()
        try:
            for i, it in enumerate(stream):
                for name in names[i % 3:] + names[:i % 3]:           # rotate who goes first
                    encoder, inline_ms = configs[name]
                    semantic._encoder = encoder
                    fanout.INLINE_BELOW_MS = inline_ms
                    with encoder._cache_lock:
                        encoder._cache.clear()
                    response = engine.search(it.query, it.context)
                    if i >= WARMUP:
                        for stage in STAGES:
                            if stage in response.timings:
                                times[name][stage].append(response.timings[stage])
        finally:
            engine.close()
            catalog.close()
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    print(f"{args.catalog.name}: {args.queries} queries x 3 configurations, policy all (8 arms), "
          f"{wall:.0f} s; load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
          f"({os.cpu_count()} CPUs)")
    print(f"{'configuration':<18} " + " ".join(f"{s + ' p50/p95':>22}" for s in STAGES))
    for name in names:
        cells = []
        for stage in STAGES:
            values = times[name][stage]
            cells.append(f"{np.percentile(values, 50):>10.2f}/{np.percentile(values, 95):<11.2f}"
                         if values else f"{'-':>22}")
        print(f"{name:<18} " + " ".join(cells))
    base = np.asarray(times["torch+sequential"]["total"])
    for name in names[1:]:
        ratio = np.asarray(times[name]["total"]) / base
        print(f"{name} / torch+sequential, per query total: median ratio {np.median(ratio):.2f}")
    ratio = np.asarray(times["onnx+concurrent"]["total"]) / np.asarray(times["onnx+sequential"]["total"])
    print(f"onnx+concurrent / onnx+sequential, per query total: median ratio {np.median(ratio):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
