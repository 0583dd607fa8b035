"""Query latency and passage throughput of the MiniLM encoder: torch against ONNX Runtime fp32 and int8.

    python benchmarks/encoder_speed.py --queries 300 --passages 2048

All three run the same installed weights in the same process, one after the
other (so the ratios are from one run on one machine state). Queries: one
text per call, one thread, the query cache bypassed; passages: batches of 64,
the encoder's default thread count. Also prints the cosine of each ONNX
variant's query vectors to torch's. Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import harness  # noqa: F401  (puts ltrr on sys.path)
from ltrr.embedding import Encoder

WORDS = ("love night rain summer dance sad happy road baby heart fire city dream blue girl "
         "party chill acoustic remix live version feat radio edit song").split()


def texts(n: int, seed: int) -> list[str]:
    """Short catalog-like strings of 2-9 words."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(2, 10)))) for _ in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--passages", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    queries, passages = texts(args.queries, args.seed), texts(args.passages, args.seed + 1)
    variants = {
        "torch fp32": Encoder(backend="torch"),
        "onnx fp32": Encoder(backend="onnx"),
        "onnx int8": Encoder(backend="onnx", passage_precision="int8"),
    }
    reference = None
    print(f"{'variant':<11} {'query p50 ms':>12} {'p95 ms':>7} {'passages/s':>10} {'cos min':>8} {'cos mean':>8}")
    for name, enc in variants.items():
        precision = enc.passage_precision
        enc._encode(queries[:5], 1, threads=1, precision=precision)     # warm-up (sessions, allocators)
        times, vectors = [], []
        for q in queries:
            start = time.perf_counter()
            vectors.append(enc._encode([q], 1, threads=1, precision=precision)[0])
            times.append((time.perf_counter() - start) * 1000)
        vectors = np.stack(vectors)
        start = time.perf_counter()
        enc.encode_passages(passages, batch_size=64)
        rate = len(passages) / (time.perf_counter() - start)
        if reference is None:
            reference = vectors
        cos = (vectors * reference).sum(axis=1)
        p50, p95 = np.percentile(times, [50, 95])
        print(f"{name:<11} {p50:>12.2f} {p95:>7.2f} {rate:>10.0f} {cos.min():>8.4f} {cos.mean():>8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
