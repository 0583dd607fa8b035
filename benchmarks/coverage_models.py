"""Which per-query model of coverage? Model families replayed over tuning streams, side by side.

Every family is the coverage learner (its estimates, greedy plan and exploration with exact
propensities) over a different representation of the query, replayed in order over rank
tables of tuning streams (:func:`ltrr.simulate.replay.replay`: every arm's rank of what each
search wanted is known; a retrieved target is clicked with chance ``--click-share``, the
rest are skips). Scored on each stream's last ``--window`` searches against the static
frontier chosen on the searches before them (:func:`ltrr.simulate.tuning.held_out_frontier`),
read at the family's own candidates: points of the share retrieved, paired per stream.

Families:

* ``cells``: kinds of query only (shape, script, typo-likeness, what query understanding found):
  the learner of earlier rounds (``coverage:qprior=0,probe=0``).
* ``query``: plus a cell per recent query text (``qprior=1``).
* ``probe``: each kind split by what the memory holds for the query (``probe=5``, the memory probe).
* ``default``: both (the default learner).
* ``words``: a prototype, kinds split by the query's last word (learned from clicks like any cell).
* ``neighbours``: a prototype, the 30 most similar recent searches by MiniLM query vector
  (cosine >= 0.6, weighted by similarity) as the finest cell.
* ``types``: an upper bound on representation, not a learner one could ship: the simulator's
  own query type as the only cell below the root.

After the families, the per-type oracle (the best fixed configuration per query type, chosen on
the searches before the window at a common price per candidate) shows how much a perfect
split of the traffic could buy at equal candidates.

    python benchmarks/coverage_models.py --tables t1.pkl t2.pkl --click-share 0.7
    python benchmarks/coverage_models.py --catalog data/spotify.duckdb --streams 10000 11 --world second

Tables are collected (a few minutes each) when ``--catalog`` is given, and kept with ``--keep DIR``.
"""
from __future__ import annotations

import argparse
import pickle
from collections import deque
from pathlib import Path

import numpy as np

import harness
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.cells import LADDER, Level, list_lengths, rank_codes
from ltrr.bandit.policy import PolicySpec
from ltrr.simulate.replay import replay
from ltrr.bandit.fixed import best_at_cost
from ltrr.simulate.tuning import RankTable, held_out_frontier

CAPS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30)
PRICES = (0.001, 0.002, 0.003, 0.004, 0.006, 0.008, 0.012)


def spec_learner(spec: str):
    params = dict(PolicySpec.parse(spec).params)
    return lambda arms, seed: CoverageLearner.from_params(arms, params, seed)


class WordCells(CoverageLearner):
    """Kinds split by the query's last word, shrunk towards the kind with ``word_prior`` searches."""

    word_prior = 5.0

    def cell_keys(self, x, query=None):
        keys = super().cell_keys(x, query)
        kind = next((k for k in keys if k and k[0] == "k"), None)
        if kind is None or not query:
            return keys
        i = keys.index(kind)
        return keys[:i] + [("w", query.split()[-1]) + kind[1:]] + keys[i:]

    def _prior_of(self, key):
        return self.word_prior if key and key[0] == "w" else super()._prior_of(key)


class Neighbours(CoverageLearner):
    """The finest cell is the query's nearest recent searches by MiniLM vector (a kernel-weighted
    Horvitz-Thompson level), then the kind cells."""

    vectors: dict[str, np.ndarray] = {}
    k, floor, sharpness, size, nprior = 30, 0.6, 10.0, 2000, 5.0

    def reset(self):
        super().reset()
        self._recent: deque = deque()
        self._clock = 0

    def _levels(self, x, query=None):
        levels = super()._levels(x, query)
        v = self.vectors.get(query) if query else None
        if v is None or not self._recent:
            return levels
        sims = np.stack([e[0] for e in self._recent]) @ v
        near = np.argsort(-sims)[: self.k]
        near = near[sims[near] >= self.floor]
        if not near.size:
            return levels
        weight = np.exp(self.sharpness * (sims[near] - 1.0)) * self.decay ** np.array(
            [self._clock - self._recent[i][1] for i in near])
        rows = [(w, self._recent[i]) for w, i in zip(weight, near) if self._recent[i][2] is not None]
        n_arms = len(self.arms)
        reach = sum(w * self._recent[i][5] for w, i in zip(weight, near))
        if not rows:
            lv = Level(float(weight.sum()), np.zeros((0, n_arms), np.int16), np.zeros((0, n_arms)), np.zeros(0),
                       np.zeros((0, n_arms, len(LADDER)), bool), 0.0, None, 0, reach, self.nprior)
        else:
            ranks = np.stack([e[2] for _, e in rows])
            lv = Level(float(weight.sum()), ranks, np.stack([e[4] for _, e in rows]),
                       np.array([w * e[3] for w, e in rows]), ranks[:, :, None] <= LADDER[None, None, :],
                       0.0, None, 0, reach, self.nprior)
        return [lv] + levels

    def observe(self, x, greedy, available, ranks, counts=None, p_wide=None, deepen=None, deepen_top=None,
                explored="", query=None, judged=False, judged_share=0.0):
        super().observe(x, greedy, available, ranks, counts, p_wide, deepen, deepen_top, explored, query,
                        judged, judged_share)
        v = self.vectors.get(query) if query else None
        if v is None:
            return
        g = np.array([int(greedy.get(a, 0)) for a in self.arms], dtype=np.int64)
        mask = np.array([a in set(available) for a in self.arms], dtype=bool)
        rule = self.exploration.rule(g, mask, p_wide, deepen, deepen_top)
        self._clock += 1
        r, inv = None, 0.0
        if ranks is not None:
            r = rank_codes(self.arms, ranks)
            w = self.exploration.cover(g, mask, r, rule)
            r, inv = (r, min(1.0 / w, self.weight_cap)) if w > 0 else (None, 0.0)
        self._recent.append((v, self._clock, r, inv, list_lengths(self.arms, counts),
                             self.exploration.reach(g, mask, rule)))
        while len(self._recent) > self.size:
            self._recent.popleft()


class TypeCells(CoverageLearner):
    """The simulator's query type as the only cell below the root (an upper bound, see the module doc)."""

    types: dict[str, str] = {}

    def cell_keys(self, x, query=None):
        return [("t", self.types.get(query, "?")), ()]


def subclass_learner(cls, spec: str = "coverage:qprior=0,probe=0"):
    params = dict(PolicySpec.parse(spec).params)

    def make(arms, seed):
        learner = CoverageLearner.from_params(arms, params, seed)
        learner.__class__ = cls
        learner.reset()
        return learner
    return make


FAMILIES = {
    "cells": spec_learner("coverage:qprior=0,probe=0"),
    "query": spec_learner("coverage:qprior=1,probe=0"),
    "probe": spec_learner("coverage:qprior=0,probe=5"),
    "default": spec_learner("coverage"),
    "words": subclass_learner(WordCells),
    "neighbours": subclass_learner(Neighbours),
    "types": subclass_learner(TypeCells),
}


def per_type_frontier(table: RankTable, fit: np.ndarray, score: np.ndarray, xs, ys) -> list[tuple[float, float, float]]:
    """(price, candidates, retrieved minus the static frontier there) of the per-type oracle."""
    types = table.query_types
    out = []
    for price in PRICES:
        cost = hit = 0.0
        for t in set(types[score]):
            f, s = fit[types[fit] == t], score[types[score] == t]
            b = table.vector(best_at_cost(table, price, f)) if len(f) else table.vector({})
            cost += float(table.cost(b, s).sum())
            hit += float(table.covered(b, s).sum())
        cost, hit = cost / len(score), hit / len(score)
        out.append((price, cost, 100 * (hit - float(np.interp(cost, xs, ys)))))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=Path, nargs="*", default=[], help="pickled rank tables")
    parser.add_argument("--catalog", help="collect tables of these tuning streams on this catalog")
    parser.add_argument("--streams", type=int, nargs="*", default=[10_000, 11, 12])
    parser.add_argument("--world", default="default")
    parser.add_argument("--keep", type=Path, help="folder to keep collected tables in (and reuse)")
    parser.add_argument("--families", default="cells,query,probe,default,words,neighbours,types")
    parser.add_argument("--seeds", type=int, default=2, help="learner seeds per stream")
    parser.add_argument("--click-share", type=float, default=0.7)
    parser.add_argument("--window", type=int, default=500)
    args = parser.parse_args(argv)
    families = args.families.split(",")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        parser.error(f"unknown families {unknown}; known: {', '.join(FAMILIES)}")
    tables = {p.stem: pickle.loads(p.read_bytes()) for p in args.tables}
    if args.catalog:
        from ltrr.simulate.study import tuning_table
        from ltrr.simulate.study_settings import StudySettings
        for stream in args.streams:
            path = args.keep / f"{args.world}-{stream}.pkl" if args.keep else None
            if path is not None and path.exists():
                tables[path.stem] = pickle.loads(path.read_bytes())
                continue
            print(f"collecting the rank table of stream {stream} ({args.world} world)...", flush=True)
            settings = StudySettings(catalog=args.catalog, tune_seed=stream, world=args.world)
            with harness.temporary_state() as state:
                table = tuning_table(settings, Path(state))
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(pickle.dumps(table))
            tables[f"{args.world}-{stream}"] = table
    if not tables:
        parser.error("give --tables or --catalog")
    if "neighbours" in families:
        from ltrr.embedding import get_encoder
        texts = sorted({str(q) for t in tables.values() if t.queries is not None for q in t.queries})
        Neighbours.vectors = dict(zip(texts, np.asarray(get_encoder().encode_queries(texts), dtype=np.float32)))
    TypeCells.types = {str(q): str(t) for tab in tables.values() if tab.queries is not None
                       for q, t in zip(tab.queries, tab.query_types)}

    print(f"points retrieved over the held-out static frontier at the family's candidates; last {args.window} "
          f"searches; {args.seeds} learner seeds; retrieved targets clicked with chance {args.click_share}")
    print("family".ljust(12) + "".join(name[-14:].rjust(16) for name in tables) + "      mean   (95% CI over streams)")
    for family in families:
        row, per_stream = [], []
        for table in tables.values():
            idx = np.arange(len(table))
            fit, score = idx[: -args.window], idx[-args.window:]
            xs, ys = held_out_frontier(table, CAPS, fit, score)
            gaps, costs = [], []
            for seed in range(args.seeds):
                covered, cost = replay(table, 0.0, seed=seed, click_share=args.click_share,
                                       make_learner=FAMILIES[family])
                spent = float(cost[score].mean())
                gaps.append(100 * (float(covered[score].mean()) - float(np.interp(spent, xs, ys))))
                costs.append(spent)
            per_stream.append(float(np.mean(gaps)))
            row.append(f"{np.mean(gaps):+5.1f} @ {np.mean(costs):4.1f}")
        mean, lo, hi = harness.t_interval(per_stream)
        print(family.ljust(12) + "".join(r.rjust(16) for r in row)
              + (f"   {mean:+5.2f}   ({lo:+.1f} to {hi:+.1f})" if len(per_stream) > 1 else f"   {mean:+5.2f}"),
              flush=True)
    print("\nper-type oracle (a fixed configuration per query type, chosen before the window): "
          "price -> candidates, points over the frontier")
    for name, table in tables.items():
        idx = np.arange(len(table))
        fit, score = idx[: -args.window], idx[-args.window:]
        xs, ys = held_out_frontier(table, CAPS, fit, score)
        points = per_type_frontier(table, fit, score, xs, ys)
        print(f"  {name}: " + ", ".join(f"{c:.1f} cand {g:+.1f}" for _, c, g in points))


if __name__ == "__main__":
    main()
