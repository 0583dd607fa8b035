"""Does the engine hold more memory, and open slower, as its log grows?

    python benchmarks/engine_memory.py                          # 1,000, 20,000 and 100,000 searches
    python benchmarks/engine_memory.py --sizes 1000,20000 --trace   # ... and what grew, by source line
    python benchmarks/engine_memory.py --work /tmp/em --reuse   # measure states written before again
    python benchmarks/engine_memory.py --fed 20000              # 100,000 by repeating the 20,000 log

Builds a synthetic catalog (``python -m ltrr build --tracks 3000``), then one engine (coverage
policy, four fast arms, ranker training off) logs searches through the Engine API: a fixed set of
``--queries`` catalog titles and artists, ``--users`` users, each search answered by a click on a
shown result (position-biased) or a skip. At each size the engine is closed and its state folder
copied aside; the same engine state goes on to the next size. Then, for each size, a fresh Python
process opens an engine on that copy and prints:

* open: ``Engine.open`` wall-clock seconds;
* RSS after open, and the engine's share: RSS after open minus RSS before it (imports done, the
  catalog and its arm indexes warmed by opening and closing an engine on an empty state first),
  so the share is what the logged searches cost;
With ``--fed N``, sizes above N are not searched live (about 30-50 ms a search on a loaded 2-core
machine: 100,000 take over an hour) but written by repeating the log at N with new search ids,
as many times as needed, without its checkpoint; a first open replays it all and writes the
checkpoint, then the fresh process measures. The ranker's examples stay those of N (the ranker keeps
at most its ``max_sessions`` latest anyway).

* traced: Python allocations the open left alive (tracemalloc; only with ``--trace``, which also
  prints the source lines whose live allocations grew most between the two smallest sizes).
  tracemalloc's own bookkeeping inflates RSS: read RSS and engine MB from a run without ``--trace``
  (at 20,000 searches: 79 MB engine share without it, 176 MB with it).

What the log exercises: at most ``--queries`` distinct queries (catalog titles drawn with
replacement, so also at most the catalog's titles) and ``--users`` users, and sizes written by
``--fed`` repeat them. So the state bounded by queries (the query memory, ``Engine.memory_queries``,
20,000; the coverage learner's query counts; reformulation evidence) never reaches its bound here:
at 20,000 distinct queries the query memory alone holds ~30 MB (then flat), which this benchmark
does not show. Per-user state (``UserHistory``) grows with distinct users, not searches.

Numbers only, no assertions: run it on a quiet machine and say which.
"""
from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import harness

ARMS = ("lexical", "fuzzy", "popular", "memory")
POLICY = "coverage"


def query_set(catalog: Path, n: int, seed: int) -> list[str]:
    """``n`` distinct-ish queries: catalog titles and artist names, drawn once with ``seed``."""
    from ltrr.catalog.store import Catalog

    rng = np.random.default_rng(seed)
    cat = Catalog.open(catalog)
    try:
        titles = cat.entities.frame["title"].astype(str).tolist()
    finally:
        cat.close()
    return [titles[i][:120] for i in rng.integers(len(titles), size=n)]


def feed(catalog: Path, state: Path, start: int, stop: int, queries: list[str], users: int, seed: int) -> float:
    """Log searches ``start`` .. ``stop`` on ``state``, each clicked (80%) or skipped; seconds spent."""
    rng = np.random.default_rng([seed, start])
    began = time.perf_counter()
    engine = harness.open_engine(catalog, state, policy=POLICY, seed=seed, arms=ARMS)
    try:
        for i in range(start, stop):
            context = {"user_id": f"u{rng.integers(users)}", "hour": int(rng.integers(24))}
            response = engine.search(queries[int(rng.integers(len(queries)))], context=context)
            harness.click_or_skip(engine, response, rng)
            if (i + 1) % 5000 == 0:
                print(f"    logged {i + 1:,} searches ({time.perf_counter() - began:.0f} s)", file=sys.stderr,
                      flush=True)
    finally:
        engine.close()
    return time.perf_counter() - began


def tile(source: Path, target: Path, n: int) -> None:
    """A state of ``n`` searches: ``source``'s log repeated with fresh search ids, no checkpoint."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("checkpoint"))
    lines = (source / "log" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    written, copy = 0, 0
    with open(target / "log" / "events.jsonl", "w", encoding="utf-8") as out:
        while written < n:
            for line in lines:
                event = json.loads(line)
                if event["kind"] == "search":
                    if written == n:
                        break
                    written += 1
                    event["id"] = f"{event['id']}-{copy}"
                else:
                    event["search_id"] = f"{event['search_id']}-{copy}"
                out.write(json.dumps(event, separators=(",", ":")) + "\n")
            copy += 1


def measure_open(catalog: Path, state: Path, trace: Path | None) -> dict:
    """In a fresh process: warm up on an empty state, then open ``state`` and measure."""
    import tracemalloc

    with harness.temporary_state("ltrr-em-warm-") as warm:
        harness.open_engine(catalog, warm, policy=POLICY, arms=ARMS).close()
    if trace is not None:
        tracemalloc.start(8)
    base = harness.rss_mb()
    began = time.perf_counter()
    engine = harness.open_engine(catalog, state, policy=POLICY, arms=ARMS)
    open_s = time.perf_counter() - began
    after = harness.rss_mb()
    out = {"searches": engine.status()["searches"], "open_s": open_s, "rss_mb": after, "engine_mb": after - base}
    if trace is not None:
        snapshot = tracemalloc.take_snapshot()
        out["traced_mb"] = tracemalloc.get_traced_memory()[0] / 1e6
        tracemalloc.stop()
        with open(trace, "wb") as fh:       # our own file, read back only by this script
            pickle.dump(snapshot, fh)
    engine.close()      # no search here: it would be logged into the state
    return out


def in_fresh_process(catalog: Path, state: Path, trace: Path | None) -> dict:
    """:func:`measure_open` in a new interpreter (nothing warm from feeding)."""
    command = [sys.executable, __file__, "--measure", str(catalog), str(state)]
    if trace is not None:
        command += ["--trace-file", str(trace)]
    out = subprocess.run(command, capture_output=True, text=True, check=False, cwd=harness.ROOT)
    if out.returncode != 0:
        raise SystemExit(f"measuring open failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_growth(small: Path, large: Path, top: int) -> None:
    """The source lines whose live allocations grew most from snapshot ``small`` to ``large``."""
    import tracemalloc  # noqa: F401  (unpickling needs the module)

    with open(small, "rb") as fh:
        a = pickle.load(fh)
    with open(large, "rb") as fh:
        b = pickle.load(fh)
    stats = b.compare_to(a, "lineno")
    print(f"\nlargest growth by line ({small.stem} -> {large.stem}):")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 1e6:+8.2f} MB {stat.count_diff:+9,} blocks  {frame.filename}:{frame.lineno}")
    stats = b.compare_to(a, "traceback")
    print("\nlargest growth by allocation path (outermost call first):")
    for stat in stats[: max(3, top // 3)]:
        print(f"  {stat.size_diff / 1e6:+8.2f} MB {stat.count_diff:+9,} blocks")
        for frame in list(stat.traceback)[:6]:
            print(f"        {frame.filename}:{frame.lineno}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="logged searches to measure at")
    parser.add_argument("--tracks", type=int, default=3000, help="synthetic catalog size (default 3000)")
    parser.add_argument("--queries", type=int, default=500, help="distinct queries searched (default 500)")
    parser.add_argument("--users", type=int, default=100, help="distinct users (default 100)")
    parser.add_argument("--work", type=Path, default=None, help="folder for catalog and states (default: temporary)")
    parser.add_argument("--reuse", action="store_true", help="measure the states already in --work")
    parser.add_argument("--fed", type=int, default=None,
                        help="search live up to this size; larger sizes repeat its log (default: all live)")
    parser.add_argument("--trace", action="store_true", help="tracemalloc: what grew between the sizes")
    parser.add_argument("--top", type=int, default=15, help="lines shown with --trace (default 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", nargs=2, metavar=("CATALOG", "STATE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace-file", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(measure_open(Path(args.measure[0]), Path(args.measure[1]), args.trace_file)))
        return
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes must be whole numbers separated by commas")
    if not sizes or sizes[0] < 1 or args.queries < 1 or args.users < 1:
        parser.error("--sizes, --queries and --users must be positive")

    with tempfile.TemporaryDirectory(prefix="ltrr-em-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        catalog = work / "catalog.duckdb"
        if not catalog.is_file():
            subprocess.run([sys.executable, "-m", "ltrr", "-q", "build", "--tracks", str(args.tracks),
                            "--seed", str(args.seed), "--catalog", str(catalog)], check=True, cwd=harness.ROOT)
        states = {n: work / f"state-{n}" for n in sizes}
        if not args.reuse or not all(p.is_dir() for p in states.values()):
            queries = query_set(catalog, args.queries, args.seed)
            live = work / "state-live"
            shutil.rmtree(live, ignore_errors=True)
            done = 0
            fed_sizes = [n for n in sizes if args.fed is None or n <= args.fed]
            if args.fed is not None and args.fed not in fed_sizes:
                parser.error("--fed must be one of --sizes")
            for n in fed_sizes:
                fed = feed(catalog, live, done, n, queries, args.users, args.seed)
                done = n
                shutil.rmtree(states[n], ignore_errors=True)
                shutil.copytree(live, states[n])
                print(f"    logged up to {n:,} searches in {fed:.0f} s", file=sys.stderr, flush=True)
            shutil.rmtree(live, ignore_errors=True)
            for n in sizes[len(fed_sizes):]:
                tile(states[args.fed], states[n], n)
                in_fresh_process(catalog, states[n], None)      # replays it all, writes the checkpoint
                print(f"    wrote {n:,} searches by repeating the log of {args.fed:,}", file=sys.stderr, flush=True)

        print(f"engine memory: {args.tracks:,}-track synthetic catalog, {POLICY}, arms {','.join(ARMS)}, "
              f"{args.queries} queries, {args.users} users; each open in a fresh process")
        print(f"{'searches':>9} | {'log MB':>7} | {'open s':>7} | {'RSS MB':>7} | {'engine MB':>9} | {'traced MB':>9}")
        traces = {}
        for n in sizes:
            traces[n] = work / f"trace-{n}.pickle" if args.trace else None
            m = in_fresh_process(catalog, states[n], traces[n])
            log_mb = sum(p.stat().st_size for p in (states[n] / "log").glob("*")) / 1e6
            traced = f"{m['traced_mb']:>9.1f}" if "traced_mb" in m else f"{'-':>9}"
            print(f"{m['searches']:>9,} | {log_mb:>7.1f} | {m['open_s']:>7.2f} | {m['rss_mb']:>7.0f} | "
                  f"{m['engine_mb']:>9.1f} | {traced}", flush=True)
        if args.trace and len(sizes) >= 2:
            print_growth(traces[sizes[0]], traces[sizes[1]], args.top)
            if len(sizes) >= 3:
                print_growth(traces[sizes[1]], traces[sizes[-1]], args.top)


if __name__ == "__main__":
    main()
