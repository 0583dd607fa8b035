"""The event contract: the only place that builds or reads a log event.

Four kinds of event make the log (``state/log/events.jsonl``), the source of
truth every learner is derived from:

* :class:`SearchEvent` — one per ``Engine.search``: the query, its context and
  understanding, the policy (its canonical spec, ``str(PolicySpec)``: see
  :func:`logged_policy`), the
  bandit's context vector, the selection (per arm: budget and exact
  propensities; ``empty`` where the arm's exact probe said it had nothing for
  the query, so it was not offered), the coverage policy's ``decision``, each arm's measured run
  time (``arm_ms``), each selected arm's list and the shown results; and what
  the rank stage tried (:mod:`ltrr.rank.stage`): an adjacent ``swap``, an
  ``interleave``-ing, the ``pinned`` entity, the ``expose``-d explored finds;
  and the user's lean per genre as they searched (``affinity``), so that a
  search's ranker features rebuilt later hold no click that came after it.
* :class:`FeedbackEvent` — one per ``Engine.feedback``: a click, a skip or a
  ``found_later`` (what the user found after leaving the search), the credit
  (:mod:`ltrr.reward`), and for the first click of a search, and for a later
  find, that entity's rank in every arm's list for the search's query
  (``arm_ranks``); and one per ``Engine.judge`` (action ``judged``: the first
  rank of any wanted entity in every arm's list, how many were wanted
  (``n_wanted``), no credit).
* :class:`ReformulationEvent` — written by the engine, never by a caller: a
  search that failed (``search_id``: skipped, or left without a click) was
  followed in the same session by a search (``to_id``) whose click found
  ``entity_id`` (:mod:`ltrr.engine.sessions`). It carries the failed query as
  the memory keys it (``query_norm``), the satisfied one (``to_query``: what
  the vague ask turned into), and the user as a hash (``user_key``,
  :func:`ltrr.memory.reformulation.user_key`), never the id. Replay applies it as
  logged: the chain is not detected again, so replay needs no session state
  beyond what the log says. Named ``search_id`` like feedback's, because it
  is evidence about that (failed) search, and is indexed with it.
* :class:`WarmEvent` — one per full-information search of another stream the
  coverage learner read before serving (``Engine.warm_start``,
  :mod:`ltrr.engine.warm`): its context vector ``x``, the rank of what it
  wanted in every arm's list (``arm_ranks``) and the lists' lengths
  (``arm_counts``). Not a search of this engine: no id, no results.

Writing: :func:`search_event`, :func:`feedback_event`, :func:`judged_event`,
:func:`rank_fields`, :func:`reformulation_event` and :func:`warm_event` build the JSON-ready
dicts the log stores, every field declared in :data:`FIELDS`, typed and validated
(:class:`EventError` names the first bad field); :func:`check_event` validates a whole event before it is
appended (``ltrr.log.InteractionLog.append``). Optional fields a search or
feedback did not use are left out of the record, not written as null.

Reading: :func:`event_error` names the first missing or mistyped field that
replay needs (``None`` when the event is readable: old logs without the newer
optional fields still load); :func:`parse_event` / :func:`as_search` /
:func:`as_feedback` / :func:`as_reformulation` give the typed view, and :func:`value` reads one declared
field of a raw event dict with its declared default (an undeclared name is a
bug, and raises).
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from numbers import Integral, Real
from typing import Any, Callable, Mapping

from ltrr.bandit.policy import PolicySpec
from ltrr.errors import LtrrError


class EventError(LtrrError, ValueError):
    """A log event that does not follow the contract; the message names the field."""


ACTIONS = ("click", "skip", "found_later", "judged")


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
    swap: dict | None = None            # {"pos", "p", "share"}: results pos and pos+1 traded places (pos 0:
                                        # could have, did not) with chance p (ltrr.rank.position)
    interleave: dict | None = None      # {"a", "b", "teams"}: team-draft interleaving of two rankers
    pinned: str | None = None           # the entity the memory rule put first
    expose: list | None = None          # per exposed arm {"arm", "entity_id", "p", "from", "to"}
    affinity: dict | None = None        # the user's lean per genre as they searched (the ranker's user_genre)


@dataclass(frozen=True)
class FeedbackEvent:
    """One click, skip, later find or judgment as logged."""

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
    n_wanted: int | None = None         # a judgment: how many entities were wanted
    # The ranks of arms whose lists changed since the search because of what it taught (the
    # memory), as they are now: read by the query's own cell (ltrr.engine.learning.full_ranks).
    arm_ranks_now: dict | None = None


@dataclass(frozen=True)
class ReformulationEvent:
    """A failed search followed, in its session, by a satisfied one (see the module docstring)."""

    search_id: str                      # the failed search
    to_id: str                          # the search whose click satisfied the user
    entity_id: str                      # what that click found
    query_norm: str                     # the failed search's normalised query (the memory's key)
    user_key: str                       # a hash of the user (ltrr.memory.reformulation.user_key)
    to_query: str = ""                  # the satisfied search's normalised query
    ts: str = ""


@dataclass(frozen=True)
class WarmEvent:
    """A full-information search of another stream, read before serving (see the module docstring)."""

    x: list
    arm_ranks: dict
    arm_counts: dict | None = None
    ts: str = ""


# --------------------------------------------------------------------------- field checks
# Each returns None when the value is fine, else what it should be.
Check = Callable[[Any], "str | None"]


def _is_int(v: object) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _is_num(v: object) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _str(v: object) -> str | None:
    return None if isinstance(v, str) else "a string"


def _bool(v: object) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _int(v: object) -> str | None:
    return None if _is_int(v) else "a whole number"


def _dict(v: object) -> str | None:
    return None if isinstance(v, Mapping) else "an object"


def _strings(v: object) -> str | None:
    return None if isinstance(v, list) and all(isinstance(e, str) for e in v) else "a list of strings"


def _numbers(v: object) -> str | None:
    return None if isinstance(v, list) and all(_is_num(e) or e is None for e in v) else "a list of numbers"


def _num_map(v: object) -> str | None:
    ok = isinstance(v, Mapping) and all(_is_num(e) or e is None for e in v.values())
    return None if ok else "an object of numbers"


def _rank_map(v: object) -> str | None:
    ok = isinstance(v, Mapping) and all(_is_int(e) or e is None for e in v.values())
    return None if ok else "an object of ranks (whole numbers or null)"


def _selection(v: object) -> str | None:
    if not isinstance(v, list):
        return "a list"
    for i, sel in enumerate(v):
        if not isinstance(sel, Mapping) or not isinstance(sel.get("arm"), str):
            return f"a list of objects with an 'arm' name (item {i} is not)"
        if "selected" in sel and not isinstance(sel["selected"], bool):
            return f"a list whose 'selected' flags are true or false (item {i})"
        if "empty" in sel and not isinstance(sel["empty"], bool):
            return f"a list whose 'empty' flags are true or false (item {i})"
        if "budget" in sel and not _is_int(sel["budget"]):
            return f"a list whose budgets are whole numbers (item {i})"
        for key in ("propensity", "budget_propensity", "expectation"):
            if sel.get(key) is not None and not _is_num(sel[key]):
                return f"a list whose {key} values are numbers (item {i})"
    return None


def _by_arm(v: object) -> str | None:
    if not isinstance(v, Mapping):
        return "an object"
    for arm, pairs in v.items():
        if not isinstance(pairs, list) or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            return f"an object of [entity_id, score] lists ({arm!r} is not)"
    return None


def _swap(v: object) -> str | None:
    # Logs of the first swap design have no "share"; "pos" 0 is a logged non-swap.
    ok = isinstance(v, Mapping) and _is_int(v.get("pos")) and v["pos"] >= 0 and _is_num(v.get("p")) \
        and 0 < v["p"] <= 1 and (v.get("share") is None or (_is_num(v["share"]) and 0 <= v["share"] <= 1))
    return None if ok else "an object with a whole 'pos' >= 0, a probability 'p' in (0, 1] and an optional 'share'"


def _interleave(v: object) -> str | None:
    ok = isinstance(v, Mapping) and isinstance(v.get("a"), str) and isinstance(v.get("b"), str) \
        and _strings(v.get("teams")) is None
    return None if ok else "an object with rankers 'a', 'b' and a list of 'teams'"


def _expose(v: object) -> str | None:
    if not isinstance(v, list):
        return "a list"
    for item in v:
        if not (isinstance(item, Mapping) and isinstance(item.get("arm"), str)
                and isinstance(item.get("entity_id"), str) and _is_num(item.get("p"))
                and _is_int(item.get("from")) and _is_int(item.get("to"))):
            return "a list of {arm, entity_id, p, from, to}"
    return None


def _action(v: object) -> str | None:
    return None if v in ACTIONS else f"one of {', '.join(ACTIONS)}"


@dataclass(frozen=True)
class Field:
    """One declared field: its check, whether replay needs it, whether it may be null."""

    check: Check
    required: bool = False
    nullable: bool = False


# Every field of every event kind, in the order a record is written.
FIELDS: dict[str, dict[str, Field]] = {
    "search": {
        "id": Field(_str, required=True),
        "ts": Field(_str, nullable=True),
        "user_id": Field(_str, required=True),
        "query": Field(_str, required=True),
        "query_norm": Field(_str, required=True),
        "context": Field(_dict, nullable=True),
        "understanding": Field(_dict, nullable=True),
        "policy": Field(_str, nullable=True),
        "x": Field(_numbers, required=True),
        "selection": Field(_selection, required=True),
        "decision": Field(_dict, nullable=True),
        "arm_ms": Field(_num_map, nullable=True),
        "by_arm": Field(_by_arm, required=True),
        "results": Field(_strings, required=True),
        "swap": Field(_swap, nullable=True),
        "interleave": Field(_interleave, nullable=True),
        "pinned": Field(_str, nullable=True),
        "expose": Field(_expose, nullable=True),
        "affinity": Field(_num_map, nullable=True),
    },
    "feedback": {
        "ts": Field(_str, nullable=True),
        "search_id": Field(_str, required=True),
        "entity_id": Field(_str, nullable=True),
        "action": Field(_action, required=True),
        "position": Field(_int, nullable=True),
        "rewards": Field(_num_map, nullable=True),
        "bandit_update": Field(_bool),
        "duplicate": Field(_bool),
        "arm_ranks": Field(_rank_map, nullable=True),
        "arm_counts": Field(_rank_map, nullable=True),
        "n_wanted": Field(_int, nullable=True),
        "arm_ranks_now": Field(_rank_map, nullable=True),
    },
    "reformulation": {
        "ts": Field(_str, nullable=True),
        "search_id": Field(_str, required=True),
        "to_id": Field(_str, required=True),
        "entity_id": Field(_str, required=True),
        "query_norm": Field(_str, required=True),
        "to_query": Field(_str, nullable=True),
        "user_key": Field(_str, required=True),
    },
    "warm": {
        "ts": Field(_str, nullable=True),
        "x": Field(_numbers, required=True),
        "arm_ranks": Field(_rank_map, required=True),
        "arm_counts": Field(_rank_map, nullable=True),
    },
}
# Left out of a written record when None: the search or feedback did not use them (readers
# test their presence, e.g. ``"interleave" in search``).
OMIT_WHEN_NONE = frozenset({"swap", "interleave", "pinned", "expose", "affinity", "arm_ranks", "arm_counts",
                            "n_wanted", "arm_ranks_now"})
# What replay cannot do without, with the JSON type a reader may rely on (old logs included).
REQUIRED: dict[str, dict[str, type]] = {
    "search": {"id": str, "query": str, "query_norm": str, "user_id": str, "results": list,
               "selection": list, "by_arm": dict, "x": list},
    "feedback": {"search_id": str, "action": str},
    "reformulation": {"search_id": str, "to_id": str, "entity_id": str, "query_norm": str, "user_key": str},
    "warm": {"x": list, "arm_ranks": dict},
}
_CLASSES = {"search": SearchEvent, "feedback": FeedbackEvent, "reformulation": ReformulationEvent,
            "warm": WarmEvent}
_KINDS = {cls: kind for kind, cls in _CLASSES.items()}


def _default(f: Any) -> Any:
    """A field's declared default; None for a required field (absent from a partial event)."""
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None if f.default is MISSING else f.default


_DEFAULTS: dict[str, dict[str, Any]] = {kind: {f.name: _default(f) for f in fields(cls)}
                                        for kind, cls in _CLASSES.items()}


# --------------------------------------------------------------------------- reading
def event_error(event: object) -> str | None:
    """Why ``event`` cannot be read (naming the field), or None when it is readable.

    Lenient on purpose: only the fields replay needs are checked, so logs written before
    a field was declared still load."""
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
    elif kind != "warm" and event.get("entity_id") is not None and not isinstance(event["entity_id"], str):
        return "feedback event: field 'entity_id' must be a string or null"
    return None


def parse_event(event: object) -> SearchEvent | FeedbackEvent | ReformulationEvent | WarmEvent:
    """The typed event; raises :class:`EventError` naming the first bad field."""
    problem = event_error(event)
    if problem is not None:
        raise EventError(problem)
    cls = _CLASSES[event["kind"]]  # type: ignore[index]
    defaults = _DEFAULTS[event["kind"]]  # type: ignore[index]
    # A null optional field reads as its declared default (old exports write null for absent).
    return cls(**{k: (defaults[k] if v is None else v)
                  for k, v in event.items() if k in defaults})  # type: ignore[union-attr]


def as_search(event: object) -> SearchEvent | None:
    """The typed search of a raw event; None for feedback or an unreadable event."""
    if not isinstance(event, Mapping) or event.get("kind") != "search" or event_error(event) is not None:
        return None
    return parse_event(event)  # type: ignore[return-value]


def as_feedback(event: object) -> FeedbackEvent | None:
    """The typed feedback of a raw event; None for a search or an unreadable event."""
    if not isinstance(event, Mapping) or event.get("kind") != "feedback" or event_error(event) is not None:
        return None
    return parse_event(event)  # type: ignore[return-value]


def as_reformulation(event: object) -> ReformulationEvent | None:
    """The typed reformulation of a raw event; None for any other kind or an unreadable event."""
    if not isinstance(event, Mapping) or event.get("kind") != "reformulation" or event_error(event) is not None:
        return None
    return parse_event(event)  # type: ignore[return-value]


def value(event: Mapping, name: str) -> Any:
    """Field ``name`` of a raw event dict, its declared default when absent or null.

    Raises KeyError for a name its kind does not declare (a reader asking for a field
    nobody writes is a bug)."""
    defaults = _DEFAULTS[event["kind"]] if "kind" in event else _DEFAULTS["search"]
    if name not in defaults:
        raise KeyError(f"{event.get('kind', 'search')} events declare no field {name!r}")
    found = event.get(name)
    if found is None:
        default = defaults[name]
        return dict(default) if isinstance(default, dict) else default
    return found


def logged_policy(event: Mapping) -> PolicySpec | None:
    """The policy a search was logged under: its canonical spec (``str(PolicySpec)``, logged since
    policies kept their settings) or an old log's bare name (``coverage``: its defaults); None when
    the search names none or something no policy parses."""
    text = value(event, "policy")
    try:
        return PolicySpec.parse(text) if text else None
    except ValueError:
        return None


def to_record(event: SearchEvent | FeedbackEvent | ReformulationEvent | WarmEvent) -> dict[str, Any]:
    """The JSON-ready dict of a typed event (``kind`` first; unused optional fields left out)."""
    return _record(_KINDS[type(event)], {f.name: getattr(event, f.name) for f in fields(event)})


# --------------------------------------------------------------------------- writing
def field_error(kind: str, event: Mapping) -> str | None:
    """Why ``event`` may not be written (the first undeclared, missing or mistyped field), or None."""
    declared = FIELDS[kind]
    for name in event:
        if name not in declared and name not in ("kind", "v"):
            return f"{kind} event: field {name!r} is not declared in ltrr.events.FIELDS"
    for name, spec in declared.items():
        if name not in event:
            if spec.required:
                return f"{kind} event: missing field {name!r}"
            continue
        v = event[name]
        if v is None:
            if spec.nullable:
                continue
            return f"{kind} event: field {name!r} may not be null"
        problem = spec.check(v)
        if problem is not None:
            return f"{kind} event: field {name!r} must be {problem}, got {_short(v)}"
    return None


def write_error(event: Mapping) -> str | None:
    """:func:`field_error` of a raw event of a known kind (None: it may be written)."""
    kind = event.get("kind")
    if kind not in FIELDS:
        return f"unknown event kind {kind!r}; expected one of {', '.join(FIELDS)}"
    return field_error(kind, event)


def declared(event: Mapping) -> dict[str, Any]:
    """An imported event reduced to its declared fields, ready to be written again: undeclared
    keys (another tool's, an older version's) dropped, an unused optional field left out, and a
    missing value read from a table (NaN in a CSV cell) made null where the field may be null."""
    kind = event.get("kind")
    out: dict[str, Any] = {"kind": kind}
    for name, spec in FIELDS.get(kind, {}).items():  # type: ignore[arg-type]
        if name not in event:
            continue
        v = event[name]
        if spec.nullable and isinstance(v, float) and v != v:
            v = None
        if v is None and name in OMIT_WHEN_NONE:
            continue
        out[name] = v
    return out


class Record(dict):
    """An event record built, and so validated, by this module's builders (a plain dict otherwise)."""


def check_event(event: object) -> None:
    """Validate a whole event before it is written; :class:`EventError` names the first bad field.
    A :class:`Record` from a builder was validated when built and is not checked again."""
    if isinstance(event, Record):
        return
    if not isinstance(event, Mapping) or event.get("kind") not in FIELDS:
        kind = event.get("kind") if isinstance(event, Mapping) else type(event).__name__
        raise EventError(f"unknown event kind {kind!r}; expected one of {', '.join(FIELDS)}")
    problem = field_error(event["kind"], event)
    if problem is not None:
        raise EventError(problem)


def _short(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _record(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The record of ``kind`` from ``values`` in the declared order, validated."""
    out: dict[str, Any] = Record(kind=kind)
    for name in FIELDS[kind]:
        if name not in values:
            continue
        v = values[name]
        if v is None and name in OMIT_WHEN_NONE:
            continue
        out[name] = v
    for name in values:
        if name not in FIELDS[kind]:
            raise EventError(f"{kind} event: field {name!r} is not declared in ltrr.events.FIELDS")
    problem = field_error(kind, out)
    if problem is not None:
        raise EventError(problem)
    return out


def search_event(*, id: str, ts: str, user_id: str, query: str, query_norm: str, context: Mapping,
                 understanding: Mapping, policy: str, x: list, selection: list, decision: Mapping | None,
                 arm_ms: Mapping | None, by_arm: Mapping, results: list, swap: Mapping | None = None,
                 interleave: Mapping | None = None, pinned: str | None = None,
                 expose: list | None = None, affinity: Mapping | None = None) -> dict[str, Any]:
    """The search record, validated (:class:`EventError` names a bad field)."""
    return _record("search", dict(
        id=id, ts=ts, user_id=user_id, query=query, query_norm=query_norm, context=context,
        understanding=understanding, policy=policy, x=x, selection=selection, decision=decision,
        arm_ms=arm_ms, by_arm=by_arm, results=results, swap=swap, interleave=interleave, pinned=pinned,
        expose=expose, affinity=affinity or None))


def rank_fields(*, swap: Mapping | None = None, interleave: Mapping | None = None, pinned: str | None = None,
                expose: list | None = None) -> dict[str, Any]:
    """The search record's fields the rank stage sets (:mod:`ltrr.rank.stage`), validated; the
    unused ones left out."""
    values = {"swap": swap, "interleave": interleave, "pinned": pinned, "expose": expose}
    out = {k: v for k, v in values.items() if v is not None}
    for name, v in out.items():
        problem = FIELDS["search"][name].check(v)
        if problem is not None:
            raise EventError(f"search event: field {name!r} must be {problem}, got {_short(v)}")
    return out


def feedback_event(*, ts: str, search_id: str, entity_id: str | None, action: str, position: int | None,
                   rewards: Mapping, bandit_update: bool, duplicate: bool,
                   arm_ranks: Mapping | None = None, arm_counts: Mapping | None = None,
                   arm_ranks_now: Mapping | None = None) -> dict[str, Any]:
    """A click, skip or later find's record, validated."""
    return _record("feedback", dict(
        ts=ts, search_id=search_id, entity_id=entity_id, action=action, position=position, rewards=rewards,
        bandit_update=bandit_update, duplicate=duplicate, arm_ranks=arm_ranks, arm_counts=arm_counts,
        arm_ranks_now=arm_ranks_now))


def judged_event(*, ts: str, search_id: str, arm_ranks: Mapping, arm_counts: Mapping | None,
                 n_wanted: int | None, arm_ranks_now: Mapping | None = None) -> dict[str, Any]:
    """A judgment's record (``Engine.judge``): every arm's first rank of what was wanted, no credit."""
    return _record("feedback", dict(
        ts=ts, search_id=search_id, entity_id=None, action="judged", position=None, rewards={},
        bandit_update=False, duplicate=False, arm_ranks=dict(arm_ranks), arm_counts=dict(arm_counts or {}),
        n_wanted=n_wanted, arm_ranks_now=arm_ranks_now))


def reformulation_event(*, ts: str, search_id: str, to_id: str, entity_id: str, query_norm: str, to_query: str,
                        user_key: str) -> dict[str, Any]:
    """A reformulation's record (failed ``search_id`` -> ``to_id`` clicked ``entity_id``), validated."""
    return _record("reformulation", dict(ts=ts, search_id=search_id, to_id=to_id, entity_id=entity_id,
                                         query_norm=query_norm, to_query=to_query, user_key=user_key))


def warm_event(*, ts: str, x: list, arm_ranks: Mapping, arm_counts: Mapping | None) -> dict[str, Any]:
    """A warm-start search's record (``Engine.warm_start``), validated."""
    return _record("warm", dict(ts=ts, x=list(x), arm_ranks=dict(arm_ranks),
                                arm_counts=None if arm_counts is None else dict(arm_counts)))
