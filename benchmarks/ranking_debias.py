"""Debiased vs naive LambdaMART from position-biased clicks, and the estimated position-bias exponent.

Semi-synthetic, the usual protocol of counterfactual learning to rank
(Joachims et al. 2017, section 6): the real engine (heuristic ranker, policy
``all``, every arm but the slow semantic one) answers a stream of simulated
users once; its pools and features are kept. Then, per seed:

1. each logged search is shown again to a fresh simulated user: a random
   adjacent swap (``ltrr.rank.position.draw_swap``, share ``--swap-share``)
   is applied to the heuristic's top 10, and the user clicks by the
   simulator's position-based model (``PositionBasedClicks(eta)``);
2. the examination curve is estimated from those swaps
   (``estimate_position_bias``); its exponent is compared with ``eta``;
3. distinct queries are split at random into train (70 %) and test (30 %),
   so no test query was seen in training (the stream repeats popular
   queries); LightGBM
   lambdarank is fitted on the clicks of the train searches, naive (clicked
   1, shown 0) and debiased (``ips``, ``ips_cascade``, ``lightgbm``; the
   ``ips`` modes use the estimated curve), exactly as ``Ranker._fit`` does;
4. every model ranks each test search's whole pool, scored by NDCG@10 on
   the hidden relevance (the simulator's ``relevant`` set), over the test
   searches whose pool holds a relevant entity.

Prints per seed and a paired 95 % t-interval over seeds for debiased minus naive.

    python benchmarks/ranking_debias.py --catalog data/spotify.duckdb --searches 3000 --seeds 5
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import harness
from harness import Logged, load_logged, save_logged, split_by_query, t_interval
from ltrr.catalog.store import Catalog
from ltrr.rank.heuristic import heuristic_scores
from ltrr.rank.metrics import ndcg_at_k
from ltrr.rank.position import ShownSearch, apply_swap, draw_swap, estimate_position_bias
from ltrr.rank.ranker import Ranker
from ltrr.reward import rank_in
from ltrr.simulate.clicks import PositionBasedClicks

MODES = ("none", "ips", "ips_cascade", "lightgbm")
K = harness.K


def collect(catalog_path: str, n: int, seed: int) -> list[Logged]:
    """Run the stream through a fresh engine once (no feedback: the logging ranker stays fixed)."""
    catalog = Catalog.open(catalog_path)
    stream = harness.simulated_stream(catalog, n, seed)
    out = []
    with harness.temporary_state() as state:
        engine = harness.open_engine(catalog, state / "s", policy="all", seed=seed)
        engine.set_ranking_experiments(swap_share=0.0, interleave_share=0.0)
        try:
            for it in stream:
                resp = engine.search(it.query, it.context, k=K)
                pending = engine._pending[resp.id]     # noqa: SLF001 - the pool's features, as the ranker saw them
                if len(pending.pool) < 2:
                    continue
                ids = [p.entity_id for p in pending.pool]
                scores = heuristic_scores(pending.X)
                order = np.lexsort((np.arange(len(ids)), -scores))
                out.append(Logged(pending.X, np.array([e in it.relevant for e in ids]), ids, order,
                                  it.query_type, it.query))
        finally:
            engine.close()
    catalog.close()
    return out


def one_seed(logged: list[Logged], seed: int, eta: float, swap_share: float, repeats: int,
             max_clicks: int = K) -> dict:
    rng = np.random.default_rng([seed, 0xDEB1A5])
    clicks_model = PositionBasedClicks(eta=eta, max_clicks=max_clicks)
    test = split_by_query(logged, rng)
    shown_searches: list[ShownSearch] = []
    sessions = []
    for _ in range(repeats):
        for i, item in enumerate(logged):
            swap = draw_swap(rng, swap_share, K)
            top = list(item.order[:K])
            if swap is not None and swap.pos >= len(top):
                swap = None
            shown = apply_swap(top, swap)
            ids = [item.ids[j] for j in shown]
            relevant = {item.ids[j] for j in np.flatnonzero(item.relevant)}
            outcome = clicks_model.clicks(ids, relevant, rng)
            clicked_ranks = frozenset(r for r, _ in outcome.clicks)
            shown_searches.append(ShownSearch(len(shown), swap, clicked_ranks))
            if test[i] or not clicked_ranks:
                continue
            y = np.zeros(len(shown), np.float32)
            y[[r - 1 for r in clicked_ranks]] = 1
            sessions.append((item.X[shown], y, np.arange(1, len(shown) + 1)))
    bias = estimate_position_bias(shown_searches, k=K)
    row: dict = {"seed": seed, "eta_hat": bias.eta, "eta_ci": bias.eta_ci, "bias_source": bias.source,
                 "train_sessions": len(sessions)}
    evaluation = [logged[i] for i in np.flatnonzero(test) if logged[i].relevant.any()]
    row["test_searches"] = len(evaluation)
    row["heuristic"] = float(np.mean([ndcg_at_k(e.relevant.astype(float), heuristic_scores(e.X))
                                      for e in evaluation]))
    row["mrr_heuristic"] = float(np.mean([reciprocal_rank(e.relevant, heuristic_scores(e.X)) for e in evaluation]))
    with harness.temporary_state() as folder:
        for mode in MODES:
            ranker = Ranker(folder, seed=seed, debias=mode)
            ranker.set_position_bias(bias)
            model = ranker._fit(sessions)              # noqa: SLF001 - the engine's own fit
            row[mode] = float(np.mean([ndcg_at_k(e.relevant.astype(float), model.predict(e.X, num_threads=1))
                                       for e in evaluation]))
            row[f"mrr_{mode}"] = float(np.mean([reciprocal_rank(e.relevant, model.predict(e.X, num_threads=1))
                                                for e in evaluation]))
    return row


def reciprocal_rank(relevant: np.ndarray, scores: np.ndarray, k: int = K) -> float:
    """1 / rank of the first relevant row in the top k (ties broken pessimistically), else 0."""
    order = np.lexsort((relevant, -np.asarray(scores, dtype=float)))[:k]
    rank = rank_in(order.tolist(), set(np.flatnonzero(relevant).tolist()), max_rank=None)
    return 1.0 / rank if rank else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--searches", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--eta", type=float, default=1.0)
    parser.add_argument("--swap-share", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3, help="fresh users per logged search")
    parser.add_argument("--stream-seed", type=int, default=0)
    parser.add_argument("--max-clicks", type=int, default=K,
                        help="judged clicks per user (10: a pure position-based model; 1: stop at the first)")
    parser.add_argument("--cache", type=Path, help="an .npz of collected searches: read when it exists, else written")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache is not None and args.cache.is_file():
        logged = load_logged(args.cache)
    else:
        logged = collect(args.catalog, args.searches, args.stream_seed)
        if args.cache is not None:
            save_logged(logged, args.cache)
    print(f"{len(logged)} searches with a pool ({time.perf_counter() - started:.1f}s); "
          f"{sum(e.relevant.any() for e in logged)} have a relevant entity in the pool; "
          f"eta={args.eta} swap_share={args.swap_share} repeats={args.repeats} max_clicks={args.max_clicks}")
    rows = []
    for seed in range(args.seeds):
        t = time.perf_counter()
        row = one_seed(logged, seed, args.eta, args.swap_share, args.repeats, args.max_clicks)
        rows.append(row)
        print(f"seed {seed}: eta_hat {row['eta_hat']:.3f} [{row['eta_ci'][0]:.3f}, {row['eta_ci'][1]:.3f}] "
              f"({row['bias_source']}) | NDCG@10 heuristic {row['heuristic']:.4f} naive {row['none']:.4f} "
              f"ips {row['ips']:.4f} ips_cascade {row['ips_cascade']:.4f} lightgbm {row['lightgbm']:.4f} "
              f"| train sessions {row['train_sessions']}, test searches {row['test_searches']} "
              f"({time.perf_counter() - t:.1f}s)")
    etas = np.array([r["eta_hat"] for r in rows])
    print(f"eta: true {args.eta}, estimated mean {etas.mean():.3f}, max |error| {np.abs(etas - args.eta).max():.3f}")
    for mode in MODES[1:]:
        diffs = np.array([r[mode] - r["none"] for r in rows])
        mean, low, high = t_interval(diffs)
        print(f"{mode} - naive NDCG@10: {mean:+.4f}, paired 95% t-interval [{low:+.4f}, {high:+.4f}] "
              f"over {len(rows)} seeds")
    diffs = np.array([r["ips"] - r["heuristic"] for r in rows])
    mean, low, high = t_interval(diffs)
    print(f"ips - heuristic NDCG@10: {mean:+.4f} [{low:+.4f}, {high:+.4f}]")
    diffs = np.array([r["mrr_ips"] - r["mrr_heuristic"] for r in rows])
    mean, low, high = t_interval(diffs)
    print(f"MRR@10 of the wanted item on held-out searches: heuristic "
          f"{np.mean([r['mrr_heuristic'] for r in rows]):.4f}, ips {np.mean([r['mrr_ips'] for r in rows]):.4f}, "
          f"naive {np.mean([r['mrr_none'] for r in rows]):.4f}; ips - heuristic {mean:+.4f} [{low:+.4f}, {high:+.4f}]")


if __name__ == "__main__":
    main()
