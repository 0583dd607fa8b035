"""The reward rule: the one place that says what a search was worth to each arm.

Everything that scores retrieval (the engine's bandit update, off-policy
evaluation, the simulator, the app's reports) calls these functions, so a
change to the objective is made here once.

**The objective.** Per search, the value of an arm configuration
``{arm: budget}`` is::

    value = found - cost_per_candidate * candidates

where ``found`` is 1 when the entity the user wanted (the clicked one) lies
within the first ``budget`` results of at least one selected arm, and
``candidates`` counts what the arms return: each arm's budget, or fewer when
its list is shorter (the coverage learner, the tuning pass and this module
all count it so). Worked example with
``cost_per_candidate = 0.005``: lexical at budget 3 finds the clicked song at
rank 2 and fuzzy at budget 10 finds it at rank 7; ``found = 1``, 13 candidates
cost 0.065, value 0.935. Dropping fuzzy keeps ``found = 1`` at 3 candidates:
value 0.985, so the cheaper configuration is better by the objective.

**Ranks, not rewards, are what is learned.** Arms are deterministic, so after
a click the clicked entity's rank in *every* arm's list (selected or not) can
be computed up to :data:`MAX_RANK`: :func:`arm_ranks`. From one click every
``(arm, budget)`` pair learns whether it would have found the item. A rank of
``None`` means "not within ``MAX_RANK``" (censored).

**Credit.** When several selected arms found the item, each gets an equal
share (:func:`marginal_credit`): this is the Shapley value of the coverage
game ``v(S) = 1 if some arm in S found it``, in which every finder is
interchangeable. An arm that alone found the click earns 1; one of three
redundant finders earns 1/3.

**Two counts, two names.** *Candidates* are what the arms return: per
selected arm its budget or its shorter list, summed (:func:`cost`); an entity
two arms return counts twice, because both arms did the work. The *pool* is
what is left after the union: the distinct entities the ranker scores. The
simulator records both (``n_retrieved`` and ``n_pool``); "candidates" never
means the pool.

**One rule, two forms.** Each rule has a form for one search (mappings keyed
by arm) and a vectorised form over many searches (numpy arrays with one
column per arm, ranks coded :data:`NOT_FOUND` where the entity is not within
``MAX_RANK``): :func:`found` / :func:`found_rows`, :func:`cost` /
:func:`cost_rows`, :func:`rank_in` / :func:`rank_code`. The tuner, the
coverage learner's replay and the benchmarks use the vectorised forms.
"""
from __future__ import annotations

from typing import AbstractSet, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

# The budget ladder: how many candidates an arm may be asked for. 0 = not run.
BUDGET_LADDER: tuple[int, ...] = (0, 1, 3, 5, 10, 20, 50)
MAX_RANK = BUDGET_LADDER[-1]
# Rank code for "not within MAX_RANK" in the vectorised forms: above every budget, so never found.
NOT_FOUND = MAX_RANK + 1


def wanted_ranks(ids: Sequence[str], wanted: str | AbstractSet[str] | None,
                 max_rank: int | None = MAX_RANK) -> Iterator[int]:
    """Every 1-based rank in ``ids`` (first ``max_rank`` only; None: the whole list) that holds
    ``wanted`` (one id, or any of a set of ids), in rank order."""
    if wanted is None:
        return
    targets = {wanted} if isinstance(wanted, str) else wanted
    for i, eid in enumerate(ids if max_rank is None else ids[:max_rank], start=1):
        if eid in targets:
            yield i


def rank_in(ids: Sequence[str], entity_id: str | AbstractSet[str] | None,
            max_rank: int | None = MAX_RANK) -> int | None:
    """The first wanted rank: 1-based rank of ``entity_id`` in ``ids`` (first ``max_rank`` only;
    None: the whole list), else None; given a set of ids, the rank of the first of them (where a
    configuration finds any of them, or where a shown list first satisfies)."""
    return next(wanted_ranks(ids, entity_id, max_rank), None)


def rank_code(ids: Sequence[str], entity_id: str | AbstractSet[str] | None, max_rank: int = MAX_RANK) -> int:
    """:func:`rank_in` as the vectorised forms code it: :data:`NOT_FOUND` for None."""
    rank = rank_in(ids, entity_id, max_rank)
    return NOT_FOUND if rank is None else rank


def arm_ranks(lists: Mapping[str, Sequence[str]], entity_id: str | None,
              max_rank: int = MAX_RANK) -> dict[str, int | None]:
    """Per arm, the rank of ``entity_id`` in that arm's list (None: not within ``max_rank``)."""
    return {arm: rank_in(ids, entity_id, max_rank) for arm, ids in lists.items()}


def hits(ranks: Mapping[str, int | None], budgets: Mapping[str, int]) -> dict[str, bool]:
    """Per arm with a budget > 0: did it find the item within its budget?"""
    return {arm: (b > 0 and ranks.get(arm) is not None and ranks[arm] <= b)  # type: ignore[operator]
            for arm, b in budgets.items() if b > 0}


def found(ranks: Mapping[str, int | None], budgets: Mapping[str, int]) -> bool:
    """True when at least one arm found the item within its budget."""
    return any(hits(ranks, budgets).values())


def marginal_credit(ranks: Mapping[str, int | None], budgets: Mapping[str, int]) -> dict[str, float]:
    """Per arm with a budget > 0: its Shapley share of finding the item (0 if it missed)."""
    h = hits(ranks, budgets)
    n = sum(h.values())
    return {arm: (1.0 / n if hit else 0.0) for arm, hit in h.items()}


def cost(budgets: Mapping[str, int], counts: Mapping[str, int] | None = None) -> int:
    """Candidates returned: per arm its budget, or its list length (``counts``) when shorter."""
    counts = counts or {}
    return int(sum(min(max(0, int(b)), int(counts.get(arm, b))) for arm, b in budgets.items()))


def found_rows(ranks: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """:func:`found` over many searches: ``ranks`` (searches, arms) coded with :data:`NOT_FOUND`,
    ``budgets`` (arms,) for one configuration or (searches, arms) for one per search; per
    search, True when some arm ranks the item within its budget (budget 0: not run)."""
    return (np.asarray(ranks) <= np.asarray(budgets)).any(axis=-1)


def cost_rows(counts: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """:func:`cost` over many searches: ``counts`` (searches, arms) list lengths, ``budgets`` as
    in :func:`found_rows`; per search, the candidates the configuration's arms return."""
    return np.minimum(np.asarray(counts), np.maximum(np.asarray(budgets), 0)).sum(axis=-1)


def value(ranks: Mapping[str, int | None], budgets: Mapping[str, int], cost_per_candidate: float,
          counts: Mapping[str, int] | None = None) -> float:
    """The objective for one search: found minus ``cost_per_candidate`` per candidate returned."""
    return float(found(ranks, budgets)) - cost_per_candidate * cost(budgets, counts)


def selected_budgets(selection: Iterable[Mapping]) -> dict[str, int]:
    """``{arm: budget}`` of the selected arms from a logged ``selection`` list."""
    return {s["arm"]: int(s["budget"]) for s in selection if s.get("selected") and int(s.get("budget", 0)) > 0}


def logged_lists(by_arm: Mapping[str, Sequence]) -> dict[str, list[str]]:
    """``{arm: [entity_id, ...]}`` from a logged ``by_arm`` (pairs of id and score)."""
    return {arm: [p[0] if isinstance(p, (list, tuple)) else p for p in pairs] for arm, pairs in by_arm.items()}


def selected_finds(search: Mapping) -> dict[str, list[str]]:
    """``{arm: [entity_id, ...]}``: each selected arm of a logged search, its finds within its budget."""
    lists = logged_lists(search.get("by_arm") or {})
    return {arm: lists.get(arm, [])[:budget] for arm, budget in selected_budgets(search.get("selection") or []).items()}


def _holders(finds: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many of the lists ``finds`` holds each entity (an arm's repeats count once)."""
    held_by: dict[str, int] = {}
    for items in finds.values():
        for e in set(items):
            held_by[e] = held_by.get(e, 0) + 1
    return held_by


def novel_shares(search: Mapping) -> dict[str, float]:
    """Per selected arm of a logged search that ran two arms or more: the share of its finds within
    its budget that no other selected arm returned (what it added to the pool the ranker scores;
    an arm with an empty list is left out). Arms that return the same entities cost the pool
    once, however many lists they are in."""
    cut = selected_finds(search)
    if len(cut) < 2:
        return {}
    held_by = _holders(cut)
    return {arm: sum(held_by[e] == 1 for e in items) / len(items) for arm, items in cut.items() if items}


def crowding_shares(search: Mapping, entity_id: str | None) -> dict[str, float]:
    """Per selected arm of a clicked search that ran two arms or more: of its finds within its
    budget that no other selected arm returned (what it added to the pool, :func:`novel_shares`),
    the share shown above the clicked entity: places in front of what was wanted that only this
    arm put there (0 for an arm that added nothing). Empty when the click is not among the shown
    ``results`` or fewer than two arms ran. A find shown below the click, or not shown, took no
    place from it: an arm is charged for what it pushes down, not for its size."""
    results = list(search.get("results") or [])
    if not entity_id or entity_id not in results:
        return {}
    cut = selected_finds(search)
    if len(cut) < 2:
        return {}
    above = set(results[:results.index(entity_id)])
    held_by = _holders(cut)
    out = {}
    for arm, items in cut.items():
        if items:
            own = [e for e in set(items) if held_by[e] == 1]
            out[arm] = sum(e in above for e in own) / len(own) if own else 0.0
    return out


def seen_shares(search: Mapping, looked: Callable[[int], float]) -> dict[str, float]:
    """Per selected arm of a logged search: the chance that its best-placed find within its budget
    was looked at, ``looked(position)`` at its 1-based position among the shown ``results`` (0
    where none of its finds was shown). A search nobody clicked says that an arm failed it only
    as far as its finds were seen: one shown ninth, below what people look at, says little."""
    shown = {e: i + 1 for i, e in enumerate(search.get("results") or [])}
    out = {}
    for arm, items in selected_finds(search).items():
        at = [shown[e] for e in items if e in shown]
        out[arm] = float(looked(min(at))) if at else 0.0
    return out


def search_credit(search: Mapping, entity_id: str | None) -> dict[str, float]:
    """Per selected arm of a logged search, its credit for a click on ``entity_id`` (skip: all 0)."""
    budgets = selected_budgets(search.get("selection") or [])
    lists = logged_lists(search.get("by_arm") or {})
    ranks = arm_ranks({a: lists.get(a, []) for a in budgets}, entity_id)
    return marginal_credit(ranks, budgets)
