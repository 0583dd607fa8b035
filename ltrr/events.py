"""The event contract: what the interaction log holds, typed, validated on read.

Two kinds of event make the log (``state/log/events.jsonl``), the source of
truth every learner is derived from:

* :class:`SearchEvent` — one per ``Engine.search``: the query, its context and
  understanding, the bandit's context vector, the selection (per arm: budget
  and exact propensities), the coverage policy's ``decision``, each selected
  arm's list and the shown results.
* :class:`FeedbackEvent` — one per ``Engine.feedback``: a click, a skip or a
  ``found_later`` (what the user found after leaving the search), the credit
  (:mod:`ltrr.reward`), and for the first click of a search, and for a later
  find, that entity's rank in every arm's list for the search's query
  (``arm_ranks``); and one per ``Engine.judge`` (action ``judged``: the first
  rank of any wanted entity in every arm's list, no credit).

:func:`event_error` names the first missing or mistyped field (``None`` when
the event is valid); :func:`parse_event` turns a dict into its dataclass or
raises :class:`EventError` with that message. The engine, replay, the
exports and off-policy evaluation read the log through these.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from ltrr.errors import LtrrError


class EventError(LtrrError, ValueError):
    """A log event that does not follow the contract; the message names the field."""


@dataclass(frozen=True)
class SearchEvent:
    """One search as logged."""

    id: str
    query: str
    query_norm: str
    user_id: str
    results: list
    selection: list
    by_arm: dict
    x: list
    ts: str = ""
    context: dict = field(default_factory=dict)
    understanding: dict = field(default_factory=dict)
    policy: str = ""
    decision: dict | None = None
    arm_ms: dict | None = None          # measured run time (ms) of each arm that ran


@dataclass(frozen=True)
class FeedbackEvent:
    """One click, skip or later find as logged."""

    search_id: str
    action: str
    entity_id: str | None = None
    ts: str = ""
    position: int | None = None
    rewards: dict = field(default_factory=dict)
    bandit_update: bool = False
    duplicate: bool = False
    arm_ranks: dict | None = None
    arm_counts: dict | None = None


# Fields replay cannot do without, with their JSON types.
REQUIRED: dict[str, dict[str, type]] = {
    "search": {"id": str, "query": str, "query_norm": str, "user_id": str, "results": list,
               "selection": list, "by_arm": dict, "x": list},
    "feedback": {"search_id": str, "action": str},
}
_CLASSES = {"search": SearchEvent, "feedback": FeedbackEvent}


def event_error(event: object) -> str | None:
    """Why ``event`` breaks the contract (naming the field), or None when it is valid."""
    if not isinstance(event, Mapping):
        return f"an event must be a JSON object, got {type(event).__name__}"
    kind = event.get("kind")
    if not isinstance(kind, str) or kind not in REQUIRED:
        return f"unknown event kind {kind!r}; expected one of {', '.join(REQUIRED)}"
    for name, kind_type in REQUIRED[kind].items():
        if name not in event:
            return f"{kind} event: missing field {name!r}"
        if not isinstance(event[name], kind_type):
            return f"{kind} event: field {name!r} must be {kind_type.__name__}, got {type(event[name]).__name__}"
    if kind == "search":
        for i, sel in enumerate(event["selection"]):
            if not isinstance(sel, Mapping) or not isinstance(sel.get("arm"), str):
                return f"search event: selection[{i}] must be an object with an 'arm' name"
    elif event.get("entity_id") is not None and not isinstance(event["entity_id"], str):
        return "feedback event: field 'entity_id' must be a string or null"
    return None


def parse_event(event: object) -> SearchEvent | FeedbackEvent:
    """The typed event; raises :class:`EventError` naming the first bad field."""
    problem = event_error(event)
    if problem is not None:
        raise EventError(problem)
    cls = _CLASSES[event["kind"]]  # type: ignore[index]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in event.items() if k in names})  # type: ignore[union-attr]


def to_record(event: SearchEvent | FeedbackEvent) -> dict[str, Any]:
    """The JSON-ready dict of a typed event (``kind`` first)."""
    kind = "search" if isinstance(event, SearchEvent) else "feedback"
    return {"kind": kind, **{f.name: getattr(event, f.name) for f in fields(event)}}
