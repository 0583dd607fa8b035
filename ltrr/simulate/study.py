"""Does learning pay? Learners against the strongest fixed baselines, over seeds, with paired intervals.

One study (``python -m ltrr study``):

1. **Tuning.** A separate stream (``tune_seed``, never scored) runs through
   every arm at the deepest budget (:func:`ltrr.simulate.tuning.collect_ranks`).
   From it: the best fixed configuration at each candidate cap
   (:func:`~ltrr.simulate.tuning.best_fixed`) and at each cap on the arms' run
   time (:func:`~ltrr.simulate.tuning.best_fixed_by_ms`, caps as shares of the
   time every arm together takes), and the per-type oracle frontier
   (for each cost weight, the best fixed configuration *per query type*: what a
   learner that knew each query's type could reach). Also the configurations a
   team would have shipped: the best fixed configuration at each of
   ``pre_drift_caps``, tuned on the tuning stream's searches *before* its drift
   step only (:func:`pre_drift_configs`, labelled ``pre-drift<=N``), which never saw
   the demand the drift brings.
2. **Test.** For each seed, one stream goes through every policy with common
   random numbers (:func:`ltrr.simulate.runner.run_simulation`, heuristic
   ranker, so policies differ by retrieval only; ``ranker="trained"`` gives every
   policy the LightGBM ranker trained from its own clicks instead, as the product
   ships): every single arm; ``all`` at
   5, 10 and 20 per arm; the tuned fixed configurations; the routing table chosen on
   the tuning stream (``route``: a configuration per kind of ask, :mod:`ltrr.bandit.route`);
   the context-free coverage learner; the coverage learner at several cost weights; and,
   in runs of their own on the same stream and users, the default learner and the learner at the
   routing table's price, each warmed by the tuning stream's searches before its first search
   (``Engine.warm_start``).
3. **Comparisons** on the last ``window`` steps, per seed, then the mean and a
   95% t-interval of the per-seed paired differences
   (:func:`~ltrr.simulate.study_compare.compare`); against
   the pre-drift configuration nearest the learner's cost, on the post-drift
   part of that window. Cost
   is counted two ways: candidates per search, and arm milliseconds per search
   (the record's ``arm_ms``: each arm that ran charged its measured run time
   on that query, the same for every policy; see :mod:`ltrr.simulate.runner`).

The simulated world (``world``: :mod:`ltrr.simulate.world`) sets the users' intent
mix, typing, typos and click model, and the defaults of the share of the drift's
searches asking what just came out, of retries by name and of reformulations
(``reformulate_share``: how often a user a broad ask failed, a mood or activity
ask or an ambiguous word, follows it with a more specific search in the same
session, e.g. "tunes to unwind to" -> "chill rnb"; 0.5 in the default world);
the same settings run on another world test whether the learner's settings
transfer.

Seeds are independent jobs: ``address`` runs them as Ray tasks
(:func:`ltrr.scale.sweep.run_jobs`), with the same numbers as a local run (except the learner
priced in milliseconds, whose choices follow measured run times).

This module tunes and runs; the settings and policy names are in :mod:`ltrr.simulate.study_settings`,
the comparisons in :mod:`ltrr.simulate.study_compare`, the report in :mod:`ltrr.simulate.study_report`.
"""
from __future__ import annotations

import pickle
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ltrr.progress import ProgressFn, silent
from ltrr.simulate.frontier import PRE_DRIFT
from ltrr.simulate.study_compare import compare
from ltrr.simulate.study_report import write_study_report
from ltrr.simulate.study_settings import (CONTEXT_FREE, LEARNER, RANKERS, ROUTE_LABEL, ROUTE_POLICY, TRAINED_LABEL,
                                         WARM_LABEL, StudySettings, Tuning, cost_label, cost_spec, warm_runs)
from ltrr.simulate.tuning import (RankTable, best_fixed, best_fixed_by_ms, collect_ranks, config_spec, per_query_oracle,
                                  per_type_oracle)

TUNING_TABLE = "tuning-table.pkl"     # the tuning stream's rank table, beside the seeds' states


def tuning_table(settings: StudySettings, state_dir: Path, progress: ProgressFn = silent) -> RankTable:
    """The tuning stream (``tune_seed``, ``tune_steps``, the study's drift and users) run through
    every arm: its rank table (:func:`~ltrr.simulate.tuning.collect_ranks`)."""
    from ltrr.catalog.store import Catalog
    from ltrr.simulate.catalog_view import CatalogView
    from ltrr.simulate.stream import generate_stream

    catalog = Catalog.open(settings.catalog)
    try:
        stream = generate_stream(CatalogView.from_catalog(catalog), settings.tune_steps, settings.tune_seed,
                                 n_users=settings.n_users, **settings.stream_options())
    finally:
        catalog.close()
    return collect_ranks(settings.catalog, stream, state_dir, arms=settings.arms,
                         click_model=settings.simulated_world().click_model(), seed=settings.tune_seed,
                         progress=progress, retry_share=settings.retry_share,
                         reformulate_share=settings.reformulate_share)


def tune(settings: StudySettings, state_dir: Path, progress: ProgressFn = silent) -> tuple[Tuning, RankTable]:
    """Collect the tuning stream's rank table and choose the fixed baselines from it alone."""
    table = tuning_table(settings, state_dir, progress)
    return choose_baselines(settings, table), table


def choose_baselines(settings: StudySettings, table: RankTable) -> Tuning:
    """The fixed baselines (by candidates, by milliseconds, before the drift) and the oracles of
    the tuning stream's rank table ``table``."""
    every_ms = float(table.ms.sum(axis=1).mean())
    chosen = [(f"{cap:g}", f"tuned<={cap:g}", best_fixed(table, cap)) for cap in settings.caps]
    by_ms = best_fixed_by_ms(table, [share * every_ms for share in settings.ms_shares], settings.ms_candidates)
    chosen += [(f"{share:.0%} of the arm time", f"tuned<={share:.0%}ms", config)
                for share, config in zip(settings.ms_shares, by_ms) if config]
    fixed, rows = {}, []
    for cap, label, config in chosen:
        b = table.vector(config)
        spec = config_spec(config)
        rows.append({"cap": cap, "spec": spec, "coverage": float(table.covered(b).mean()),
                     "cost": float(table.cost(b).mean()), "arm time": float(table.ms_cost(b).mean()) / every_ms})
        if spec not in fixed.values():
            fixed[label] = spec
    pre, pre_rows = pre_drift_configs(table, settings.drift_step, settings.pre_drift_caps), []
    before = pre_drift_rows(table, settings.drift_step)
    after = np.setdiff1d(np.arange(len(table)), before)
    pre_drift: dict[str, str] = {}
    for label, config in pre.items():
        b, spec = table.vector(config), config_spec(config)
        pre_rows.append({"cap": label.removeprefix(PRE_DRIFT), "spec": spec, "tuned on": len(before),
                         "coverage before": float(table.covered(b, before).mean()),
                         "cost before": float(table.cost(b, before).mean()),
                         "coverage after": float(table.covered(b, after).mean()) if len(after) else float("nan"),
                         "cost after": float(table.cost(b, after).mean()) if len(after) else float("nan")})
        if spec not in pre_drift.values():
            pre_drift[label] = spec
    return Tuning(fixed, pd.DataFrame(rows), per_type_oracle(table), oracle_frontier(table), pre_drift,
                  pd.DataFrame(pre_rows), per_query_oracle(table))


def pre_drift_rows(table: RankTable, drift_step: int | None) -> np.ndarray:
    """The rows of a tuning stream's rank table before its drift (row ``i`` is step ``i + 1``:
    :func:`~ltrr.simulate.tuning.collect_ranks` keeps the stream's order); every row without a drift."""
    n = len(table) if drift_step is None else min(len(table), max(0, int(drift_step) - 1))
    return np.arange(n, dtype=np.int64)


def pre_drift_configs(table: RankTable, drift_step: int | None,
                      caps: Sequence[float]) -> dict[str, dict[str, int]]:
    """``pre-drift<=N`` -> the best fixed configuration at cap N (:func:`~ltrr.simulate.tuning.best_fixed`),
    tuned on the searches before ``drift_step`` only: what a team tuning before the drift would ship.
    Empty without a drift, or when the drift comes at the stream's first step or after its last."""
    rows = pre_drift_rows(table, drift_step)
    if drift_step is None or not len(rows) or len(rows) >= len(table):
        return {}
    return {f"{PRE_DRIFT}{cap:g}": best_fixed(table, cap, rows) for cap in caps}


def oracle_frontier(table: RankTable, lams: Sequence[float] = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032),
                    caps: Sequence[float] = (0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60, 80, 120)) -> pd.DataFrame:
    """Per cost weight: each query type's best fixed configuration (offline), aggregated by type share."""
    points: dict[str, list[tuple[float, float]]] = {}
    shares: dict[str, float] = {}
    for qtype in sorted(set(table.query_types)):
        rows = np.flatnonzero(table.query_types == qtype)
        shares[qtype] = len(rows) / len(table)
        points[qtype] = []
        for cap in caps:
            b = table.vector(best_fixed(table, cap, rows))
            points[qtype].append((float(table.covered(b, rows).mean()), float(table.cost(b, rows).mean())))
    out = []
    for lam in lams:
        cov = cost = 0.0
        for qtype, pts in points.items():
            best = max(pts, key=lambda p: p[0] - lam * p[1])
            cov += shares[qtype] * best[0]
            cost += shares[qtype] * best[1]
        out.append({"lam": lam, "coverage": cov, "cost": cost})
    return pd.DataFrame(out)


def study_policies(settings: StudySettings, tuning: Tuning, arms: Sequence[str]) -> dict[str, str]:
    """Label -> policy spec for every policy of the test runs (labels are what reports show)."""
    out: dict[str, str] = {}
    out["coverage (default)"] = LEARNER
    for cost in settings.costs:
        out[cost_label(cost)] = cost_spec(cost)
    for spec in settings.variants:
        out[spec.replace(":", " ", 1)] = spec
    out["coverage, context-free"] = CONTEXT_FREE
    if settings.route:
        out[ROUTE_LABEL] = ROUTE_POLICY
    for b in settings.all_budgets:
        out[f"all@{b}"] = f"all:budget={b}"
    singles = {f"{arm}@{settings.single_budget}": f"static:{arm}={settings.single_budget}" for arm in arms}
    # A tuned configuration may be one of the single arms (or `all`): it runs once, by that name.
    out.update({label: spec for label, spec in tuning.fixed.items()
                if spec not in out.values() and spec not in singles.values()})
    # Likewise a configuration tuned before the drift that another label already runs
    # (compare finds it by its spec).
    out.update({label: spec for label, spec in tuning.pre_drift.items()
                if spec not in out.values() and spec not in singles.values()})
    keep = set(tuning.fixed.values()) | set(tuning.pre_drift.values())
    out.update({label: spec for label, spec in singles.items() if settings.singles or spec in keep})
    return out


def simulate(settings: StudySettings, policies: Sequence[str], seed: int, state_dir: Path,
             ranker_training: str | None = None, warm: dict | None = None) -> pd.DataFrame:
    """The records of one seed's run of ``policies`` under the study's settings (world, stream,
    drift, users, clicks, retries, ranker), on the same stream and clicks for every policy;
    ``ranker_training`` ("off", "sync") overrides the settings' ranker; ``warm``: per policy, the
    judged searches it reads before its first search (``Engine.warm_start``)."""
    from ltrr.simulate.runner import run_simulation

    if ranker_training is None:
        ranker_training = RANKERS[settings.ranker]
    return run_simulation(settings.catalog, list(policies), settings.steps, seed, Path(state_dir),
                          arms=settings.arms, n_users=settings.n_users, ranker_training=ranker_training,
                          click_model=settings.simulated_world().click_model(),
                          stream_options=settings.stream_options(), retry_share=settings.retry_share,
                          reformulate_share=settings.reformulate_share, warm=warm).records


def _run_seed(job: tuple[dict, dict, int, str]) -> pd.DataFrame:
    """One seed's test run (a module-level function: Ray ships it to workers)."""
    settings_dict, policies, seed, state_root = job
    settings = StudySettings(**settings_dict)
    searches = None
    warmed_runs = warm_runs(settings) if LEARNER in policies.values() else {}
    if ROUTE_POLICY in policies.values() or warmed_runs:
        # What the fixed configurations were tuned on, as judged searches: the routing table is
        # chosen from them, and the warmed learner reads them before its first search.
        with open(Path(state_root) / TUNING_TABLE, "rb") as f:
            searches = pickle.load(f).judged_searches()
    warm = {ROUTE_POLICY: searches} if ROUTE_POLICY in policies.values() else None
    frame = simulate(settings, list(policies.values()), seed, Path(state_root) / f"seed-{seed}", warm=warm)
    labels = {spec: label for label, spec in policies.items()}
    frame.insert(0, "label", frame["policy"].map(labels))
    if settings.trained_ranker and settings.ranker == "heuristic" and LEARNER in policies.values():
        # Its own run (an engine's ranker setting is the run's): the stream and the users' random
        # numbers are the seed's, so it is paired with the heuristic run of the same learner.
        trained = simulate(settings, [LEARNER], seed, Path(state_root) / f"seed-{seed}-trained",
                           ranker_training=RANKERS["trained"])
        trained.insert(0, "label", TRAINED_LABEL)
        frame = pd.concat([frame, trained], ignore_index=True)
    for i, (label, spec) in enumerate(warmed_runs.items()):
        # A learner given the tuning stream before its first search: its own run, paired with
        # the cold learner on the seed's stream and users.
        folder = "warm" if label == WARM_LABEL else f"warm-{i}"
        warmed = simulate(settings, [spec], seed, Path(state_root) / f"seed-{seed}-{folder}",
                          warm={spec: searches})
        warmed.insert(0, "label", label)
        frame = pd.concat([frame, warmed], ignore_index=True)
    frame.insert(0, "seed", seed)
    # Each seed's records on disk as soon as it ends: a long study stopped midway keeps them.
    frame.to_csv(Path(state_root) / f"records-seed-{seed}.csv.gz", index=False)
    return frame


def run_study(settings: StudySettings, out_dir: str | Path, address: str | None = None,
              progress: ProgressFn = silent) -> dict:
    """Tune, run every seed, compare, write ``out_dir`` (records, tables, figures, report.md); return the summary."""
    from ltrr.scale.sweep import run_jobs
    from ltrr.strategies.registry import arm_names

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    progress(0, 0, "tuning stream")
    tuning, table = tune(settings, out / "states" / "tuning", progress)
    # For the routing table and the warmed learner of every seed's job (read from the shared folder).
    (out / "states" / TUNING_TABLE).write_bytes(pickle.dumps(table))
    arms = list(settings.arms) if settings.arms else arm_names()
    policies = study_policies(settings, tuning, arms)
    progress(0, 0, f"{len(settings.seeds)} seeds x {len(policies)} policies")
    jobs = [(asdict(settings), policies, seed, str(out / "states")) for seed in settings.seeds]
    frames = run_jobs(_run_seed, jobs, address=address)
    records = pd.concat(frames, ignore_index=True)
    records.to_csv(out / "study_records.csv.gz", index=False)
    summary = compare(records, tuning, settings)
    write_study_report(summary, records, tuning, settings, policies, out)
    return summary
