"""Does team-draft interleaving pick the same winner as on-policy truth, and with how many searches?

Uses the searches collected by ``benchmarks/ranking_debias.py`` (``--cache``
file: the real engine's pools and features on the shared catalog, hidden
relevance from the simulator). Three rankers: the heuristic, and LightGBM
trained on the clicks of the train searches naively and with IPS (as in that
benchmark, seed 0). On held-out searches:

* **On-policy truth** of a ranker: its expected rate of searches with a
  satisfying click under the simulator's position-based model
  (``PositionBasedClicks``, eta 1, up to 10 clicks), computed exactly per
  search (1 - prod over shown ranks of (1 - exam(r) p_click(r))), averaged
  over all held-out searches: what an A/B test with unlimited traffic finds.
* **Interleaving**: ``--runs`` seeded runs; each samples ``--searches``
  held-out searches, team-draft interleaves the two rankers' top 10
  (``ltrr.interleave.team_draft``), simulates one user per search and tallies
  wins. A run agrees when its leader is the truth's winner.
* **Searches needed** for 95 % confidence and 80 % power: interleaving's per-search
  outcome (+1 / 0 / -1) has mean ``mu`` and variance ``s2``, needing
  ``(z_.975 + z_.8)^2 s2 / mu^2`` searches; an A/B test of the two success
  rates, ``2 (z_.975 + z_.8)^2 (p1 (1 - p1) + p2 (1 - p2)) / (p1 - p2)^2`` searches in all.

    python benchmarks/ranking_interleaving.py --cache reports/debias.npz --runs 50 --searches 300
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import harness
from harness import K, load_logged, split_by_query
from ltrr.rank.heuristic import heuristic_scores
from ltrr.rank.position import prior_bias
from ltrr.rank.ranker import Ranker
from ltrr.simulate.clicks import PositionBasedClicks


def train_models(logged, train: np.ndarray, seed: int = 0) -> dict:
    """Naive and IPS LambdaMART from one simulated click log of the train searches (eta 1, 3 users each)."""
    rng = np.random.default_rng([seed, 0x1E])
    clicks = PositionBasedClicks(eta=1.0, max_clicks=K)
    sessions = []
    for _ in range(3):
        for i in np.flatnonzero(train):
            item = logged[i]
            shown = list(item.order[:K])
            relevant = {item.ids[j] for j in np.flatnonzero(item.relevant)}
            ranks = frozenset(r for r, _ in clicks.clicks([item.ids[j] for j in shown], relevant, rng).clicks)
            if ranks:
                y = np.zeros(len(shown), np.float32)
                y[[r - 1 for r in ranks]] = 1
                sessions.append((item.X[shown], y, np.arange(1, len(shown) + 1)))
    models = {}
    with harness.temporary_state() as folder:
        for mode in ("none", "ips"):
            ranker = Ranker(folder, seed=seed, debias=mode)
            ranker.set_position_bias(prior_bias())
            booster = ranker._fit(sessions)                       # noqa: SLF001 - the engine's own fit
            models[mode] = lambda X, b=booster: b.predict(X, num_threads=1)
    models["heuristic"] = heuristic_scores
    return models


def top_ids(item, scorer) -> list[str]:
    scores = np.asarray(scorer(item.X), dtype=float)
    order = np.lexsort((np.arange(len(scores)), -scores))[:K]
    return [item.ids[j] for j in order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="searches saved by ranking_debias.py --cache")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--searches", type=int, default=300, help="searches per interleaving run")
    args = parser.parse_args()
    logged = load_logged(args.cache)
    rng = np.random.default_rng(0)
    test = split_by_query(logged, rng)
    models = train_models(logged, ~test)
    held = [logged[i] for i in np.flatnonzero(test)]
    lists = {name: [top_ids(item, scorer) for item in held] for name, scorer in models.items()}
    relevant = [{item.ids[j] for j in np.flatnonzero(item.relevant)} for item in held]
    # The held-out searches only: no model was trained on them.
    clicks = PositionBasedClicks(eta=1.0, max_clicks=K)
    harness.interleaving_versus_ab(lists, relevant, (("heuristic", "ips"), ("none", "ips"), ("heuristic", "none")),
                                   clicks, args.runs, args.searches, tag=0x17E)


if __name__ == "__main__":
    main()
