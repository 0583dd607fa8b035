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
  and after (other jobs on the machine inflate every number: report it).

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

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--foreground", action="store_true",
                        help="open as a foreground open does: return only the complete index")
    parser.add_argument("--fresh-export", action="store_true",
                        help="export (and quantise) the encoder into an empty cache first, as on a fresh machine")
    args = parser.parse_args(argv)
    if args.fresh_export:
        os.environ["LTRR_CACHE_DIR"] = tempfile.mkdtemp(prefix="ltrr-cache-")

    # Imported after LTRR_CACHE_DIR is set (the encoder reads it on first use).
    from ltrr.catalog.store import Catalog
    from ltrr.strategies.base import ArmResources
    from ltrr.strategies.semantic import PARTIAL_DIR, SemanticStrategy
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
    print(f"ready (serving) after {ready:.1f} s, load average {os.getloadavg()[0]:.2f}", flush=True)
    first = arm.retrieve(Query.make("rainy day sad songs"), 10)
    partial = arm.completeness() if hasattr(arm, "completeness") else None
    wait = getattr(arm, "wait_complete", None)
    if wait is not None:
        wait()
    complete = time.perf_counter() - start
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
    catalog.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
