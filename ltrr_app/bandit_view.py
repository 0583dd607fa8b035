"""The bandit for humans: probabilities in [0, 1], before/after a click, rolling cost and hit rate.

Plain pandas over the engine's public outputs (``SearchResponse.selection``,
``arm_report``, ``log_frame``); credit and hits come from :mod:`ltrr.reward`,
the one reward rule. No Streamlit here.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ltrr import reward
from ltrr_app.labels import count
from ltrr_app.reports import json_cell


def clip01(value: Any) -> float | None:
    """A probability for display: clipped to [0, 1]; None for missing or not-a-number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return min(1.0, max(0.0, number))


def estimates(report: Iterable[Mapping[str, Any]]) -> dict[str, float | None]:
    """Per arm, the bandit's estimated chance that the arm finds the wanted item, in [0, 1].

    Read from ``arm_report`` rows (``expected_reward``). Optimistic policies
    report upper bounds above 1; those are clipped here and shown raw under
    "details" only.
    """
    return {str(r["arm"]): clip01(r.get("expected_reward")) for r in report}


def chips(selection: Iterable[Any]) -> list[tuple[str, int]]:
    """(arm, budget) of the arms that ran, largest budget first."""
    ran = [(c.arm, int(c.budget)) for c in selection if c.selected and int(c.budget) > 0]
    return sorted(ran, key=lambda ab: (-ab[1], ab[0]))


def exploration_note(decision: Mapping[str, Any] | None, exposed: Sequence[Mapping[str, Any]] | None,
                     budgets: Mapping[str, int]) -> str | None:
    """A few plain sentences on how this search explored, or None when it did not (``budgets``:
    what each selected arm was asked for; exploring changed nothing when none exceeds its
    greedy budget, as before anything is learned, when every arm already runs; ``exposed``:
    the search's exposed finds, as logged)."""
    decision = decision or {}
    explored = decision.get("explored")
    greedy = decision.get("greedy") or {}
    tried = [str(a) for a in decision.get("tried") or [] if int(budgets.get(a, 0)) > 0]
    if explored and not any(int(b) > int(greedy.get(a, 0)) for a, b in budgets.items()):
        explored = None
    if not explored and not tried:
        return None
    text = ""
    if explored:
        how = {"wide": f"every arm ran with at least {count(min(int(b) for b in budgets.values()), 'candidate')}",
               "deepen": "one arm was asked for more candidates than usual"}.get(explored, "it tried more than usual")
        text = f"This search explored ({how}) to learn what the usual choice misses."
    if tried:
        arms = _and(tried)
        text += (" " if text else "") + (
            f"Earlier searches for these exact words found nothing, so it also tried the {arms} "
            f"arm{'s' if len(tried) > 1 else ''}, which they had not used.")
    alarm = decision.get("alarm")
    if isinstance(alarm, (int, float)) and alarm > 0:
        text += " Searches like this one have recently found less than before, so it explores more often."
    moved = [x for x in exposed or [] if x.get("from") != x.get("to")]
    if len(moved) == 1:
        x = moved[0]
        text += (f" Result #{x['to']} is the {x['arm']} arm's best new find, moved up from "
                 f"#{x['from']} so that a click on it can teach.")
    elif moved:
        places = _and([f"#{x['to']}" for x in moved])
        arms = _and([x["arm"] for x in moved])
        text += (f" Results {places} are the best new finds of the {arms} arms, moved up "
                 f"so that a click on them can teach.")
    return text


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def before_after(before: Mapping[str, float | None], after: Mapping[str, float | None],
                 found_arms: Iterable[str], ran: Iterable[str]) -> pd.DataFrame:
    """Long frame for the before/after bars of one click: arm, when, value, found, ran.

    A side with no estimate (a policy with no data yet for this context) is
    left out, never drawn as 0: the first click shows "after" bars alone.
    """
    found, ran = set(found_arms), set(ran)
    rows = []
    for arm in dict.fromkeys([*before, *after]):
        for when, value in (("before", clip01(before.get(arm))), ("after", clip01(after.get(arm)))):
            if value is not None:
                rows.append({"arm": arm, "when": when, "value": value, "found": arm in found, "ran": arm in ran})
    return pd.DataFrame(rows, columns=["arm", "when", "value", "found", "ran"])


def per_search(log: pd.DataFrame) -> pd.DataFrame:
    """One row per logged search: step, arms (how many ran), candidates, pool, hit.

    ``candidates`` are what the selected arms returned, each cut at its budget,
    summed (:func:`ltrr.reward.cost`: the simulator's ``n_retrieved``, so both
    pages count the same thing); ``pool`` the distinct entities among them,
    which the ranker scored (the simulator's ``n_pool``).

    ``hit`` is 1 when the first click was found by a selected arm within its
    budget (:func:`ltrr.reward.found`), 0 when it was not or the search was
    skipped, and missing for searches without feedback.
    """
    columns = ["step", "arms", "candidates", "pool", "hit"]
    if log is None or log.empty or "selection" not in log.columns:
        return pd.DataFrame(columns=columns)
    rows = []
    for step, row in enumerate(log.itertuples(index=False), start=1):
        selection = json_cell(getattr(row, "selection", None), [])
        budgets = reward.selected_budgets(selection)
        lists = reward.logged_lists(json_cell(getattr(row, "by_arm", None), {}))
        returned = {a: lists.get(a, [])[:b] for a, b in budgets.items()}
        pool = {e for ids in returned.values() for e in ids}
        clicks = [c for c in json_cell(getattr(row, "clicks", None), []) if isinstance(c, dict)]
        hit = None
        if clicks:
            first = clicks[0]
            if first.get("action") == "click" and first.get("entity_id"):
                ranks = reward.arm_ranks({a: lists.get(a, []) for a in budgets}, first["entity_id"])
                hit = float(reward.found(ranks, budgets))
            else:
                hit = 0.0
        rows.append({"step": step, "arms": len(budgets),
                     "candidates": reward.cost(budgets, {a: len(ids) for a, ids in returned.items()}),
                     "pool": len(pool), "hit": hit})
    return pd.DataFrame(rows, columns=columns)


ROLLING_LABELS = {"arms": "arms per search", "candidates": "candidates per search",
                  "hit": "hit rate (clicked item found)"}


def rolling(frame: pd.DataFrame, window: int = 20) -> pd.DataFrame:
    """Rolling means of :func:`per_search` in long form (step, metric, value); never NaN."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["step", "metric", "value"])
    parts = []
    for col, label in ROLLING_LABELS.items():
        series = pd.to_numeric(frame[col], errors="coerce")
        values = series.rolling(window, min_periods=1).mean()
        part = pd.DataFrame({"step": frame["step"], "metric": label, "value": values})
        parts.append(part.dropna())
    return pd.concat(parts, ignore_index=True)


def trail_key(query_norm: str, entity_id: str) -> str:
    return f"{query_norm}\x1f{entity_id}"


def update_trails(trails: dict[str, dict], query_norm: str, results: Iterable[Any]) -> None:
    """After a new search of a query, append each played entity's new rank (None when gone)."""
    ranks = {r.entity_id: int(r.rank) for r in results}
    for key, trail in trails.items():
        q, _, entity_id = key.partition("\x1f")
        if q == query_norm:
            trail["ranks"].append(ranks.get(entity_id))


def start_trail(trails: dict[str, dict], query_norm: str, entity_id: str, title: str, rank: int) -> None:
    """A Play on a result starts (or continues) its rank trail with the rank it was played at."""
    trail = trails.setdefault(trail_key(query_norm, entity_id), {"title": title, "ranks": []})
    if not trail["ranks"] or trail["ranks"][-1] != rank:
        trail["ranks"].append(rank)


def trail_text(ranks: Iterable[int | None]) -> str:
    """``[8, 4, 1]`` -> ``"8 → 4 → 1"`` (``None``: no longer in the list, shown as "–")."""
    return " → ".join("–" if r is None else str(r) for r in ranks)
