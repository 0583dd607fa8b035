"""The learning study's settings and policy names: the learners it runs, :class:`StudySettings`,
the reduced :func:`headline` study, the label and spec of a learner at a cost weight, and
what tuning chose (:class:`Tuning`)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from ltrr.bandit.policy import FLOOR_POLICY, TIGHT_COST
from ltrr.simulate.world import World, get_world

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
# The default learner again, warmed before its first search by the tuning stream's searches (every arm's
# rank of what each wanted: the data the fixed configurations are tuned on; Engine.warm_start).
WARM_LABEL = "coverage (default), warmed by the tuning stream"
# The learner at the routing table's price (0.008 a candidate, route's default), warmed the same way:
# on dev streams 21-23 and 30-32 of both worlds (trained ranker) it was +0.67 points above the routing
# table for +0.95 candidates, and the rule set before fresh streams 24-29 held there (+0.93, +0.98).
WARM_PRICE = 0.008
WARM_PRICED_POLICY = f"coverage:cost={WARM_PRICE:g}"
WARM_PRICED_LABEL = f"coverage cost={WARM_PRICE:g}, warmed by the tuning stream"
# That learner told what every search wanted as well: the bound on what more information buys it
# (TOLD_LEARNER's reading at the warmed learner's price).
TOLD_PRICED_POLICY = f"{WARM_PRICED_POLICY},judged=1"
TOLD_PRICED_LABEL = f"coverage cost={WARM_PRICE:g} told every answer, warmed by the tuning stream"
# The routing table (ltrr.bandit.route): a fixed configuration per kind of ask, chosen on the tuning
# stream's searches; what a team could ship without a learner, and the strongest fixed baseline.
ROUTE_POLICY = "route"
ROUTE_LABEL = "route (a configuration per kind of ask)"
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
    # Also run the default learner warmed by the tuning stream (WARM_LABEL), on the same stream.
    warm_start: bool = True
    # Also run the learner at the routing table's price warmed by the tuning stream (WARM_PRICED_LABEL).
    warm_priced: bool = True
    # Also run that learner told every answer (TOLD_PRICED_LABEL: a bound, not a product setting).
    told_priced: bool = True
    # Also run the routing table chosen on the tuning stream (ROUTE_POLICY).
    route: bool = True

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


def warm_runs(settings: StudySettings) -> dict[str, str]:
    """Label -> spec of the learners that read the tuning stream before their first search, each in a
    run of its own beside the seed's main run (a warmed learner's spec may also run cold there)."""
    runs = {WARM_LABEL: LEARNER} if settings.warm_start else {}
    if settings.warm_priced:
        runs[WARM_PRICED_LABEL] = WARM_PRICED_POLICY
    if settings.told_priced:
        runs[TOLD_PRICED_LABEL] = TOLD_PRICED_POLICY
    return runs


def cost_label(cost: float) -> str:
    """The label of the learner at cost weight ``cost`` (:func:`cost_spec`) in the study's tables."""
    return f"coverage cost={cost:g}"


def cost_spec(cost: float) -> str:
    """The learner paying ``cost`` per candidate everywhere (the default has no coverage floor)."""
    return f"coverage:cost={cost:g}"


def headline(settings: StudySettings) -> StudySettings:
    """``settings`` reduced to the policies behind the README's answer, so that five seeds on two
    worlds fit a working session: the default, context-free and told learners, the learner on a tight
    budget (:data:`~ltrr.bandit.policy.TIGHT_COST`) and at the routing table's price
    (:data:`WARM_PRICE`, cold; warmed and told, as every study runs them), ``all`` at 20, the routing
    table and the tuned configurations (by candidates, and before the drift), the cell learner of
    earlier rounds and the default without the slump alarm;
    no configurations tuned for milliseconds, no other cost or prior variants, no single-arm references."""
    return replace(settings, ms_shares=(), costs=(TIGHT_COST, WARM_PRICE),
                   variants=(CELL_LEARNER, UNGUARDED_LEARNER, TOLD_LEARNER),
                   all_budgets=(20,),
                   singles=False)
