"""Soak benchmark: does opening a state cost more, and hold more memory, as its log grows?

    python benchmarks/soak.py                       # checkpoints at 1,000 and 10,000 searches
    python benchmarks/soak.py --to-100k             # ... and 100,000 (hours on a 2-core machine)
    python benchmarks/soak.py --checkpoints 500,2000 --work /tmp/soak

Builds a small synthetic catalog with ``python -m ltrr build --tracks 5000``,
then feeds one linucb state with searches (realistic queries: titles,
artists, "artist title", typos, free text; 100 users; every hour of the day),
each followed by a click on a shown result (position-biased) or a skip. At
each checkpoint the feeding engine is closed (whatever it persists on close
is written) and a fresh Python process opens the same state and reports:

* open time: ``Engine.open`` wall-clock seconds, arms already indexed;
* RSS after open, and the engine's share: RSS after open minus RSS after the
  imports and the catalog's indexes are warm (an engine with an empty state
  opened and closed first), so the figure is what the *log* costs;
* the log's size on disk.

The feeding process continues from the same state after each checkpoint.
Arms: the seven fast ones (no semantic: MiniLM would dominate both the
feeding time and the RSS). The ranker is not trained while feeding
(``ranker_training="off"``): training does not change what opening replays.
Numbers depend on the machine: run it on a quiet one and say which.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import harness


FAST_ARMS = list(harness.FAST_ARMS)
FREE_TEXT = ["songs for a rainy day", "upbeat music for the gym", "chill beats to study to", "sad breakup songs",
             "90s hip hop classics", "latin party reggaeton", "relaxing acoustic evening", "summer road trip hits",
             "new releases", "popular right now", "80s rock", "jazz for dinner"]


def typo(text: str, rng: np.random.Generator) -> str:
    """One random edit (drop, swap or double a letter)."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = int(rng.choice(letters[1:-1]))
    kind = rng.integers(3)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i] + text[i:]


def make_queries(catalog: Path, n: int, seed: int) -> list[str]:
    """``n`` queries drawn from the catalog's titles and artists, with typos and free text."""
    from ltrr.catalog.store import Catalog

    rng = np.random.default_rng(seed)
    cat = Catalog.open(catalog)
    try:
        frame = cat.entities.frame
        titles = frame["title"].astype(str).tolist()
        artists = frame.loc[frame["entity_type"] == "artist", "title"].astype(str).tolist() or titles
    finally:
        cat.close()
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            q = titles[rng.integers(len(titles))]
        elif r < 0.55:
            q = artists[rng.integers(len(artists))]
        elif r < 0.70:
            q = f"{artists[rng.integers(len(artists))]} {titles[rng.integers(len(titles))]}"
        elif r < 0.85:
            q = typo(titles[rng.integers(len(titles))], rng)
        else:
            q = FREE_TEXT[rng.integers(len(FREE_TEXT))]
        out.append(q[:120])
    return out


def feed(catalog: Path, state: Path, start: int, stop: int, seed: int) -> float:
    """Searches ``start`` .. ``stop`` with a click or skip each; returns seconds spent."""
    from ltrr import Engine

    rng = np.random.default_rng(seed + start)
    queries = make_queries(catalog, stop - start, seed + start)
    began = time.perf_counter()
    engine = Engine.open(catalog=catalog, state=state, policy="linucb", seed=seed, arms=FAST_ARMS,
                         ranker_training="off", background=False)
    try:
        for i, query in enumerate(queries, start=start):
            context = {"user_id": f"u{rng.integers(100)}", "hour": int(rng.integers(24))}
            resp = engine.search(query, context=context)
            harness.click_or_skip(engine, resp, rng)
            if (i + 1) % 1000 == 0:
                print(f"    fed {i + 1:,} searches ({time.perf_counter() - began:.0f} s)", file=sys.stderr,
                      flush=True)
    finally:
        engine.close()
    return time.perf_counter() - began


def measure_open(catalog: Path, state: Path) -> dict:
    """Run in a fresh process: warm up on an empty state, then time opening ``state``."""
    from ltrr import Engine

    warm_state = Path(tempfile.mkdtemp(prefix="soak-warm-"))
    try:
        Engine.open(catalog=catalog, state=warm_state, policy="linucb", arms=FAST_ARMS, ranker_training="off",
                    background=False).close()
    finally:
        shutil.rmtree(warm_state, ignore_errors=True)
    base = harness.rss_mb()
    began = time.perf_counter()
    engine = Engine.open(catalog=catalog, state=state, policy="linucb", arms=FAST_ARMS, ranker_training="off",
                         background=False)
    open_s = time.perf_counter() - began
    after = harness.rss_mb()
    try:
        searches = engine.status()["searches"]      # no search here: it would be logged into the state
    finally:
        engine.close()
    return {"searches": searches, "open_s": open_s, "rss_mb": after, "engine_mb": after - base}


def open_in_fresh_process(catalog: Path, state: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure-open", str(catalog), str(state)],
                         capture_output=True, text=True, check=False, cwd=harness.ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"measuring open failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", default="1000,10000", help="searches at which to measure (default 1000,10000)")
    parser.add_argument("--to-100k", action="store_true", help="add a checkpoint at 100,000 searches")
    parser.add_argument("--tracks", type=int, default=5000, help="synthetic catalog size (default 5000)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the catalog and state (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure-open", nargs=2, metavar=("CATALOG", "STATE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure_open:
        print(json.dumps(measure_open(Path(args.measure_open[0]), Path(args.measure_open[1]))))
        return

    checkpoints = sorted({int(c.replace("_", "")) for c in args.checkpoints.split(",") if c.strip()}
                         | ({100_000} if args.to_100k else set()))
    if not checkpoints or checkpoints[0] < 1:
        parser.error("--checkpoints must be positive whole numbers")
    work = args.work or Path(tempfile.mkdtemp(prefix="ltrr-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    catalog, state = work / "catalog.duckdb", work / "state"
    if not catalog.is_file():
        subprocess.run([sys.executable, "-m", "ltrr", "-q", "build", "--tracks", str(args.tracks),
                        "--seed", str(args.seed), "--catalog", str(catalog)], check=True, cwd=harness.ROOT)
    shutil.rmtree(state, ignore_errors=True)

    print(f"soak: {args.tracks:,}-track synthetic catalog, linucb, arms {','.join(FAST_ARMS)}, work dir {work}")
    print(f"{'searches':>9} | {'log MB':>7} | {'open s':>7} | {'RSS MB':>7} | {'engine MB':>9} | {'feed s':>7}")
    done = 0
    for target in checkpoints:
        fed_s = feed(catalog, state, done, target, args.seed)
        done = target
        log_mb = (state / "log" / "events.jsonl").stat().st_size / 1e6
        m = open_in_fresh_process(catalog, state)
        print(f"{m['searches']:>9,} | {log_mb:>7.1f} | {m['open_s']:>7.2f} | {m['rss_mb']:>7.0f} | "
              f"{m['engine_mb']:>9.1f} | {fed_s:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
