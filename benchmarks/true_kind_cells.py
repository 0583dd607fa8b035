"""The coverage learner given the simulator's true kind of every ask as its cells: a bound, not a product.

The learner keeps what clicks taught it in context cells (query -> memory probe's split -> kind
-> shape -> everything; :func:`ltrr.bandit.coverage.cells.cell_keys`). Are those hand-made cells
what holds it back? Here its cells are replaced, for this process only, by the query -> the
simulated search's query type (which the product never sees) -> everything, and dev streams are
recorded as ``dev_streams.py record`` records them, so that its ``pair`` and ``frontier`` read
them beside every other run:

    python benchmarks/true_kind_cells.py --out reports/dev truekinds --catalog data/spotify.duckdb --seeds 21-26
    python benchmarks/true_kind_cells.py --out reports/dev truekinds-told --policy coverage:judged=1 --catalog data/spotify.duckdb --seeds 21-26
    python benchmarks/dev_streams.py --out reports/dev frontier tuned-trained main-trained truekinds

The trained ranker runs, as the product ships it. The replacement is a patch of two functions,
applied when this module is imported, so every worker process (forked) runs with it.
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from dev_streams import WORLDS, record_stream, seed_list, stream_path

import ltrr.simulate.runner as runner
from ltrr.bandit.coverage.cells import is_query_key
from ltrr.bandit.coverage.learner import CoverageLearner

# The query type of the search under way: set before each simulated search, read by the cells.
_CURRENT: dict[str, str | None] = {"type": None}
_search = runner._one_search
_keys = CoverageLearner.cell_keys


def _one_search_telling_its_kind(engine, policy, it, *args, **kwargs):
    # A search's feedback (clicks, a retry, a reworded ask) all come within its step, so the
    # cells that learn from it are read under the same type.
    _CURRENT["type"] = it.query_type
    return _search(engine, policy, it, *args, **kwargs)


def _true_kind_keys(self: CoverageLearner, x, query: str | None = None) -> list[tuple]:
    keys = _keys(self, x, query)
    if not self.contextual:
        return keys
    return [k for k in keys if is_query_key(k)] + [("true kind", _CURRENT["type"]), ()]


runner._one_search = _one_search_telling_its_kind
CoverageLearner.cell_keys = _true_kind_keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="what to call this run (a folder under --out)")
    parser.add_argument("--out", type=Path, default=Path("reports/dev"))
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--policy", default="coverage", help="a coverage policy spec (default coverage)")
    parser.add_argument("--worlds", nargs="+", choices=WORLDS, default=list(WORLDS))
    parser.add_argument("--seeds", type=seed_list, default=list(range(21, 27)), help="default 21-26")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.policy.startswith("coverage"):
        parser.error("only the coverage learner has cells")
    jobs = [(w, s) for w in args.worlds for s in args.seeds
            if not stream_path(args.out, args.name, w, s).exists()]
    print(f"{len(jobs)} streams to run for {args.name!r} ({args.policy} on the true kinds, trained ranker)", flush=True)
    # Forked, not spawned: the workers inherit the patch above.
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), mp_context=get_context("fork")) as pool:
        futures = [pool.submit(record_stream, args.catalog, {args.policy: args.policy}, w, s,
                               str(stream_path(args.out, args.name, w, s)), "trained") for w, s in jobs]
        for i, future in enumerate(futures, 1):
            world, seed, seconds = future.result()
            print(f"  [{i}/{len(jobs)}] {world} seed {seed}: {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
