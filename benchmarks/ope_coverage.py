"""Do the OPE intervals cover the truth? Coverage over many seeds, against the mean of many on-policy runs.

A synthetic logging process shaped like the engine's logs (events in the
log's format, read by ``ltrr.evaluate.ope.logged_searches``): five arms with
context-dependent recall; a logger whose inclusion probabilities depend on
the context (structured and popular run rarely, and least when they would
help); the user clicks the wanted entity (probability 0.9) when an included
arm retrieved it.

Targets: two rarely run arms, a small subset, and a stochastic policy. The
truth of each target is the mean click rate of ``--truth-runs`` on-policy runs
of ``--searches`` searches each (the target itself choosing the arms), not
one run. For each of ``--seeds`` seeds a fresh log is estimated; coverage is
the share of seeds whose 95 % interval holds the truth, reported with a 95 %
Clopper-Pearson interval. ``--broad`` mixes in searches with several
satisfying entities, where the user clicks the first one shown: another arm's
result then takes the click, the no-interference assumption of
``ltrr/evaluate/ope.py`` fails, and coverage drops (measured, not hidden).

    python benchmarks/ope_coverage.py --seeds 200 --searches 1000
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import binomtest

import harness  # noqa: F401  (puts ltrr on sys.path)
from ltrr.evaluate.ope import evaluate, logged_searches, parse_policy

ARMS = ("lexical", "fuzzy", "structured", "popular", "semantic")
TARGETS = ("static:structured", "static:popular", "static:fuzzy,structured",
           "random:lexical=0.5,structured=0.5,popular=0.3")
ESTIMATORS = ("ips", "snips", "dr")


def recall(x: np.ndarray) -> np.ndarray:
    """P(arm retrieves the wanted entity | x), shape (n, arms)."""
    n = len(x)
    return np.stack([np.full(n, 0.6), 0.2 + 0.5 * x[:, 0], 0.1 + 0.7 * x[:, 1], np.full(n, 0.25),
                     0.3 + 0.3 * x[:, 2]], axis=1)


def logger(x: np.ndarray) -> np.ndarray:
    """The logging policy's inclusion probabilities: rare arms run least where they help most."""
    n = len(x)
    return np.stack([np.full(n, 0.95), 0.9 - 0.6 * x[:, 0], 0.05 + 0.2 * (1 - x[:, 1]), np.full(n, 0.12),
                     0.5 + 0.3 * x[:, 2]], axis=1)


def draw(n: int, rng: np.random.Generator, policy, broad: float) -> tuple[list[dict], float]:
    """``n`` searches whose arms are drawn by ``policy(x)`` (inclusion probabilities per search);
    the events (in the log's format) and the click rate."""
    x = rng.random((n, 3))
    inclusion = policy(x)
    q = recall(x)
    included = rng.random((n, len(ARMS))) < inclusion
    retrieves = rng.random((n, len(ARMS))) < q
    # Broad searches: a second satisfying entity found by popular-style arms (popular, semantic).
    is_broad = rng.random(n) < broad
    other = rng.random((n, len(ARMS))) < np.array([0.1, 0.1, 0.2, 0.6, 0.4])
    u_click = rng.random(n)
    events, clicks = [], 0
    for i in range(n):
        lists = {}
        for j, arm in enumerate(ARMS):
            if included[i, j]:
                ids = ([f"other{i}"] if is_broad[i] and other[i, j] else []) + \
                      (["want"] if retrieves[i, j] else []) + [f"filler{j}"]
                lists[arm] = ids
        sid = f"s{i}"
        events.append({
            "kind": "search", "id": sid, "policy": "synthetic", "x": x[i].tolist(),
            "selection": [{"arm": a, "selected": bool(included[i, j]), "budget": 10 if included[i, j] else 0,
                           "propensity": float(inclusion[i, j])} for j, a in enumerate(ARMS)],
            "by_arm": {a: [[e, 1.0] for e in ids] for a, ids in lists.items()}, "results": [],
        })
        # The user clicks the first satisfying entity in arm order (a broad search: either one).
        shown = [e for ids in lists.values() for e in ids]
        satisfying = [e for e in shown if e == "want" or (is_broad[i] and e == f"other{i}")]
        if satisfying and u_click[i] < 0.9:
            events.append({"kind": "feedback", "search_id": sid, "entity_id": satisfying[0], "action": "click"})
            clicks += 1
        else:
            events.append({"kind": "feedback", "search_id": sid, "entity_id": None, "action": "skip"})
    return events, clicks / n


def target_policy(target: str):
    """The target as a function of the contexts (it ignores them)."""
    inclusion = np.array([parse_policy(target, ARMS).inclusion.get(a, 0.0) for a in ARMS])
    return lambda x: np.tile(inclusion, (len(x), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--truth-runs", type=int, default=200)
    parser.add_argument("--broad", type=float, default=0.0)
    args = parser.parse_args()
    started = time.perf_counter()
    truth = {}
    for t in TARGETS:
        rng = np.random.default_rng([7, TARGETS.index(t)])
        runs = [draw(args.searches, rng, target_policy(t), args.broad)[1]
                for _ in range(args.truth_runs)]
        truth[t] = (float(np.mean(runs)), float(np.std(runs, ddof=1) / np.sqrt(len(runs))))
    print(f"truth: mean of {args.truth_runs} on-policy runs of {args.searches} searches each "
          f"(broad share {args.broad}):", flush=True)
    for t, (mean, se) in truth.items():
        print(f"  {t}: {mean:.4f} (se {se:.4f})")
    covered = {(t, e): 0 for t in TARGETS for e in ESTIMATORS}
    errors = {(t, e): [] for t in TARGETS for e in ESTIMATORS}
    diagnostics = {t: [] for t in TARGETS}
    for seed in range(args.seeds):
        events, _ = draw(args.searches, np.random.default_rng([seed, 0x0BE]), logger, args.broad)
        data = logged_searches(events)
        for t in TARGETS:
            result = evaluate(data, t)
            diagnostics[t].append((result.ess, result.max_weight, bool(result.get("ips").warning)))
            for e in ESTIMATORS:
                est = result.get(e)
                covered[(t, e)] += est.ci_low <= truth[t][0] <= est.ci_high
                errors[(t, e)].append(est.value - truth[t][0])
    print(f"{args.seeds} seeds x {args.searches} logged searches ({time.perf_counter() - started:.0f}s)")
    print("| target | estimator | coverage | 95% Clopper-Pearson | mean error | median ESS | max weight | warned |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in TARGETS:
        ess = np.median([d[0] for d in diagnostics[t]])
        maxw = np.median([d[1] for d in diagnostics[t]])
        warned = np.mean([d[2] for d in diagnostics[t]])
        for e in ESTIMATORS:
            k = covered[(t, e)]
            ci = binomtest(k, args.seeds).proportion_ci(0.95, method="exact")
            print(f"| {t} | {e} | {k / args.seeds:.3f} | [{ci.low:.3f}, {ci.high:.3f}] | "
                  f"{np.mean(errors[(t, e)]):+.4f} | {ess:.0f} | {maxw:.1f} | {warned:.0%} |")


if __name__ == "__main__":
    main()
