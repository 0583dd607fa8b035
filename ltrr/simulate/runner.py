"""Run one seeded stream of simulated users through several policies.

Every policy gets its own engine, opened with its own fresh state folder
(``state_root/<policy>``), the same seed, ``background=False`` and
``ranker_training="sync"`` so a run is reproducible. The stream is
interleaved: step ``t``'s interaction goes to every policy before step
``t + 1``, so live curves advance together and a stopped run is still a
fair comparison. The click model draws from a generator seeded by
``(seed, step)``: every policy meets the same user with the same random
numbers (common random numbers), and differences come from the lists shown.

Per policy and step, one record (see :data:`RECORD_COLUMNS`):

``success``
    1 when a result in the top ``k`` (10) satisfies the hidden intent
    (success@10; ground truth, no clicks involved).
``reciprocal_rank``
    1 / rank of the first satisfying result in the top ``k``, else 0 (its
    mean is MRR@10).
``reward``
    1 when the simulated user clicked a satisfying result (position bias
    included); ``clicked`` is 1 for any click, stray ones too: what the
    engine sees and learns from.
``regret``
    ``oracle[query_type] - success``, where ``oracle[type]`` is the best
    success@10 on that query type among the run's fixed arm sets (the
    ``static:...`` and ``all`` policies), measured over the whole run: the
    per-query-type best arm set chosen in hindsight. With no fixed arm set
    in the run, the best of all policies is used. During the run,
    ``on_step`` receives a provisional regret against the running means.
``covered``
    1 when a satisfying entity is anywhere in the pool: some selected arm
    returned it within its budget (:func:`ltrr.reward.found`; success also
    needs the ranker to put it in the top ``k``). ``hit_arms`` names those arms
    (:func:`ltrr.reward.hits`).
``n_retrieved``
    the candidates: what the selected arms returned, each its budget or its
    shorter list, summed (:func:`ltrr.reward.cost`, the cost the coverage
    learner and the tuner count). ``n_pool`` is the pool: the distinct
    entities left after the union, which the ranker scores (an entity two arms
    return is two candidates and one pool entry). ``n_candidates`` is the old
    name of ``n_pool``, kept only until the study (:mod:`ltrr.simulate.study_compare`)
    reads ``n_pool``. ``budget`` is the sum of the selected arms' budgets and
    ``n_arms`` how many arms ran.
``phase``
    "before" or "after" the stream's drift event (see ``generate_stream``);
    ``explored`` is 1 when the coverage learner explored on this search.
``arm_ms``
    the retrieval cost of the search: the sum, over the arms that ran, of each
    arm's measured run time (ms) on this query. Engines share one retrieval
    cache (:mod:`ltrr.strategies.cached`), so a stateless arm is timed once per
    query, when its list is first computed (at the cached depth,
    ``MAX_RANK``, whatever budget the policy asked for), and every policy that
    runs it on that query is charged that same time; an arm that is not cached
    (memory) is charged what the engine measured on this search. It is a
    cost in arm run time, summed: not the search's wall time (arms run
    concurrently), and it leaves out query understanding, the union and
    ranking. Timings vary with the machine's load, so it is for comparing
    policies within one run, not a benchmark.
``retried``, ``found_later``
    ``retried`` is 1 when the search failed the user (no satisfying click) and
    they searched again with the target's name (``Interaction.retry``, drawn
    with probability ``retry_share`` from the step's own random numbers, the
    same for every policy); ``found_later`` is 1 when that second search gave
    them a satisfying click, which the engine is told as ``found_later`` on the
    first search (``Engine.feedback``). The second search is the user's, not
    the step's: its candidates and time are not in this record, and it learns
    like any search.
``reformulated``, ``reformulation_success``, ``reformulation``
    ``reformulated`` is 1 when a broad ask (a query type in ``reformulate_types``:
    mood and activity asks and ambiguous words unless told otherwise) failed the user
    and they followed it with a more specific search (``Interaction.follow_up``, see
    *Reformulations* in :mod:`ltrr.simulate.queries`), drawn with probability
    ``reformulate_share`` from the step's own random numbers (:func:`reformulate_rng`),
    the same for every policy; ``reformulation`` is what they typed then ("" when they
    did not), and ``reformulation_success`` is 1 when it gave them a satisfying click.
    The follow-up's clicks (or skip) are fed to the engine as ordinary feedback on the
    follow-up search, with the same ``session_id`` in its context as the first search:
    the engine is not told of the chain, it may find it. Like a retry it is the user's
    search, not the step's: ``success``, ``reward`` and the rest are the first search's,
    and success@10 counts each step once (a follow-up is not another search in it).

    A broad ask has no single name, so it is never retried by name (``Interaction.retry``
    is None; the retry's draw is still made, so the retry's numbers do not depend on the
    query type); a named target has no follow-up. So for a step at most one of
    ``retried`` and ``reformulated`` is 1, and ``retry_share`` and ``reformulate_share``
    act on different query types, each with its own generator.
``latency_ms``
    wall time of ``Engine.search``. Policies share process-wide caches (the
    query encoder caches embeddings by text, the retrieval cache above), so
    the first policy to meet a query pays for what the others reuse: compare
    latencies with ``python -m ltrr bench``, not with these.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ltrr import reward
from ltrr.bandit.policy import POLICY_NAMES, PolicySpec
from ltrr.catalog.store import Catalog
from ltrr.progress import ProgressFn, silent
from ltrr.simulate.clicks import CascadeClicks, PositionBasedClicks, check_probability
from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.queries import FOLLOW_UP_TYPES, Interaction
from ltrr.simulate.stream import generate_stream, stream_frame
from ltrr.state import policy_folder

RECORD_COLUMNS = [
    "policy", "step", "user_id", "query_type", "query", "intent", "success", "reciprocal_rank", "reward",
    "clicked", "regret", "clicked_rank", "covered", "n_pool", "n_candidates", "n_retrieved", "budget", "n_arms",
    "arms",
    "hit_arms", "arm_ms", "latency_ms", "ranker", "phase", "explored", "retried", "found_later",
    "reformulated", "reformulation_success", "reformulation",
]

OnStep = Callable[[str, int, dict], None]
# Searches whose pools and features an engine of the run keeps for their feedback (Engine.pending_limit):
# every click, skip or later find of a step comes before the next step's search.
RECENT_SEARCHES = 16
# The share of failed users who search again by name in the study, the CLI and the app (a setting,
# not a measurement); run_simulation itself defaults to no retries.
DEFAULT_RETRY_SHARE = 0.5
# The share of users a broad ask failed who follow it with a more specific search, in the study
# (the default world's; a setting, not a measurement); run_simulation itself defaults to none.
DEFAULT_REFORMULATE_SHARE = 0.5
# The broad query types users follow up when the runner is not told which: the vague asks
# (genre_era has follow-ups too, used only when asked for).
REFORMULATE_TYPES: tuple[str, ...] = ("mood_activity", "ambiguous")


@dataclass
class SimulationResult:
    """Everything a simulation produced; ``records`` has one row per policy per step."""

    records: pd.DataFrame
    policies: list[str]
    steps: int                       # steps completed by every policy
    seed: int
    oracle: dict[str, float]         # query type -> best fixed-arm-set success@10
    oracle_policy: dict[str, str]    # query type -> the policy that achieved it
    stream: pd.DataFrame
    state_dirs: dict[str, Path] = field(default_factory=dict)
    stopped: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    def for_policy(self, policy: str) -> pd.DataFrame:
        """One policy's records, in step order."""
        return self.records[self.records["policy"] == policy].reset_index(drop=True)


def split_policies(text: str) -> list[str]:
    """Split a comma-separated list of policy specs whose own options may hold commas.

    A piece starts a new spec when it begins with a policy name; otherwise it
    continues the previous one (another static arm, another option):

    >>> split_policies("static:lexical,fuzzy,linucb:alpha=0.5,l2_lambda=2,all")
    ['static:lexical,fuzzy', 'linucb:alpha=0.5,l2_lambda=2', 'all']
    """
    specs: list[str] = []
    for piece in (p.strip() for p in str(text).split(",")):
        if not piece:
            continue
        name = piece.partition(":")[0].strip().lower()
        if name in POLICY_NAMES or not specs:
            specs.append(piece)
        else:
            specs[-1] += "," + piece
    return specs


def is_fixed(policy: str | PolicySpec) -> bool:
    """True for policies whose arm choice never learns (``all`` and ``static:...``), as
    :class:`~ltrr.bandit.policy.PolicySpec` parses them; ValueError when ``policy`` is not one."""
    spec = policy if isinstance(policy, PolicySpec) else PolicySpec.parse(policy)
    return not spec.is_learning


def run_simulation(
    catalog_path: str | Path,
    policies: list[str],
    steps: int,
    seed: int,
    state_root: Path,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_step: OnStep | None = None,
    *,
    arms: Sequence[str] | None = None,
    n_users: int = 100,
    query_types: Sequence[str] | None = None,
    click_model: PositionBasedClicks | CascadeClicks | None = None,
    k: int = 10,
    arm_budget: int = 20,
    ranker_training: str = "sync",
    stream_options: dict | None = None,
    ranking: dict | None = None,
    retry_share: float = 0.0,
    reformulate_share: float = 0.0,
    reformulate_types: Sequence[str] | None = None,
    warm: Mapping[str, Sequence[Any]] | None = None,
) -> SimulationResult:
    """Run `steps` simulated interactions through each policy; see the module docstring.

    ``on_step(policy, step, record)`` is called after every search and its
    feedback (the app redraws curves from it); ``should_stop()`` is checked
    between steps and ends the run early (``result.stopped``). ``arms``
    restricts the engine's arms (default: every registered arm).
    ``ranker_training`` is passed to every engine ("off" keeps the heuristic
    ranker, so that policies differ by retrieval alone); ``stream_options``
    to :func:`~ltrr.simulate.stream.generate_stream` (repetition, drift);
    ``ranking`` to every engine's ``set_ranking_experiments`` (e.g.
    ``{"expose": False}``); ``retry_share`` is the chance that a user a search failed
    searches again for their target by name (see ``retried`` above); ``reformulate_share`` the
    chance that a user a broad ask of ``reformulate_types`` (None: :data:`REFORMULATE_TYPES`)
    failed follows it with a more specific search (see ``reformulated`` above; 0, the default,
    leaves every record as it was before users reformulated). ``warm``: per policy (as listed),
    the full-information searches (:class:`~ltrr.engine.warm.JudgedSearch`) its engine reads before
    its first search (``Engine.warm_start``: the coverage learner, or the routing table's choice). Engines share one
    retrieval cache: a stateless arm computes each query's list once for all policies (the
    memory arm, which learns, never shares). They also share one opened copy of each stateless
    arm and the catalog's feature columns (:class:`ltrr.engine.arms.SharedArms`), and keep only
    :data:`RECENT_SEARCHES` searches' pools for feedback: a one-seed study on the shared catalog
    held 7.9 GB at its peak before, 1.4 GB after (200 steps), with the same records (but for
    the policies whose choices follow measured milliseconds).
    """
    from ltrr.engine import Engine   # the engine pulls in every arm; import when running
    from ltrr.engine.arms import SharedArms

    class RunEngine(Engine):
        # A simulated user's feedback comes within the step that searched (the search, a retry,
        # a follow-up): the engine need not keep 2,000 searches' pools and features for it.
        pending_limit = RECENT_SEARCHES

    progress = progress or silent
    policies = _check_policies(policies, arms)
    if warm and set(warm) - set(policies):
        raise ValueError(f"warm names policies that do not run: {', '.join(sorted(set(warm) - set(policies)))}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise ValueError(f"k must be an integer between 1 and 100, got {k!r}")
    retry_share = check_probability("retry_share", retry_share)
    reformulate_share = check_probability("reformulate_share", reformulate_share)
    follow_types = check_reformulate_types(reformulate_types)
    clicks = click_model or PositionBasedClicks()
    state_root = Path(state_root)
    catalog = Catalog.open(catalog_path)
    engines: dict[str, Any] = {}
    try:
        progress(0, 0, "reading the catalog")
        view = CatalogView.from_catalog(catalog)
        stream = generate_stream(view, int(steps), int(seed), n_users=n_users, query_types=query_types,
                                 **(stream_options or {}))
        state_dirs = {}
        cache: dict = {}
        # One catalog, one set of stateless arms and catalog columns for every policy's engine:
        # only what each policy learns is its own (an engine alone holds ~140 MB on the shared catalog).
        shared = SharedArms()
        for i, policy in enumerate(policies):
            progress(i, len(policies), f"opening engine for {policy}")
            folder = state_root / policy_folder(policy)
            engine = RunEngine.open(catalog, folder, policy=policy, seed=int(seed), arms=arms,
                                    background=False, ranker_training=ranker_training, arm_budget=arm_budget,
                                    retrieval_cache=cache, shared_arms=shared)
            engines[policy] = engine
            if ranking:
                engine.set_ranking_experiments(**ranking)
            state_dirs[policy] = folder
            if engine.status()["searches"]:
                engine.reset()   # a fresh start; the old log is kept as a snapshot by the engine
            if warm and policy in warm:
                engine.warm_start(warm[policy])
        records, completed, stopped = _run(engines, stream, int(seed), clicks, k, progress, should_stop, on_step,
                                           retry_share, Reformulation(reformulate_share, follow_types))
    finally:
        for engine in engines.values():
            engine.close()
        catalog.close()
    frame = pd.DataFrame(records, columns=RECORD_COLUMNS)
    oracle, oracle_policy = _oracle(frame, policies)
    if len(frame):
        frame["regret"] = frame["query_type"].map(oracle).astype(float) - frame["success"]
    frame = frame.sort_values(["policy", "step"], kind="stable").reset_index(drop=True)
    order = {p: i for i, p in enumerate(policies)}
    frame = frame.sort_values("policy", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    settings = {"catalog": str(catalog_path), "arms": list(arms) if arms is not None else "all registered",
                "n_users": n_users, "k": k, "arm_budget": arm_budget, "click_model": repr(clicks),
                "ranker_training": ranker_training, "stream_options": dict(stream_options or {}),
                "ranking": dict(ranking or {}), "retry_share": retry_share,
                "reformulate_share": reformulate_share, "reformulate_types": list(follow_types),
                "query_types": list(query_types) if query_types else "all supported"}
    return SimulationResult(frame, policies, completed, int(seed), oracle, oracle_policy,
                            stream_frame(stream[:completed]), state_dirs, stopped, settings)


def _check_policies(policies: object, arms: Sequence[str] | None) -> list[str]:
    """Validate every spec before any engine opens; labels keep the caller's spelling."""
    from ltrr.strategies.registry import arm_names

    if isinstance(policies, str) or not isinstance(policies, (list, tuple)) or not policies:
        raise ValueError("policies must be a non-empty list of policy specs, e.g. ['linucb', 'all']")
    if arms is not None:
        if isinstance(arms, str) or not list(arms):
            raise ValueError("arms must be a non-empty list of arm names, e.g. ['lexical', 'fuzzy']")
        unknown = [a for a in arms if a not in arm_names()]
        if unknown:
            raise ValueError(f"unknown arm(s) {', '.join(map(str, unknown))}; known arms: {', '.join(arm_names())}")
    known = list(arms) if arms is not None else arm_names()
    labels, canonical = [], []
    for policy in policies:
        if not isinstance(policy, str) or not policy.strip():
            raise ValueError(f"a policy must be a non-empty string, got {policy!r}")
        canonical.append(str(PolicySpec.parse(policy.strip(), known_arms=known)))
        labels.append(policy.strip())
    repeated = sorted({labels[i] for i, c in enumerate(canonical) if canonical.count(c) > 1})
    if repeated:
        raise ValueError(f"policy listed more than once: {', '.join(repeated)}")
    return labels


@dataclass(frozen=True)
class Reformulation:
    """Whether users follow a failed broad ask with a more specific search: the chance
    (``share``) and the query types that may be (``types``)."""

    share: float = 0.0
    types: tuple[str, ...] = REFORMULATE_TYPES


def check_reformulate_types(types: Sequence[str] | None) -> tuple[str, ...]:
    """The query types users may follow up (None: :data:`REFORMULATE_TYPES`); ValueError for a type
    with no follow-up (:data:`~ltrr.simulate.queries.FOLLOW_UP_TYPES`)."""
    if types is None:
        return REFORMULATE_TYPES
    if isinstance(types, str):
        types = [types]
    chosen = tuple(dict.fromkeys(str(t) for t in types))
    unknown = [t for t in chosen if t not in FOLLOW_UP_TYPES]
    if unknown:
        raise ValueError(f"reformulate_types: no follow-up for {', '.join(unknown)}; "
                         f"choose from {', '.join(FOLLOW_UP_TYPES)}")
    return chosen


def _run(engines: dict[str, Any], stream: list[Interaction], seed: int, clicks, k: int,
         progress: ProgressFn, should_stop, on_step, retry_share: float = 0.0,
         follow: Reformulation = Reformulation()) -> tuple[list[dict], int, bool]:
    records: list[dict] = []
    total = len(stream) * len(engines)
    fixed = [p for p in engines if is_fixed(p)] or list(engines)
    # Running success sums per (policy, type), for the provisional regret passed to on_step.
    sums: dict[tuple[str, str], list[float]] = {}
    completed = 0
    for it in stream:
        if should_stop is not None and should_stop():
            return records, completed, True
        step_records = []
        for policy, engine in engines.items():
            # No follow-ups asked for: no generator either (share 0 is the runner as it was).
            rephrase = reformulate_rng(seed, it.step) if follow.share > 0 else None
            record = _one_search(engine, policy, it, clicks, click_rng(seed, it.step), k,
                                 retry_share, retry_rng(seed, it.step), follow, rephrase)
            acc = sums.setdefault((policy, it.query_type), [0.0, 0.0])
            acc[0] += record["success"]
            acc[1] += 1
            step_records.append(record)
        best = max((sums[(p, it.query_type)][0] / sums[(p, it.query_type)][1] for p in fixed
                    if (p, it.query_type) in sums), default=0.0)
        for record in step_records:
            record["regret"] = best - record["success"]
            records.append(record)
            if on_step is not None:
                on_step(record["policy"], it.step, dict(record))
        completed = it.step
        progress(completed * len(engines), total, "simulating")
    return records, completed, False


def click_rng(seed: int, step: int) -> np.random.Generator:
    """The click model's random numbers for one step: the same for every policy (common random numbers)."""
    return np.random.default_rng([seed, step, 0xC11C])


def retry_rng(seed: int, step: int) -> np.random.Generator:
    """A step's random numbers for the user's second search: whether they retry, and their clicks on it."""
    return np.random.default_rng([seed, step, 0x2E7])


def reformulate_rng(seed: int, step: int) -> np.random.Generator:
    """A step's random numbers for the follow-up of a failed broad ask: whether the user makes it,
    and their clicks on it (the same for every policy; apart from the retry's, so neither setting
    moves the other's draws)."""
    return np.random.default_rng([seed, step, 0x4EF0])


def answer(engine, response, it: Interaction, clicks, rng: np.random.Generator):
    """The simulated user's reaction to ``response``: each click fed back, or a skip; returns the outcome.

    A search the engine drew for judgment (``response.judge``) is then judged: the simulator,
    as an assessor, names every entity that would have satisfied it.
    """
    outcome = clicks.clicks([r.entity_id for r in response.results], it.relevant, rng)
    if outcome.clicks:
        for _, entity in outcome.clicks:
            engine.feedback(response.id, entity, "click")
    else:
        engine.feedback(response.id, action="skip")
    if getattr(response, "judge", False):
        engine.judge(response.id, sorted(it.relevant))
    return outcome


def retry(engine, response, outcome, it: Interaction, clicks, k: int, share: float,
          rng: np.random.Generator | None) -> tuple[int, int]:
    """The user a search failed may search again by the target's name (``it.retry``), with
    chance ``share``; a satisfying click there is told to the engine as ``found_later`` on the
    first search. Returns (retried, found_later) as 0/1. ``rng`` is :func:`retry_rng`'s."""
    if rng is None or share <= 0:
        return 0, 0
    # Drawn before looking at the outcome, so every policy's user draws the same numbers.
    wants = bool(rng.random() < share)
    if not wants or outcome.satisfied or not it.retry:
        return 0, 0
    second = engine.search(it.retry, it.context, k=k)
    follow = answer(engine, second, it, clicks, rng)
    found = next((e for _, e in follow.clicks if e in it.relevant), None)
    if not follow.satisfied or found is None:
        return 1, 0
    engine.feedback(response.id, found, "found_later")
    return 1, 1


def reformulate(engine, outcome, it: Interaction, clicks, k: int, follow: Reformulation,
                rng: np.random.Generator | None) -> tuple[int, int, str]:
    """The user a broad ask of ``follow.types`` failed may, with chance ``follow.share``, search
    again more specifically (``it.follow_up``) in the same session (``it.context``, its
    ``session_id`` included). Their clicks there are ordinary feedback on that search, judged
    against the same wants (``it.relevant``). Returns (reformulated, satisfied, text typed).
    ``rng`` is :func:`reformulate_rng`'s."""
    if rng is None or follow.share <= 0 or it.query_type not in follow.types:
        return 0, 0, ""
    # Drawn before looking at the outcome, so every policy's user draws the same numbers.
    wants = bool(rng.random() < follow.share)
    if not wants or outcome.satisfied or not it.follow_up:
        return 0, 0, ""
    second = engine.search(it.follow_up, it.context, k=k)
    reaction = answer(engine, second, it, clicks, rng)
    return 1, int(reaction.satisfied), it.follow_up


def arm_milliseconds(response) -> dict[str, float]:
    """Each arm that ran on ``response``'s search -> its milliseconds (see ``arm_ms`` above):
    the engine's timing, which for a cached arm is what its list took when computed."""
    out = {}
    for choice in response.selection:
        measured = response.timings.get(f"arm:{choice.arm}")
        if choice.selected and measured is not None:   # not selected, or nothing ran (empty query)
            out[choice.arm] = float(measured)
    return out


def _one_search(engine, policy: str, it: Interaction, clicks, rng: np.random.Generator, k: int,
                retry_share: float = 0.0, again: np.random.Generator | None = None,
                follow: Reformulation = Reformulation(), rephrase: np.random.Generator | None = None) -> dict:
    started = time.perf_counter()
    response = engine.search(it.query, it.context, k=k)
    latency = (time.perf_counter() - started) * 1000
    first = reward.rank_in([r.entity_id for r in response.results], it.relevant, max_rank=None)
    outcome = answer(engine, response, it, clicks, rng)
    selected = [c for c in response.selection if c.selected]
    budgets = {c.arm: int(c.budget) for c in selected}
    # The selected arms' lists as returned (each cut at its budget; an arm that did not run: []).
    lists = {a: [r.entity_id for r in response.by_arm.get(a, [])] for a in budgets}
    ranks = reward.arm_ranks(lists, it.relevant, max_rank=None)
    hit_arms = [a for a, hit in reward.hits(ranks, budgets).items() if hit]
    retried, found_later = retry(engine, response, outcome, it, clicks, k, retry_share, again)
    reformulated, follow_success, follow_text = reformulate(engine, outcome, it, clicks, k, follow, rephrase)
    return {
        "policy": policy, "step": it.step, "user_id": it.user_id, "query_type": it.query_type,
        "query": it.query, "intent": it.intent.description,
        "success": int(first is not None), "reciprocal_rank": 1.0 / first if first else 0.0,
        "reward": int(outcome.satisfied), "clicked": int(bool(outcome.clicks)), "regret": np.nan,
        "clicked_rank": outcome.first_click[0] if outcome.first_click else 0,
        "covered": int(reward.found(ranks, budgets)), "n_pool": len(response.pool),
        "n_candidates": len(response.pool),
        "n_retrieved": reward.cost(budgets, {a: len(ids) for a, ids in lists.items()}),
        "budget": int(sum(budgets.values())),
        "n_arms": len(selected), "arms": ",".join(c.arm for c in selected), "hit_arms": ",".join(sorted(hit_arms)),
        "arm_ms": round(sum(arm_milliseconds(response).values()), 3),
        "latency_ms": round(latency, 3), "ranker": response.ranker,
        "phase": getattr(it, "phase", "before"), "explored": str(response.decision.get("explored") or "")
        if getattr(response, "decision", None) else 0,
        "retried": retried, "found_later": found_later,
        "reformulated": reformulated, "reformulation_success": follow_success, "reformulation": follow_text,
    }


def _oracle(frame: pd.DataFrame, policies: list[str]) -> tuple[dict[str, float], dict[str, str]]:
    """Per query type, the best success@10 among the fixed arm sets of the run (see module docstring)."""
    if not len(frame):
        return {}, {}
    fixed = [p for p in policies if is_fixed(p)] or policies
    rates = frame[frame["policy"].isin(fixed)].groupby(["query_type", "policy"])["success"].mean()
    oracle, who = {}, {}
    for qtype, group in rates.groupby(level=0):
        best = group.droplevel(0)
        # Ties go to the policy listed first.
        best = best.reindex([p for p in policies if p in best.index])
        who[qtype] = str(best.idxmax())
        oracle[qtype] = float(best.max())
    return oracle, who
