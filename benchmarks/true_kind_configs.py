"""A fixed configuration per kind of ask, chosen on the tuning stream: a bound, and a routing table.

How much can choosing a configuration per kind of ask give at all? Here every search runs the
configuration chosen for the simulated search's query type (which the product never sees), with
nothing learned: per world and query type, the study's tuning stream (seed 10000) is run through
every arm (:func:`ltrr.simulate.study.tuning_table`), :func:`ltrr.bandit.fixed.best_fixed`
gives that type's best configuration at each cap, and the one with the most coverage less
``--lam`` per candidate is kept. That is what a learner with perfect cells, every answer and no
exploration could at best settle on; a learner from clicks pays for its cells and its evidence on
top. The command line is ``dev_streams.py``'s, with ``--lam`` and ``--policy`` left out, so that
``pair`` and ``frontier`` read the records beside every other run::

    python benchmarks/true_kind_configs.py --lam 0.004 --out reports/dev record kindconf-004 --catalog data/spotify.duckdb --ranker trained --seeds 21-23
    python benchmarks/dev_streams.py --out reports/dev frontier tuned-trained kindconf-004

With ``--by cells`` the searches are grouped instead by the coverage learner's own kind cell of
their context (falling back to its shape cell, then to every search): a routing table a team
could ship, since nothing it reads is hidden from the product::

    python benchmarks/true_kind_configs.py --lam 0.008 --by cells --out reports/dev record cellconf-008 --catalog data/spotify.duckdb --ranker trained --seeds 21-32

The per-kind configurations are written beside the records (``kind-configs-<world>.json``).
Candidates on the tuning table are counted as each arm's list (before the pool drops
duplicates), as :func:`best_fixed` counts them; the records count the pool, as every run does.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import dev_streams

import ltrr.simulate.runner as runner
from ltrr.bandit.coverage.cells import cell_keys
from ltrr.bandit.selection import Selection
from ltrr.bandit.selector import ArmSelector

MIN_SEARCHES = 20                            # a kind cell with fewer searches takes its shape's configuration
CAPS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 40)
MARKER = "static:lexical=1"                  # the policy spec whose selections are replaced
_ENV = "LTRR_KIND_CONFIGS"                   # folder of the per-type configurations (read by workers)
_CURRENT: dict[str, object] = {"type": None, "world": None, "configs": {}, "by": "type"}


def kind_configs(catalog: str, world: str, lam: float, by: str = "type") -> dict[str, dict[str, int]]:
    """Kind -> the configuration with the most coverage less ``lam`` per candidate among each
    cap's best, on ``world``'s tuning stream. ``by``: "type", the simulated query type; or
    "cells", the coverage learner's kind cell of the search's context, falling back to its shape
    cell where the kind has under :data:`MIN_SEARCHES` searches and to every search after that
    (keys: :func:`_cell_names`)."""
    from ltrr.simulate.study import tuning_table
    from ltrr.simulate.study_settings import StudySettings
    from ltrr.bandit.fixed import best_fixed

    settings = StudySettings(catalog=catalog, world=world)
    with tempfile.TemporaryDirectory(prefix="ltrr-kind-configs-") as state:
        table = tuning_table(settings, Path(state))
    if by == "type":
        groups = {str(t): np.flatnonzero(table.query_types == t) for t in sorted(set(table.query_types))}
    else:
        names = [_cell_names(x) for x in table.x]
        groups = {"": np.arange(len(table))}
        for depth in (0, 1):
            for key in sorted({n[depth] for n in names}):
                rows = np.array([i for i, n in enumerate(names) if n[depth] == key])
                if len(rows) >= MIN_SEARCHES:
                    groups[key] = rows
    out = {}
    for group, rows in groups.items():
        options = []
        for cap in CAPS:
            config = best_fixed(table, cap, rows)
            if config:
                b = table.vector(config)
                options.append((float(table.covered(b, rows).mean()) - lam * float(table.cost(b, rows).mean()), config))
        out[group] = max(options, key=lambda o: o[0])[1]
    return out


def _cell_names(x: np.ndarray) -> tuple[str, str]:
    """The coverage learner's kind and shape cells of context ``x``, as JSON keys."""
    kind, shape = cell_keys(np.asarray(x, dtype=np.float64), True)[:2]
    return "".join(map(str, kind)), "".join(map(str, shape))


def _one_search_telling_its_kind(engine, policy, it, *args, **kwargs):
    _CURRENT["type"] = it.query_type
    return _search(engine, policy, it, *args, **kwargs)


def _select_by_kind(self: ArmSelector, x, available=None, query=None) -> Selection:
    if str(self.spec) != MARKER:
        return _select(self, x, available, query)
    configs = _CURRENT["configs"][_CURRENT["world"]]
    if _CURRENT["by"] == "type":
        config = configs[_CURRENT["type"]]
    else:
        kind, shape = _cell_names(x)
        config = configs.get(kind, configs.get(shape, configs[""]))
    mask = np.array([available is None or a in available for a in self.arms], dtype=bool)
    budgets = np.array([int(config.get(a, 0)) for a in self.arms], dtype=np.int64) * mask
    chosen = budgets > 0
    return Selection.from_arrays(MARKER, self.arms, chosen, budgets, chosen.astype(np.float64),
                                 self._mean_rewards())


def _load_configs(world: str) -> None:
    _CURRENT["world"] = world
    _CURRENT["by"] = os.environ.get(_ENV + "_BY", "type")
    _CURRENT["configs"][world] = json.loads((Path(os.environ[_ENV]) / f"kind-configs-{world}.json").read_text())


_search = runner._one_search
_select = ArmSelector.select
runner._one_search = _one_search_telling_its_kind
ArmSelector.select = _select_by_kind
dev_streams.STREAM_SETUP.append(_load_configs)


def main(argv: list[str]) -> int:
    if "--lam" not in argv:
        raise SystemExit("--lam L is required (coverage less L per candidate chooses each type's configuration)")
    i = argv.index("--lam")
    lam = float(argv[i + 1])
    argv = argv[:i] + argv[i + 2:]
    by = "type"
    if "--by" in argv:
        i = argv.index("--by")
        by = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if by not in ("type", "cells"):
        raise SystemExit("--by is type (the simulated query type) or cells (the learner's kind cells)")
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("reports/dev")
    name = argv[argv.index("record") + 1]
    catalog = argv[argv.index("--catalog") + 1]
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    for world in dev_streams.WORLDS:
        path = folder / f"kind-configs-{world}.json"
        if not path.exists():
            print(f"choosing each query type's configuration on the {world} world's tuning stream", flush=True)
            path.write_text(json.dumps(kind_configs(catalog, world, lam, by), indent=1))
    os.environ[_ENV] = str(folder)
    os.environ[_ENV + "_BY"] = by
    return dev_streams.main(argv + ["--policy", MARKER])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
