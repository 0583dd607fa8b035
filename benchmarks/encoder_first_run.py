"""Time from a fresh semantic build's start to the arm serving, on a catalog, as on a first run.

    python -m ltrr build --tracks 50000 --seed 0 --catalog /tmp/sem/catalog.duckdb
    python benchmarks/encoder_first_run.py --catalog /tmp/sem/catalog.duckdb [--fresh-export]

Deletes the catalog's semantic index files (and, with ``--fresh-export``,
points ``$LTRR_CACHE_DIR`` at an empty folder, so the one-time ONNX export and
quantisation are timed too, as on a fresh machine), then opens the semantic arm
through :meth:`SemanticStrategy.open` exactly as the engine does and prints:

* ``ready``: seconds from the start of ``open`` (encoder load included) to the
  arm returning, i.e. serving queries;
* ``complete``: seconds until every entity is embedded and the final index is
  in place (the arm may finish in the background after serving);
* the time each progress message was first seen, and the load average before
  and after (other jobs on the machine inflate every number: report it);
* with ``--reference CATALOG`` (a copy of the same catalog whose semantic index
  is complete: what the arm gives once built), the quality of what the arm
  serves at three moments -- when it starts serving, when every entity has a
  (draft) vector, and when complete: recall@10 against the reference arm over
  ``--queries`` simulated queries, and how often a relevant entity is in the
  top 10 (reference alongside).

Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--foreground", action="store_true",
                        help="open as a foreground open does: return only the complete index")
    parser.add_argument("--reference", type=Path, help="a copy of the catalog with a complete semantic index")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--fresh-export", action="store_true",
                        help="export (and quantise) the encoder into an empty cache first, as on a fresh machine")
    args = parser.parse_args(argv)
    if args.fresh_export:
        os.environ["LTRR_CACHE_DIR"] = tempfile.mkdtemp(prefix="ltrr-cache-")

    # Imported after LTRR_CACHE_DIR is set (the encoder reads it on first use).
    from ltrr.catalog.store import Catalog
    from ltrr.strategies.base import ArmResources
    from ltrr.strategies.semantic import SemanticStrategy
    from ltrr.strategies.semantic_files import PARTIAL_DIR
    from ltrr.query import Query

    catalog = Catalog.open(args.catalog)
    index_dir = catalog.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    for path in index_dir.glob("semantic*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.rmtree(index_dir / PARTIAL_DIR, ignore_errors=True)

    seen: dict[str, float] = {}
    last: dict[str, tuple[int, int]] = {}
    start = time.perf_counter()

    def progress(done: int, total: int, message: str = "") -> None:
        seen.setdefault(message, time.perf_counter() - start)
        last[message] = (done, total)

    load_before = os.getloadavg()
    opened: list = []
    # The engine opens slow arms in threads named so; only there may the arm serve early.
    name = "main" if args.foreground else "ltrr-open-semantic"
    opener = threading.Thread(target=lambda: opened.append(
        SemanticStrategy.open(ArmResources(catalog=catalog, progress=progress))), name=name)
    opener.start()
    opener.join()
    ready = time.perf_counter() - start
    arm = opened[0]
    partial = arm.completeness() if hasattr(arm, "completeness") else None
    print(f"ready (serving) after {ready:.1f} s, load average {os.getloadavg()[0]:.2f}", flush=True)
    quality = []
    judge = _judge(args.reference, catalog, args.queries) if args.reference else None
    if judge is not None:
        quality.append(("serving", ready, arm.completeness(), judge(arm)))
        print(f"  {quality[-1]}", flush=True)
        while not arm.completeness()["complete"] and arm.completeness()["embedded"] < len(catalog.entities):
            time.sleep(0.5)
        if not arm.completeness()["complete"]:
            quality.append(("covered", time.perf_counter() - start, arm.completeness(), judge(arm)))
            print(f"  {quality[-1]}", flush=True)
    first = arm.retrieve(Query.make("rainy day sad songs"), 10)
    wait = getattr(arm, "wait_complete", None)
    if wait is not None:
        wait()
    complete = time.perf_counter() - start
    if judge is not None:
        quality.append(("complete", complete, arm.completeness(), judge(arm)))
    load_after = os.getloadavg()
    print(f"catalog {args.catalog}: {len(catalog.entities):,} entities; cores {os.cpu_count()}")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"ready (serving): {ready:.1f} s    complete: {complete:.1f} s    "
          f"first search returned {len(first)} candidates")
    if partial is not None:
        print(f"serving {partial['embedded']:,} of {partial['total']:,} entities when ready")
    for message, at in sorted(seen.items(), key=lambda kv: kv[1]):
        done, total = last[message]
        print(f"  {at:7.1f} s  {message}  (last {done:,}/{total:,})")
    for moment, at, state, (recall, hits, ref_hits) in quality:
        print(f"{moment:>9} at {at:7.1f} s: {state['embedded']:,} embedded ({state['final']:,} final, "
              f"draft {state['draft']}); recall@10 vs complete index {recall:.3f}; relevant in top 10 "
              f"{hits:.3f} (complete index {ref_hits:.3f})")
    catalog.close()
    return 0


def _judge(reference: Path, catalog, n_queries: int):
    """A function arm -> (recall@10 against the reference arm, relevant-hit rate, reference's rate)."""
    from ltrr.catalog.store import Catalog
    from ltrr.query import Query
    from ltrr.simulate.catalog_view import CatalogView
    from ltrr.simulate.stream import generate_stream
    from ltrr.strategies.base import ArmResources
    from ltrr.strategies.semantic import SemanticStrategy

    ref_catalog = Catalog.open(reference)
    if not SemanticStrategy.is_built(ref_catalog):
        raise SystemExit(f"no complete semantic index beside {reference}")
    ref = SemanticStrategy.open(ArmResources(ref_catalog))
    stream = generate_stream(CatalogView.from_catalog(catalog), n_queries, 0)
    queries = [Query.make(it.query) for it in stream]
    expected = [[c.entity_id for c in ref.retrieve(q, 10)] for q in queries]
    ref_hits = float(np.mean([any(it.is_relevant(e) for e in top) for it, top in zip(stream, expected)]))

    def judge(arm) -> tuple[float, float, float]:
        got = [[c.entity_id for c in arm.retrieve(q, 10)] for q in queries]
        recall = np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(got, expected) if b])
        hits = np.mean([any(it.is_relevant(e) for e in top) for it, top in zip(stream, got)])
        return float(recall), float(hits), ref_hits

    return judge


if __name__ == "__main__":
    raise SystemExit(main())
