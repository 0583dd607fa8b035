"""Small pandas summaries the pages show, computed from the engine's public frames.

Display statistics only: nothing here feeds back into learning.
"""
from __future__ import annotations

import json

import pandas as pd


def pulls_by_intent(log: pd.DataFrame) -> pd.DataFrame:
    """Per (intent, arm): how often the bandit ran the arm, and how often its list held a click.

    ``hit_rate`` is hits / pulls, where a hit is a search on which the arm was
    selected and one of the entities it returned (within its budget) was clicked.
    Input: ``engine.log_frame()`` (columns intent, selection, by_arm, clicks as JSON).
    """
    columns = ["intent", "arm", "pulls", "hits", "hit_rate"]
    if log is None or log.empty or not {"selection", "by_arm", "clicks"} <= set(log.columns):
        return pd.DataFrame(columns=columns)
    counts: dict[tuple[str, str], list[int]] = {}
    for row in log.itertuples(index=False):
        intent = str(getattr(row, "intent", None) or "any")
        selection = json_cell(row.selection, [])
        lists = json_cell(row.by_arm, {})
        clicked = {c.get("entity_id") for c in json_cell(row.clicks, []) if c.get("action") == "click"}
        for sel in selection:
            if not sel.get("selected"):
                continue
            ids = {pair[0] for pair in (lists.get(sel["arm"]) or [])[: int(sel.get("budget") or 0)]}
            entry = counts.setdefault((intent, sel["arm"]), [0, 0])
            entry[0] += 1
            entry[1] += bool(ids & clicked)
    frame = pd.DataFrame([(i, a, p, h) for (i, a), (p, h) in counts.items()], columns=columns[:4])
    frame["hit_rate"] = (frame["hits"] / frame["pulls"]).where(frame["pulls"] > 0, 0.0)
    return frame.sort_values(["intent", "pulls"], ascending=[True, False]).reset_index(drop=True)


def filter_log(log: pd.DataFrame, text: str = "", users: list[str] | None = None,
               policies: list[str] | None = None, intents: list[str] | None = None,
               clicked_only: bool = False) -> pd.DataFrame:
    """The log rows matching every given filter (an empty filter keeps everything).

    ``text`` matches the query as a case-insensitive substring (never a regex).
    """
    if log is None or log.empty:
        return log
    mask = pd.Series(True, index=log.index)
    if text:
        mask &= log["query"].fillna("").str.contains(str(text), case=False, regex=False)
    if users:
        mask &= log["user_id"].isin(users)
    if policies:
        mask &= log["policy"].isin(policies)
    if intents:
        mask &= log["intent"].fillna("any").isin(intents)
    if clicked_only:
        mask &= log["n_clicks"].fillna(0) > 0
    return log[mask]


def json_cell(value: object, default: object) -> object:
    """A log-frame cell holding JSON (or already parsed) as Python; ``default`` when empty or bad."""
    if isinstance(value, (list, dict)):
        return value
    try:
        return json.loads(value) if value else default
    except (TypeError, ValueError):
        return default
