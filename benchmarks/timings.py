"""Timings that used to be wall-clock assertions in tests: measured here and printed, never asserted.

A test asserts behaviour; how fast it runs depends on the machine and its load (a busy CI
machine failed them), so the numbers live here:

* ``fanout``: four calls that each sleep 0.2 s through :func:`ltrr.fanout.fan_out`; wall time
  against the 0.8 s they would take in turn (was ``tests/test_fanout.py``: < 0.6 s);
* ``fuzzyindex``: :class:`ltrr.fuzzyindex.FuzzyIndex` against brute-force rapidfuzz on 20,000
  made-up names, 50 queries (was ``tests/test_fuzzyindex.py``: indexed < brute / 3);
* ``selector``: one LinUCB ``ArmSelector.select`` after 30 updates (was
  ``tests/bandit/test_selector.py``: < 2 ms a call).

The fuzzy arm's milliseconds per query on a real catalog (was ``tests/strategies/test_fuzzy.py``:
< 25 ms) are ``python benchmarks/arms_latency.py --catalog PATH --arms fuzzy``.

    python benchmarks/timings.py --repeats 5
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np

import harness  # noqa: F401  (puts ltrr on sys.path)

PARTS = ("fanout", "fuzzyindex", "selector")


def repeat(run: Callable[[], float], repeats: int) -> np.ndarray:
    """``run()``'s returned seconds over ``repeats`` runs."""
    return np.array([run() for _ in range(repeats)])


def spread(seconds: np.ndarray, scale: float = 1000.0, unit: str = "ms") -> str:
    """Median and range of a timing, in ``unit``."""
    s = seconds * scale
    return f"median {np.median(s):.2f} {unit} (min {s.min():.2f}, max {s.max():.2f}, {len(s)} runs)"


def fanout(repeats: int) -> None:
    from ltrr.fanout import fan_out

    def run() -> float:
        start = time.perf_counter()
        fan_out({f"s{i}": (lambda: time.sleep(0.2)) for i in range(4)}, inline_below_ms=0)
        return time.perf_counter() - start

    print(f"fanout: 4 calls of 0.2 s (0.8 s in turn): wall {spread(repeat(run, repeats), 1, 's')}")


def fuzzyindex(repeats: int) -> None:
    from rapidfuzz import fuzz, process

    from ltrr.fuzzyindex import FuzzyIndex, _folded

    rng = np.random.default_rng(3)
    syllables = ["ka", "lo", "mi", "ra", "ten", "su", "bel", "dor", "ix", "an", "ve", "qu"]
    names = [" ".join("".join(rng.choice(syllables, size=rng.integers(1, 4))) for _ in range(rng.integers(1, 4)))
             for _ in range(20_000)]
    index = FuzzyIndex(names)
    folded = [_folded(n) for n in names]
    queries = names[::400]

    def indexed() -> float:
        start = time.perf_counter()
        for q in queries:
            index.search(q)
        return time.perf_counter() - start

    def brute() -> float:
        start = time.perf_counter()
        for q in queries:
            process.extract(_folded(q), folded, scorer=fuzz.WRatio, limit=10)
        return time.perf_counter() - start

    a, b = repeat(indexed, repeats), repeat(brute, repeats)
    print(f"fuzzyindex: {len(queries)} queries over {len(names):,} names: indexed {spread(a)}; brute force "
          f"{spread(b)}; brute / indexed {np.median(b) / np.median(a):.1f}x")


def selector(repeats: int) -> None:
    from ltrr.bandit.context import CONTEXT_FEATURES
    from ltrr.bandit.policy import PolicySpec
    from ltrr.bandit.selector import ArmSelector

    arms = harness.FAST_ARMS
    rng = np.random.default_rng(0)
    sel = ArmSelector(PolicySpec.parse("linucb"), arms, seed=0)

    def context() -> np.ndarray:
        x = (rng.random(len(CONTEXT_FEATURES)) < 0.3) * rng.random(len(CONTEXT_FEATURES))
        x[0] = 1.0   # the bias term, on in every real context vector
        return x

    for _ in range(30):
        x = context()
        sel.update(x, {a: float(a == "lexical") for a in sel.select(x).selected_arms})
    x = context()
    sel.select(x)

    def run() -> float:
        start = time.perf_counter()
        for _ in range(200):
            sel.select(x)
        return (time.perf_counter() - start) / 200

    print(f"selector: LinUCB select over {len(arms)} arms: {spread(repeat(run, repeats))} a call")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each timing (default 5)")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="the timings to run")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    for part in args.only:
        globals()[part](args.repeats)


if __name__ == "__main__":
    main()
