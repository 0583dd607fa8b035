"""Failure attribution: when a search did not show what was wanted, which stage lost it.

For a search and the entities it should have shown (the simulator's hidden
target, or what the user clicked), exactly one outcome, checked in this order:

``success``
    a wanted entity is in the shown list.
``ranking_loss``
    a wanted entity was in the pool (a selected arm retrieved it within its
    budget) but the ranker put it below the shown ``k``.
``budget_loss``
    no selected arm had it within its budget, but some arm has it within
    :data:`DEPTH` (50, the largest budget): a selected arm with too small a
    budget ("found by fuzzy at rank 14: a budget of 10 would have missed
    it"), or an arm the bandit did not run.
``retrieval_miss``
    no arm retrieves it even at the largest budget.

With several wanted entities (a broad intent), the best outcome of any of
them is reported. The four outcomes partition every search with a target,
so per query type they account for 100 % of the failures by construction
(:func:`attribution_table` checks and reports it).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping, Sequence

import pandas as pd

from ltrr.events import value
from ltrr.reward import MAX_RANK, arm_ranks, logged_lists, selected_budgets

DEPTH = MAX_RANK
OUTCOMES = ("success", "ranking_loss", "budget_loss", "retrieval_miss")
FAILURES = OUTCOMES[1:]


@dataclass(frozen=True)
class Attribution:
    """The outcome of one search for its wanted entities, and the evidence."""

    outcome: str                   # one of OUTCOMES, or "no_target"
    entity_id: str | None          # the wanted entity the outcome is about
    arm: str | None                # the arm that found it (best rank), if any
    arm_rank: int | None           # its rank in that arm's list
    budget: int | None             # that arm's budget in this search (0: not run)
    shown_rank: int | None         # its rank in the shown list (success only)
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def attribute(wanted: Iterable[str], shown: Sequence[str], budgets: Mapping[str, int],
              ranks: Mapping[str, Mapping[str, int | None]]) -> Attribution:
    """The outcome for one search (module docstring).

    ``shown``: the shown list; ``budgets``: ``{arm: budget}`` of the selected
    arms; ``ranks``: per wanted entity, its rank in every arm's list up to
    :data:`DEPTH` (None: not found), e.g. the ``arm_ranks`` of a feedback event.
    """
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return Attribution("no_target", None, None, None, None, None, "no wanted entity: nothing to attribute")
    position = {e: r for r, e in enumerate(shown, start=1)}
    hits = [(position[e], e) for e in wanted if e in position]
    if hits:
        rank, entity = min(hits)
        arm, arm_rank = _best_arm(ranks.get(entity, {}), budgets, within_budget=True)
        return Attribution("success", entity, arm, arm_rank, budgets.get(arm or "", 0) if arm else None, rank,
                           f"shown at rank {rank}")
    pooled = _closest(wanted, ranks, budgets, within_budget=True)
    if pooled:
        arm_rank, entity, arm = pooled
        return Attribution("ranking_loss", entity, arm, arm_rank, budgets[arm], None,
                           f"retrieved by {arm} at rank {arm_rank} (budget {budgets[arm]}) but ranked below "
                           f"the {len(shown)} shown")
    found = _closest(wanted, ranks, budgets, within_budget=False)
    if found:
        arm_rank, entity, arm = found
        budget = int(budgets.get(arm, 0))
        if budget > 0:
            message = f"found by {arm} at rank {arm_rank}: a budget of {budget} would have missed it"
        else:
            message = f"found by {arm} at rank {arm_rank}, but {arm} was not run"
        return Attribution("budget_loss", entity, arm, arm_rank, budget, None, message)
    return Attribution("retrieval_miss", wanted[0], None, None, None, None,
                       f"no arm retrieves it within the top {DEPTH}")


def attribute_search(search: Mapping, wanted: Iterable[str], lists: Mapping[str, Sequence[str]],
                     feedback: Iterable[Mapping] = ()) -> Attribution:
    """:func:`attribute` for a logged search event, from what was logged with it.

    Each wanted entity's rank in an arm is, in this order:

    1. within a selected arm's budget, its place in that arm's logged list (what it returned
       then: the memory arm changes as clicks come in);
    2. the ``arm_ranks`` logged with the search's ``feedback`` (its first click, a later find
       or a judgment: every arm's rank when that feedback came, the wanted set's first for a
       judgment), for the entity that feedback names;
    3. only for an arm and entity nothing was logged for (an arm that did not run and no
       feedback ranked it), ``lists``: every arm's ids now, up to :data:`DEPTH`.
    """
    logged = logged_lists(value(search, "by_arm") or {})
    budgets = selected_budgets(value(search, "selection") or [])
    wanted = list(wanted)
    # Today's lists behind each ran arm's logged list (the fallback of step 3).
    now_lists = {arm: list(ids) for arm, ids in lists.items()}
    for arm, ids in logged.items():
        now_lists[arm] = list(ids) + [e for e in now_lists.get(arm, []) if e not in set(ids)]
    logged_ranks = feedback_ranks(feedback, wanted)
    ranks: dict[str, dict[str, int | None]] = {}
    for entity in wanted:
        merged = arm_ranks(now_lists, entity, DEPTH)
        for arm, rank in logged_ranks.get(entity, {}).items():
            ids = logged.get(arm)
            if ids is not None and (entity in ids or rank is not None and rank <= len(ids)):
                continue   # the arm's own logged list decides within its length
            merged[arm] = rank
        ranks[entity] = merged
    return attribute(wanted, value(search, "results") or [], budgets, ranks)


def feedback_ranks(feedback: Iterable[Mapping], wanted: Sequence[str]) -> dict[str, dict[str, int | None]]:
    """Per wanted entity, the arm ranks logged with a search's feedback (the first that ranks it).

    A click or later find ranks its entity; a judgment ranks the first of its wanted set, so its
    ranks stand for a wanted entity only when exactly that one entity is wanted."""
    out: dict[str, dict[str, int | None]] = {}
    for fb in feedback:
        ranks = value(fb, "arm_ranks")
        if not isinstance(ranks, Mapping):
            continue
        entity = value(fb, "entity_id")
        if value(fb, "action") == "judged" and len(wanted) == 1:
            entity = wanted[0]
        if entity in wanted and entity not in out:
            out[entity] = dict(ranks)
    return out


def attribution_table(rows: Iterable[tuple[str, Attribution | Mapping]]) -> pd.DataFrame:
    """Per query type: searches, each outcome's count, failures, each failure kind's share of the
    failures and ``accounted`` (share of failures with a kind: 1.0 unless an outcome is unknown).

    ``rows``: (query type, attribution or its dict).
    """
    counts: dict[str, dict[str, int]] = {}
    for qtype, item in rows:
        outcome = item.outcome if isinstance(item, Attribution) else str(item["outcome"])
        row = counts.setdefault(str(qtype), {o: 0 for o in (*OUTCOMES, "other")})
        row[outcome if outcome in OUTCOMES else "other"] += 1
    records = []
    for qtype, row in sorted(counts.items()):
        failures = sum(row[o] for o in FAILURES) + row["other"]
        record = {"query_type": qtype, "searches": sum(row.values()), **{o: row[o] for o in OUTCOMES},
                  "failures": failures}
        for o in FAILURES:
            record[f"{o}_share"] = row[o] / failures if failures else 0.0
        record["accounted"] = (failures - row["other"]) / failures if failures else 1.0
        records.append(record)
    columns = ["query_type", "searches", *OUTCOMES, "failures", *(f"{o}_share" for o in FAILURES), "accounted"]
    return pd.DataFrame(records, columns=columns)


def _closest(wanted: list[str], ranks: Mapping, budgets: Mapping[str, int],
             within_budget: bool) -> tuple[int, str, str] | None:
    """(arm rank, entity, arm) of the wanted entity some arm ranks best (within budgets if asked)."""
    found = []
    for entity in wanted:
        arm, arm_rank = _best_arm(ranks.get(entity, {}), budgets, within_budget=within_budget)
        if arm is not None:
            found.append((arm_rank, entity, arm))
    return min(found) if found else None


def _best_arm(ranks: Mapping[str, int | None], budgets: Mapping[str, int],
              within_budget: bool) -> tuple[str | None, int | None]:
    """The arm with the best rank (ties: name order); ``within_budget``: only selected arms within budget."""
    best: tuple[int, str] | None = None
    for arm, rank in ranks.items():
        if rank is None:
            continue
        if within_budget and not (budgets.get(arm, 0) > 0 and rank <= budgets[arm]):
            continue
        if best is None or (rank, arm) < best:
            best = (rank, arm)
    return (best[1], best[0]) if best else (None, None)
