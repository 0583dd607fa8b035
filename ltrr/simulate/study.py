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
   5, 10 and 20 per arm; the tuned fixed configurations; the context-free
   coverage learner; the coverage learner at several cost weights.
3. **Comparisons** on the last ``window`` steps, per seed, then the mean and a
   95% t-interval of the per-seed paired differences (:func:`compare`); against
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
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ltrr.bandit.policy import FLOOR_POLICY, TIGHT_COST
from ltrr.progress import ProgressFn, silent
from ltrr.simulate.frontier import PRE_DRIFT, fixed_labels, frontier_at, per_seed, t_interval, upper_frontier
from ltrr.simulate.report import drift_text, format_interval, markdown_table
from ltrr.simulate.study_plots import plot_frontier, plot_ms_frontier
from ltrr.simulate.tuning import (RankTable, best_fixed, best_fixed_by_ms, collect_ranks, config_spec, per_query_oracle,
                                  per_type_oracle)
from ltrr.simulate.world import World, get_world
from ltrr.simulate.worst_type import is_tuned_by_candidates, nearest as nearest_label, summary as worst_type_summary

LEARNER = "coverage"
CONTEXT_FREE = "coverage:context=0"
# The learner that also prices the arms' milliseconds: 1 ms of arm time costs what one
# candidate does (the default cost per candidate), fixed before any study was run with it.
MS_LEARNER = "coverage:ms=0.004"
# The learner told, on a random 20% of searches, what was wanted (Engine.judge): more information
# than clicks give, not a better rule. On tuning seeds 11-40 (paired against the default) 20%
# gave +2.6 points at +1.8 candidates and 5% +1.7 at +2.7: 20% was better on both counts.
JUDGED_LEARNER = "coverage:judged=0.2"
# The cell learner of earlier rounds: kinds of query only, no cell per recent query and no memory
# probe (the baseline for the per-query model, which is the default now).
CELL_LEARNER = "coverage:qprior=0,probe=0,tries=0"
# An earlier round's default learner: a query that keeps failing does not try the arms its
# searches never ran (what that rule buys, paired on the same seeds).
UNTRIED_LEARNER = "coverage:tries=0"
# The default learner before the slump alarm (docs/history.md, eighth part): what the guard against
# losing an intent to the learner's own narrowing buys, paired on the same seeds (0 where it never fires).
UNGUARDED_LEARNER = "coverage:slump=0"
# The default learner told what every search wanted: not a product setting but the bound on
# what any information can buy this rule (the rest of the gap to a target is the rule's).
TOLD_LEARNER = "coverage:judged=1"
# The learners told more than clicks tell, as the comparisons name them and the report describes them.
INFORMED_LEARNERS: tuple[tuple[str, str, str], ...] = (
    ("judged", JUDGED_LEARNER, "told on a random share of searches what was wanted (`{spec}`, "
                               "more information than clicks give)"),
    ("told", TOLD_LEARNER, "told what every search wanted (`{spec}`: the bound on what more "
                           "information can buy this rule)"),
)
# The default learner again, with the LightGBM ranker trained from its clicks as the product ships it
# (the other policies run the heuristic ranker, so that they differ by retrieval only).
TRAINED_LABEL = "coverage (default), trained ranker"
# StudySettings.ranker -> the runner's ranker_training, and what the report calls it.
RANKERS: dict[str, str] = {"heuristic": "off", "trained": "sync"}
RANKER_TEXT: dict[str, str] = {
    "heuristic": "heuristic ranker",
    "trained": "every policy trains a LightGBM ranker from its own clicks and ranks with it once it beats the "
               "heuristic on held-out searches, as the product ships (the fixed configurations are tuned on "
               "retrieval alone, as always)"}
# Labels of the configurations tuned on the searches before the drift only (pre-drift<=N).


@dataclass
class StudySettings:
    """What one study runs; every field has a default that the README's figures used."""

    catalog: str
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    steps: int = 2000
    window: int = 500
    tune_seed: int = 10_000
    tune_steps: int = 2000
    arms: tuple[str, ...] | None = None
    # Dense where the learner spends (3-10 candidates): the static frontier between two
    # tuned points is their straight line, and a sparse set of caps flatters any policy
    # that falls between them.
    caps: tuple[float, ...] = (3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 40)
    # Fixed configurations tuned for the arms' run time instead (tuning.best_fixed_by_ms), so that
    # a learner priced in milliseconds meets the strongest fixed baselines in that unit too. A
    # cap is a share of the time every arm together takes on the tuning stream: run times
    # depend on the machine and its load, shares much less. Deepening an arm costs no time, so
    # each also keeps to ms_candidates candidates: a deeper pool buys coverage that the top 10
    # rarely shows, and costs the ranker.
    ms_shares: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6)
    ms_candidates: float = 12.0
    costs: tuple[float, ...] = (0.002, 0.008, TIGHT_COST)     # learners besides the default cost
    variants: tuple[str, ...] = ("coverage:prior=8", FLOOR_POLICY, MS_LEARNER, CELL_LEARNER, UNTRIED_LEARNER,
                                 UNGUARDED_LEARNER, JUDGED_LEARNER, TOLD_LEARNER)  # other learners
    all_budgets: tuple[int, ...] = (5, 10, 20)
    single_budget: int = 20
    # Every single arm at single_budget as a reference; False runs only those that are also a
    # tuned configuration (the frontier's points), as the headline study does.
    singles: bool = True
    drift_step: int | None = 1000
    # Share of the drift's searches asking what just came out; None: the world's (0.4 in the default).
    release_share: float | None = None
    # Chance that a user a search failed searches again by the target's name (see run_simulation);
    # None: the world's (DEFAULT_RETRY_SHARE, 0.5, in the default). 0 is the study before users retried.
    retry_share: float | None = None
    # Chance that a user a broad ask (mood or activity, an ambiguous word) failed follows it with a
    # more specific search in the same session (run_simulation's reformulate_share); None: the
    # world's (0.5 in the default). 0 is the study before users reformulated.
    reformulate_share: float | None = None
    n_users: int = 100
    # The simulated world (ltrr.simulate.world): "default" or "second".
    world: str = "default"
    # Candidate caps of the configurations tuned before the drift (pre-drift<=N); () for none.
    pre_drift_caps: tuple[float, ...] = (5, 7, 10, 15, 20)
    # Also run the default learner with the trained ranker (TRAINED_LABEL), on the same stream
    # (only beside the heuristic ranker: under the trained one it is the default learner's own run).
    trained_ranker: bool = True
    # The ranker every policy runs: "heuristic" (policies differ by retrieval only) or "trained",
    # each policy's LightGBM ranker trained from its own clicks, as the product ships. The fixed
    # configurations are tuned on retrieval alone either way.
    ranker: str = "heuristic"

    def __post_init__(self) -> None:
        # Resolved here, so that the settings a seed's job receives (asdict) say what ran.
        world = get_world(self.world)
        self.world = world.name
        if self.ranker not in RANKERS:
            raise ValueError(f"ranker must be one of {', '.join(RANKERS)}, not {self.ranker!r}")
        if self.release_share is None:
            self.release_share = world.release_share
        if self.retry_share is None:
            self.retry_share = world.retry_share
        if self.reformulate_share is None:
            self.reformulate_share = world.reformulate_share

    def simulated_world(self) -> World:
        """The world the streams are drawn from and the users click in."""
        return get_world(self.world)

    def stream_options(self) -> dict:
        """What :func:`~ltrr.simulate.stream.generate_stream` takes besides the seed: world and drift."""
        world = {"world": self.world}
        if self.drift_step is None:
            return world
        return {"drift_step": int(self.drift_step), "drift_release_share": float(self.release_share), **world}


@dataclass
class Tuning:
    """What the tuning stream chose: fixed configurations per cap and the oracle frontier."""

    fixed: dict[str, str]                 # label -> static spec
    fixed_offline: pd.DataFrame           # cap, spec, coverage, cost, arm time (share of all arms'; tuning stream)
    oracle_types: pd.DataFrame            # per type at full coverage
    oracle_frontier: pd.DataFrame         # lam, coverage, cost
    # label (pre-drift<=N) -> static spec, tuned on the tuning stream's searches before its drift only
    pre_drift: dict[str, str] = field(default_factory=dict)
    # cap, spec, tuned on (searches), coverage and cost before and after the drift (tuning stream)
    pre_drift_offline: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The per-query oracle on the tuning stream (tuning.per_query_oracle): coverage, cost, cost_covered
    per_query: dict = field(default_factory=dict)


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
                  pd.DataFrame(pre_rows), per_query_oracle(table)), table


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


def cost_label(cost: float) -> str:
    """The label of the learner at cost weight ``cost`` (:func:`cost_spec`) in the study's tables."""
    return f"coverage cost={cost:g}"


def cost_spec(cost: float) -> str:
    """The learner paying ``cost`` per candidate everywhere (the default has no coverage floor)."""
    return f"coverage:cost={cost:g}"


def study_policies(settings: StudySettings, tuning: Tuning, arms: Sequence[str]) -> dict[str, str]:
    """Label -> policy spec for every policy of the test runs (labels are what reports show)."""
    out: dict[str, str] = {}
    out["coverage (default)"] = LEARNER
    for cost in settings.costs:
        out[cost_label(cost)] = cost_spec(cost)
    for spec in settings.variants:
        out[spec.replace(":", " ", 1)] = spec
    out["coverage, context-free"] = CONTEXT_FREE
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


def headline(settings: StudySettings) -> StudySettings:
    """``settings`` reduced to the policies behind the README's answer, so that five seeds on two
    worlds fit a working session: the default, context-free and told learners, the learner on a tight
    budget (:data:`~ltrr.bandit.policy.TIGHT_COST`), ``all`` at 20 and the tuned configurations (by
    candidates, and before the drift), the cell learner of earlier rounds and the default without the
    slump alarm;
    no configurations tuned for milliseconds, no other cost or prior variants, no single-arm references."""
    return replace(settings, ms_shares=(), costs=(TIGHT_COST,),
                   variants=(CELL_LEARNER, UNGUARDED_LEARNER, TOLD_LEARNER),
                   all_budgets=(20,),
                   singles=False)


def simulate(settings: StudySettings, policies: Sequence[str], seed: int, state_dir: Path,
             ranker_training: str | None = None) -> pd.DataFrame:
    """The records of one seed's run of ``policies`` under the study's settings (world, stream,
    drift, users, clicks, retries, ranker), on the same stream and clicks for every policy;
    ``ranker_training`` ("off", "sync") overrides the settings' ranker."""
    from ltrr.simulate.runner import run_simulation

    if ranker_training is None:
        ranker_training = RANKERS[settings.ranker]
    return run_simulation(settings.catalog, list(policies), settings.steps, seed, Path(state_dir),
                          arms=settings.arms, n_users=settings.n_users, ranker_training=ranker_training,
                          click_model=settings.simulated_world().click_model(),
                          stream_options=settings.stream_options(), retry_share=settings.retry_share,
                          reformulate_share=settings.reformulate_share).records


def _run_seed(job: tuple[dict, dict, int, str]) -> pd.DataFrame:
    """One seed's test run (a module-level function: Ray ships it to workers)."""
    settings_dict, policies, seed, state_root = job
    settings = StudySettings(**settings_dict)
    frame = simulate(settings, list(policies.values()), seed, Path(state_root) / f"seed-{seed}")
    labels = {spec: label for label, spec in policies.items()}
    frame.insert(0, "label", frame["policy"].map(labels))
    if settings.trained_ranker and settings.ranker == "heuristic" and LEARNER in policies.values():
        # Its own run (an engine's ranker setting is the run's): the stream and the users' random
        # numbers are the seed's, so it is paired with the heuristic run of the same learner.
        trained = simulate(settings, [LEARNER], seed, Path(state_root) / f"seed-{seed}-trained",
                           ranker_training=RANKERS["trained"])
        trained.insert(0, "label", TRAINED_LABEL)
        frame = pd.concat([frame, trained], ignore_index=True)
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
    tuning, _ = tune(settings, out / "states" / "tuning", progress)
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


# ----------------------------------------------------------------------------- statistics

def nearest_tuned(means: pd.DataFrame, label: str) -> str | None:
    """The fixed configuration tuned by candidates (``tuned<=N``) whose mean candidates per search
    are nearest ``label``'s (``means``: indexed by label, with a ``candidates`` column); None if none ran."""
    return nearest_label(means["candidates"], label, [lab for lab in means.index if is_tuned_by_candidates(lab)])


def by_type(records: pd.DataFrame, window: int, label: str, reference: str) -> pd.DataFrame:
    """Per query type over the last ``window`` steps (seeds pooled): ``label`` beside ``reference``.

    Columns: query_type, share (of ``label``'s searches), success, retrieved and candidates of
    each (``ref_`` prefixed for the reference), and ``points``: the type's share times the
    difference in success, in points, so that they add up to the overall difference. Worst first.
    """
    last = records[records["step"] > records["step"].max() - window]

    def stats(lab: str) -> pd.DataFrame:
        return (last[last["label"] == lab].groupby("query_type")
                .agg(searches=("step", "size"), success=("success", "mean"), retrieved=("covered", "mean"),
                     candidates=("n_candidates", "mean")))
    mine, ref = stats(label), stats(reference).add_prefix("ref_")
    table = mine.join(ref, how="left")
    table.insert(0, "share", table.pop("searches") / max(1, int(mine["searches"].sum())))
    table = table.drop(columns="ref_searches")
    table["points"] = 100 * table["share"] * (table["success"] - table["ref_success"])
    return table.reset_index().sort_values(["points", "query_type"]).reset_index(drop=True)


def compare(records: pd.DataFrame, tuning: Tuning, settings: StudySettings) -> dict:
    """Every comparison the README states, per seed and as a mean with a 95% interval."""
    seeds = per_seed(records, settings.window)
    labels = list(dict.fromkeys(records["label"]))
    fixed = fixed_labels(labels)
    learner = "coverage (default)"
    wide = seeds.pivot(index="seed", columns="label")
    s, c, ms = wide["success"], wide["candidates"], wide["arm_ms"]
    out: dict = {"seeds": list(map(int, s.index)), "window": settings.window, "steps": settings.steps}
    means = seeds.groupby("label")[["success", "covered", "candidates", "retrieved", "arms", "arm_ms"]].mean()
    out["table"] = means.reindex(labels).reset_index().to_dict(orient="records")

    def paired(name: str, diffs: pd.Series, unit: str = "points") -> None:
        mean, lo, hi = t_interval(diffs.to_numpy() * (100 if unit == "points" else 1))
        out[name] = {"mean": mean, "low": lo, "high": hi, "per_seed": [round(float(v), 4) for v in diffs],
                     "unit": unit}

    everything = f"all@{max(settings.all_budgets)}"     # every arm at the deepest fixed budget
    out["all_label"] = everything
    paired("learner_minus_all", s[learner] - s[everything])
    paired("candidates_ratio_vs_all", c[learner] / c[everything], unit="ratio")
    paired("arm_ms_ratio_vs_all", ms[learner] / ms[everything], unit="ratio")
    # The static frontier of each seed (fixed configurations run on that seed), at the learner's cost,
    # in candidates and in arm milliseconds (each seed's own timings).
    def frontier_gaps(label: str, cost: pd.DataFrame) -> pd.Series:
        gaps = []
        for seed in s.index:
            pts = pd.DataFrame({"cost": cost.loc[seed, fixed], "success": s.loc[seed, fixed]})
            front = upper_frontier(pts, x="cost")
            gaps.append(s.loc[seed, label] - frontier_at(front, cost.loc[seed, label], x="cost"))
        return pd.Series(gaps, index=s.index)
    paired("learner_minus_static_frontier", frontier_gaps(learner, c))
    paired("learner_minus_static_frontier_ms", frontier_gaps(learner, ms))
    ms_label = MS_LEARNER.replace(":", " ", 1)
    if ms_label in s.columns:
        paired("ms_learner_minus_static_frontier_ms", frontier_gaps(ms_label, ms))
    for name, spec, _ in INFORMED_LEARNERS:
        label = spec.replace(":", " ", 1)
        if label in s.columns:
            paired(f"{name}_learner_minus_static_frontier", frontier_gaps(label, c))
            paired(f"{name}_learner_minus_learner", s[label] - s[learner])
    # Cheapest fixed configuration reaching the learner's success (means over seeds).
    m_s, m_c = s.mean(), c.mean()
    reaching = [lab for lab in fixed if m_s[lab] >= m_s[learner]]
    if reaching:
        best = min(reaching, key=lambda lab: m_c[lab])
        out["cheapest_fixed_reaching_learner"] = {"label": best, "candidates": float(m_c[best]),
                                                  "success": float(m_s[best]),
                                                  "ratio": float(m_c[learner] / m_c[best])}
        paired("candidates_ratio_vs_cheapest_reaching", c[learner] / c[best], unit="ratio")
    else:
        out["cheapest_fixed_reaching_learner"] = None
    # The learner at each other cost weight: its own place against the frontier, and the cheapest
    # fixed configuration reaching its success (a tight budget is where choosing arms should pay).
    out["costs"] = []
    for cost in settings.costs:
        label = cost_label(cost)
        if label not in s.columns:
            continue
        name = f"cost_{cost:g}"
        paired(f"{name}_minus_static_frontier", frontier_gaps(label, c))
        entry = {"cost": float(cost), "label": label, "name": name, "success": float(m_s[label]),
                 "candidates": float(m_c[label]), "reaching": None}
        reaching = [lab for lab in fixed if m_s[lab] >= m_s[label]]
        if reaching:
            best = min(reaching, key=lambda lab: m_c[lab])
            entry["reaching"] = {"label": best, "candidates": float(m_c[best]), "success": float(m_s[best])}
            paired(f"{name}_candidates_ratio_vs_cheapest_reaching", c[label] / c[best], unit="ratio")
        out["costs"].append(entry)
    if TRAINED_LABEL in s.columns:
        # The product as shipped: the trained ranker against the heuristic, same learner and stream.
        paired("trained_minus_heuristic", s[TRAINED_LABEL] - s[learner])
        last = records[records["step"] > records["step"].max() - settings.window]
        mrr = last.groupby(["seed", "label"])["reciprocal_rank"].mean().unstack()
        paired("trained_minus_heuristic_mrr", mrr[TRAINED_LABEL] - mrr[learner], unit="difference")
        out["mrr"] = {"heuristic": float(mrr[learner].mean()), "trained": float(mrr[TRAINED_LABEL].mean())}
    paired("context_minus_context_free", s[learner] - s["coverage, context-free"])
    paired("candidates_ratio_context_vs_free", c[learner] / c["coverage, context-free"], unit="ratio")
    # The per-type oracle (offline, tuning stream): its cost to reach the learner's coverage.
    cov_l = float(seeds[seeds.label == learner]["covered"].mean())
    ret_l = float(seeds[seeds.label == learner]["retrieved"].mean())
    of = tuning.oracle_frontier.sort_values("cost")
    oracle_cost = float(np.interp(cov_l, np.maximum.accumulate(of["coverage"].to_numpy()), of["cost"].to_numpy()))
    out["oracle"] = {"learner_coverage": cov_l, "learner_retrieved": ret_l, "oracle_retrieved_at_that_coverage":
                     oracle_cost, "ratio": ret_l / oracle_cost if oracle_cost > 0 else float("nan"),
                     "full_coverage": float((tuning.oracle_types.share * tuning.oracle_types.coverage).sum()),
                     "full_coverage_cost": float((tuning.oracle_types.share * tuning.oracle_types.cost).sum())}
    if tuning.per_query:
        pq = dict(tuning.per_query)
        pq["learner_retrieved"] = ret_l
        pq["ratio"] = ret_l / pq["cost"] if pq["cost"] > 0 else float("nan")
        out["per_query_oracle"] = pq
    reference = nearest_tuned(means, learner) if "query_type" in records.columns else None
    out["by_type"] = None if reference is None else {
        "reference": reference,
        "rows": by_type(records, settings.window, learner, reference).to_dict(orient="records")}
    out["worst_type"] = (worst_type_summary(records, settings.window, learner)
                         if "query_type" in records.columns else None)
    out["drift"] = drift_recovery(records, settings, learner)
    out["new_demand"] = new_demand(records, settings, [learner, "coverage, context-free", everything,
                                                       *[lab for lab in fixed if lab.startswith("tuned")],
                                                       *[lab for lab in labels if lab.startswith(PRE_DRIFT)]])
    pre = pre_drift_comparison(records, tuning, settings, learner)
    out["pre_drift"] = pre
    if pre is not None:
        paired("learner_minus_pre_drift", pd.Series(pre.pop("differences")))
    return out


def pre_drift_comparison(records: pd.DataFrame, tuning: Tuning, settings: StudySettings,
                         learner: str) -> dict | None:
    """``learner`` beside the configuration tuned before the drift whose candidates per search are
    nearest its own, on the post-drift window: the last ``window`` steps, from the drift step on.

    A pre-drift configuration that another label already ran (the same spec) is read under that
    label. Returns None without a drift, pre-drift configurations or steps after the drift; else
    the reference, the window, each pre-drift configuration's success and candidates there (means
    over seeds), and ``differences``: the learner's success minus the reference's, per seed.
    """
    if settings.drift_step is None or not tuning.pre_drift or learner not in set(records["label"]):
        return None
    last = int(records["step"].max())
    start = max(last - settings.window, int(settings.drift_step) - 1)     # steps after `start`
    post = records[records["step"] > start]
    if post.empty:
        return None
    ran_labels = set(records["label"])
    by_spec = dict(zip(records["policy"], records["label"])) if "policy" in records.columns else {}
    runs_as = {label: label if label in ran_labels else by_spec.get(spec)
               for label, spec in tuning.pre_drift.items()}
    runs_as = {label: ran for label, ran in runs_as.items() if ran is not None}
    if not runs_as:
        return None
    per = (post.groupby(["seed", "label"]).agg(success=("success", "mean"), candidates=("n_candidates", "mean"))
           .reset_index().pivot(index="seed", columns="label"))
    success, candidates = per["success"], per["candidates"]
    mean_c = candidates.mean()
    nearest = min(runs_as, key=lambda lab: (abs(float(mean_c[runs_as[lab]]) - float(mean_c[learner])), lab))
    ref = runs_as[nearest]
    return {"reference": nearest, "runs_as": ref, "spec": tuning.pre_drift[nearest],
            "first_step": start + 1, "last_step": last,
            "learner": {"success": float(success[learner].mean()), "candidates": float(mean_c[learner])},
            "configurations": {label: {"runs_as": ran, "spec": tuning.pre_drift[label],
                                       "success": float(success[ran].mean()), "candidates": float(mean_c[ran])}
                               for label, ran in runs_as.items()},
            "differences": success[learner] - success[ref]}


def drift_recovery(records: pd.DataFrame, settings: StudySettings, label: str, before: int = 300,
                   window: int = 100, tolerance: float = 0.02) -> dict | None:
    """Steps after the drift until the rolling success is back within ``tolerance`` of the pre-drift level."""
    if settings.drift_step is None:
        return None
    out = []
    for seed, frame in records[records["label"] == label].groupby("seed"):
        frame = frame.sort_values("step")
        pre = frame[(frame.step < settings.drift_step) & (frame.step >= settings.drift_step - before)]["success"].mean()
        post = frame[frame.step >= settings.drift_step]
        rolling = post["success"].rolling(window).mean()
        ok = post["step"][rolling >= pre - tolerance]
        steps = int(ok.iloc[0] - settings.drift_step) if len(ok) else None
        out.append({"seed": int(seed), "pre": float(pre), "steps_to_recover": steps,
                    "post_first_300": float(post[post.step < settings.drift_step + 300]["success"].mean())})
    return {"per_seed": out, "window": window, "tolerance": tolerance}


def new_demand(records: pd.DataFrame, settings: StudySettings, labels: Sequence[str],
               query_type: str = "new_releases", first: int = 300) -> dict | None:
    """Success on the kind of query the drift created (asking what just came out), per label:
    over the ``first`` searches after the drift and over the study's last ``window`` steps
    (means over seeds), and how many such searches each part held per seed."""
    if settings.drift_step is None:
        return None
    asks = records[(records["query_type"] == query_type) & (records["step"] >= settings.drift_step)]
    if asks.empty:
        return None
    early = asks[asks["step"] < settings.drift_step + first]
    late = asks[asks["step"] > records["step"].max() - settings.window]
    out = {"query_type": query_type, "first": first, "labels": {}}
    for lab in labels:
        e, lt = early[early["label"] == lab], late[late["label"] == lab]
        out["labels"][lab] = {
            "first": float(e.groupby("seed")["success"].mean().mean()) if len(e) else None,
            "last": float(lt.groupby("seed")["success"].mean().mean()) if len(lt) else None}
    # The same stream for every label: count one label's searches.
    n_seeds, one = max(records["seed"].nunique(), 1), labels[0]
    out["per_seed_searches"] = {"first": int((early["label"] == one).sum()) / n_seeds,
                                "last": int((late["label"] == one).sum()) / n_seeds}
    return out


# ----------------------------------------------------------------------------- report

def _fmt(entry: dict | None) -> str:
    if not entry:
        return "n/a"
    return format_interval(entry["mean"], entry["low"], entry["high"], entry["unit"])   # one seed: no interval


def _drift_header(settings: StudySettings) -> str:
    """The report's words for the drift: its step and share, or plainly none in this run."""
    text = drift_text(settings.drift_step, settings.steps)
    if settings.drift_step is None or settings.drift_step >= settings.steps:
        return text
    return f"{text} (share of its searches asking what just came out: {settings.release_share:g})"


def _pre_drift_section(tuning: Tuning, settings: StudySettings) -> list[str]:
    """The report's table of the configurations tuned before the drift (none: no lines)."""
    if tuning.pre_drift_offline is None or tuning.pre_drift_offline.empty:
        return []
    return ["", f"Tuned before the drift (the {PRE_DRIFT}N configurations): the best fixed configuration at each "
            f"cap on the tuning stream's searches before step {settings.drift_step:,} only; coverage and "
            "candidates on those searches and on the searches after the drift, which they never saw. "
            "They are compared on the post-drift window, and left out of the static frontier.", "",
            markdown_table(tuning.pre_drift_offline)]


def _worst_type_lines(wt: dict | None) -> list[str]:
    """The per-type reading per seed (see :mod:`ltrr.simulate.worst_type`), as report lines."""
    if not wt:
        return []
    per_seed = "; ".join(f"{r['points']:+.1f} ({r['query_type']}, {r['searches']} searches; {r['reference']})"
                         for r in wt["learner"])
    met = wt["tuned_met_every_seed"]
    return [f"- worst query type per seed, the default learner minus the tuned configuration nearest its "
            f"candidates on that seed: {per_seed}; {wt['learner_seeds_met']} of {wt['seeds']} seeds at "
            f"{wt['threshold']:+g} or better. The same reading for each tuned configuration against the tuned "
            f"configuration nearest it: {100 * wt['tuned_below_share']:.0f}% of configuration-seeds below "
            f"{wt['threshold']:+g} (median worst type {wt['tuned_median_worst']:+.1f}); "
            f"{len(met)} of {wt['tuned_configurations']} configurations at {wt['threshold']:+g} or better on every "
            "seed" + (f" ({', '.join(met)})" if met else "")
            + (f"; against the nearest with fewer candidates: {100 * wt['tuned_vs_cheaper_below_share']:.0f}% below"
               if wt.get("tuned_vs_cheaper_below_share") is not None else "")]


def write_study_report(summary: dict, records: pd.DataFrame, tuning: Tuning, settings: StudySettings,
                       policies: dict[str, str], out: Path) -> Path:
    """report.md, summary.json, the frontier figures (candidates, milliseconds) and the tables, in ``out``."""
    figure = plot_frontier(records, tuning.oracle_frontier, settings.window, settings.steps, out / "frontier.png")
    ms_figure = plot_ms_frontier(records, settings.window, settings.steps, out / "frontier_ms.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    table = pd.DataFrame(summary["table"])
    # The trained-ranker run is the default learner's spec with the product's ranker (not a policy).
    table["policy"] = table["label"].map({**policies, TRAINED_LABEL: f"{LEARNER} (trained ranker)"})
    lines = [f"# Learning that pays: {len(summary['seeds'])} seeds x {settings.steps} steps, "
             f"last {settings.window}", "",
             f"Catalog `{Path(settings.catalog).name}`; tuning stream seed {settings.tune_seed} "
             f"({settings.tune_steps} steps); {_drift_header(settings)}; a user a search failed searches again by the "
             f"target's name with chance {settings.retry_share:g}, and the engine hears what they found there; "
             f"a user a broad ask (mood or activity, an ambiguous word) failed follows it with a more specific "
             f"search in the same session with chance {settings.reformulate_share:g} (the follow-up is not "
             f"counted as a search of its own: success is the first search's); {RANKER_TEXT[settings.ranker]}; "
             f"simulated {settings.simulated_world().describe()}.", "",
             "| policy | spec | success@10 | retrieved | candidates | arms | arm ms / search |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.label} | `{row.policy}` | {100 * row.success:.1f}% | {100 * row.covered:.1f}% | "
                     f"{row.candidates:.1f} | {row.arms:.2f} | {row.arm_ms:.2f} |")
    lines += ["", "Arm ms / search: the sum of the run times of the arms that ran, each arm timed once per query "
              "when its list was first computed (at the cached depth) and charged alike to every policy that "
              "ran it; ranking is not included, and the arms of a search run concurrently, so it is a cost, "
              "not a latency. The numbers depend on the machine and its load."]
    lines += ["", "## Paired comparisons (mean over seeds, 95% t-interval)", "",
              f"- default learner minus {summary['all_label']}, success@10: {_fmt(summary['learner_minus_all'])}; "
              f"candidates {_fmt(summary['candidates_ratio_vs_all'])}; arm ms {_fmt(summary['arm_ms_ratio_vs_all'])}",
              f"- default learner minus the static frontier at its own candidates: "
              f"{_fmt(summary['learner_minus_static_frontier'])}",
              f"- default learner minus the static frontier at its own arm ms: "
              f"{_fmt(summary['learner_minus_static_frontier_ms'])}",
              f"- the learner that also prices milliseconds (`{MS_LEARNER}`) minus the static frontier at its "
              f"own arm ms: {_fmt(summary.get('ms_learner_minus_static_frontier_ms'))}",
              f"- context-aware minus context-free (same cost weight): {_fmt(summary['context_minus_context_free'])}; "
              f"candidates {_fmt(summary['candidates_ratio_context_vs_free'])}"]
    for name, spec, what in INFORMED_LEARNERS:
        if summary.get(f"{name}_learner_minus_static_frontier"):
            lines.append(f"- the learner {what.format(spec=spec)} minus the static frontier at its own candidates: "
                         f"{_fmt(summary[f'{name}_learner_minus_static_frontier'])}; minus the default learner: "
                         f"{_fmt(summary[f'{name}_learner_minus_learner'])}")
    if summary.get("trained_minus_heuristic"):
        lines.append(f"- the default learner with the trained ranker (as the product ships) minus with the heuristic "
                     f"ranker: success@10 {_fmt(summary['trained_minus_heuristic'])}; MRR@10 "
                     f"{summary['mrr']['heuristic']:.3f} -> {summary['mrr']['trained']:.3f}, "
                     f"difference {_fmt(summary['trained_minus_heuristic_mrr'])}")
    cheapest = summary.get("cheapest_fixed_reaching_learner")
    if cheapest:
        lines.append(f"- cheapest fixed configuration reaching the learner's success: {cheapest['label']} "
                     f"({cheapest['candidates']:.1f} candidates); learner/that: "
                     f"{_fmt(summary.get('candidates_ratio_vs_cheapest_reaching'))}")
    else:
        lines.append("- no fixed configuration reached the learner's success")
    for entry in summary.get("costs", []):
        name, reach = entry["name"], entry["reaching"]
        line = (f"- the learner on another budget, a candidate at {entry['cost']:g} (`{cost_spec(entry['cost'])}`; "
                f"{100 * entry['success']:.1f}% at {entry['candidates']:.1f} candidates) minus the static frontier at "
                f"its own candidates: {_fmt(summary.get(f'{name}_minus_static_frontier'))}; ")
        line += (f"cheapest fixed configuration reaching its success: {reach['label']} ({reach['candidates']:.1f} "
                 f"candidates); learner/that: {_fmt(summary.get(f'{name}_candidates_ratio_vs_cheapest_reaching'))}"
                 if reach else "no fixed configuration reached its success")
        lines.append(line)
    o = summary["oracle"]
    lines.append(f"- per-type oracle (offline): to retrieve the wanted item as often as the learner "
                 f"({100 * o['learner_coverage']:.1f}%) it needs {o['oracle_retrieved_at_that_coverage']:.1f} "
                 f"candidates returned per search; the learner uses {o['learner_retrieved']:.1f} "
                 + (f"(ratio {o['ratio']:.2f})" if np.isfinite(o["ratio"]) else "(no ratio: the oracle needs none)"))
    pq = summary.get("per_query_oracle")
    if pq:
        lines.append(f"- per-query oracle (offline, tuning stream; the cheapest configuration covering each search, "
                     f"known in hindsight: the absolute limit): retrieves the wanted item in {100 * pq['coverage']:.1f}% "
                     f"of searches for {pq['cost']:.2f} candidates returned per search; the learner returns "
                     f"{pq['learner_retrieved']:.1f} for {100 * o['learner_coverage']:.1f}% "
                     + (f"({pq['ratio']:.1f}x)" if np.isfinite(pq["ratio"]) else ""))
    if summary.get("drift") and settings.drift_step is not None and settings.drift_step < settings.steps:
        d = summary["drift"]["per_seed"]
        lines.append("- drift: steps after the drift until rolling-100 success is within 2 points of the "
                     "300 steps before: " + ", ".join("not by the last step" if x["steps_to_recover"] is None
                                                      else str(x["steps_to_recover"]) for x in d))
    pre = summary.get("pre_drift")
    if pre:
        ran = "" if pre["runs_as"] == pre["reference"] else f", run as {pre['runs_as']}, the same configuration"
        ref = pre["configurations"][pre["reference"]]
        lines.append(f"- default learner minus the configuration tuned before the drift nearest its cost, "
                     f"{pre['reference']} (`{pre['spec']}`{ran}; {ref['candidates']:.1f} candidates against the "
                     f"learner's {pre['learner']['candidates']:.1f}), on the post-drift window (steps "
                     f"{pre['first_step']:,}-{pre['last_step']:,}): {_fmt(summary.get('learner_minus_pre_drift'))}")
    lines += _worst_type_lines(summary.get("worst_type"))
    nd = summary.get("new_demand")
    if nd:
        pct = lambda v: "-" if v is None else f"{100 * v:.0f}%"   # noqa: E731
        lines.append(f"- new demand (searches asking what just came out, a kind of query the drift created; "
                     f"about {nd['per_seed_searches']['first']:.0f} per seed in the first {nd['first']} steps "
                     f"after it, {nd['per_seed_searches']['last']:.0f} in the last {settings.window}), "
                     "success@10 first -> last: " +
                     "; ".join(f"{lab} {pct(v['first'])} -> {pct(v['last'])}" for lab, v in nd["labels"].items()))
    bt = summary.get("by_type")
    if bt:
        ref = bt["reference"]
        rows = pd.DataFrame(bt["rows"])
        lines += ["", f"## By query type: the learner beside {ref}, the tuned configuration nearest its candidates",
                  "", f"Last {settings.window} steps, seeds pooled. Points: the type's share of searches times the "
                  f"difference in success@10, so they add up to the whole difference "
                  f"({rows['points'].sum():+.1f}). Where retrieved is well above success@10, the wanted item "
                  "was retrieved and ranked off the first page: lost in the ranking of a large pool, "
                  "not in retrieval.", "",
                  f"| query type | share | learner success@10 | retrieved | candidates | {ref} success@10 "
                  "| retrieved | candidates | points |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        percent = lambda v: "-" if pd.isna(v) else f"{100 * v:.1f}%"       # noqa: E731
        number = lambda v: "-" if pd.isna(v) else f"{v:.1f}"                # noqa: E731
        for r in rows.itertuples(index=False):
            lines.append(f"| {r.query_type} | {100 * r.share:.1f}% | {percent(r.success)} | {percent(r.retrieved)} | "
                         f"{number(r.candidates)} | {percent(r.ref_success)} | {percent(r.ref_retrieved)} | "
                         f"{number(r.ref_candidates)} | {'-' if pd.isna(r.points) else f'{r.points:+.2f}'} |")
    lines += ["", "## Tuned fixed configurations (tuning stream, offline)", "",
              "Cap: candidates per search, or the arms' run time per search as a share of the time every arm "
              "together takes (the tuned<=N%ms configurations; at most "
              f"{settings.ms_candidates:g} candidates each). Coverage and cost (candidates) on the tuning "
              "stream; arm time as that share.", "",
              markdown_table(tuning.fixed_offline), *_pre_drift_section(tuning, settings),
              "", f"![frontier]({figure.name})", "", f"![frontier in milliseconds]({ms_figure.name})", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    tuning.fixed_offline.to_csv(out / "tuned_fixed.csv", index=False)
    if tuning.pre_drift_offline is not None and not tuning.pre_drift_offline.empty:
        tuning.pre_drift_offline.to_csv(out / "tuned_before_drift.csv", index=False)
    tuning.oracle_types.to_csv(out / "oracle_per_type.csv", index=False)
    tuning.oracle_frontier.to_csv(out / "oracle_frontier.csv", index=False)
    return path
