"""The coverage learner given the simulator's true kind of every ask as its cells: a bound, not a product.

The learner keeps what clicks taught it in context cells (query -> memory probe's split -> kind
-> shape -> everything; :func:`ltrr.bandit.coverage.cells.cell_keys`). Are those hand-made cells
what holds it back? Here its cells are replaced, for this process only, by the query -> the
simulated search's query type (which the product never sees) -> everything. The command line is
``dev_streams.py``'s, so its ``pair`` and ``frontier`` read the records beside every other run:

    python benchmarks/true_kind_cells.py --out reports/dev record truecells --catalog data/spotify.duckdb --ranker trained --seeds 21-26
    python benchmarks/true_kind_cells.py --out reports/dev record truecells-told --policy coverage:judged=1 --catalog data/spotify.duckdb --ranker trained --seeds 21-26
    python benchmarks/dev_streams.py --out reports/dev frontier tuned-trained main-trained truecells

The replacement is a patch of two functions, applied when this module is imported. ``record``'s
worker processes are spawned, and a spawned worker runs the parent's main module first (as
``__mp_main__``), so every worker runs with it.
"""
from __future__ import annotations

import sys

import dev_streams

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


if __name__ == "__main__":
    sys.exit(dev_streams.main())
