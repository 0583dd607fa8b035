"""Exporting the interaction log and reading an export back.

Export: Parquet, CSV, the raw JSONL, and OpenSearch User Behavior Insights
(:func:`to_ubi` / :func:`from_ubi`); :func:`load_exported` reads every one back,
every declared field included and in log order, so replaying any of them
rebuilds the same state.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from ltrr.events import FIELDS, OMIT_WHEN_NONE
from ltrr.log import json_safe, json_default, read_events, to_json_line
from ltrr.log_frame import SEARCH_JSON_COLUMNS, intent_of, log_frame

EXPORT_FORMATS = ("parquet", "csv", "jsonl", "ubi")


def export_events(events: list[dict], out_dir: str | Path, fmt: str = "parquet") -> Path:
    """Write the log to ``out_dir/interactions.<fmt>`` (the name is fixed: nothing user-supplied
    becomes a path component). ``jsonl`` writes the raw events, which `replay` reads back;
    ``ubi`` writes ``interactions.ubi.ndjson``, see :func:`to_ubi`."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = UBI_FILE if fmt == "ubi" else f"interactions.{fmt}"
    dest = out / name
    tmp = out / f".{name}.tmp"
    if fmt in ("jsonl", "ubi"):
        lines = (to_json_line(ev) for ev in events) if fmt == "jsonl" else _ubi_bulk_lines(events)
        with open(tmp, "wb") as fh:
            for line in lines:
                fh.write(line)
    else:
        frame = log_frame(events)
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    os.replace(tmp, dest)
    return dest


# --------------------------------------------------------------------------- OpenSearch UBI

UBI_FILE = "interactions.ubi.ndjson"
UBI_QUERIES, UBI_EVENTS = "ubi_queries", "ubi_events"
UBI_APPLICATION = "ltrr"
# Search fields UBI has no name for (every declared one but the query, its id, user, time and
# hits): kept under query_attributes so nothing replay reads is lost.
_SEARCH_EXTRAS = tuple(name for name in FIELDS["search"] if name not in ("id", "query", "user_id", "ts", "results"))
_STANDARD_FEEDBACK = {"v", "kind", "ts", "search_id", "entity_id", "action", "position"}


def to_ubi(events: Iterable[dict]) -> Iterator[tuple[str, dict]]:
    """The log as OpenSearch User Behavior Insights documents: ``(index, document)`` pairs.

    A search becomes a ``ubi_queries`` document: ``query_id`` (the response id,
    also ``query_response_id``), ``user_query``, ``client_id`` (the user),
    ``timestamp``, ``query_response_hit_ids`` (the shown entity ids, in order),
    ``application`` and ``object_id_field`` (``entity_id``). Feedback becomes a
    ``ubi_events`` document: ``action_name`` (``click``, ``skip``, ...),
    ``query_id``, ``client_id``/``user_id``, ``timestamp`` and
    ``event_attributes.object.object_id`` with ``event_attributes.position.ordinal``
    (1-based; both absent for a skip, which names no entity).

    What UBI has no field for (the bandit's selection, the arms' lists, the
    context vector, the rewards) goes into ``query_attributes`` /
    ``event_attributes`` as ``ltrr_*`` JSON strings: strings, so OpenSearch's
    dynamic mapping never sees mixed-type arrays; there, so the export is lossless.
    """
    users: dict[str, str] = {}
    for ev in events:
        if ev.get("kind") == "search":
            users[ev["id"]] = ev.get("user_id")
            extras = {k: ev[k] for k in _SEARCH_EXTRAS if k in ev}
            selection = ev.get("selection") or []
            yield UBI_QUERIES, {
                "query_id": ev["id"],
                "query_response_id": ev["id"],
                "user_query": ev.get("query"),
                "client_id": ev.get("user_id"),
                "timestamp": ev.get("ts"),
                "application": UBI_APPLICATION,
                "object_id_field": "entity_id",
                "query_response_hit_ids": list(ev.get("results") or []),
                "query_attributes": {
                    "policy": ev.get("policy"),
                    "intent": intent_of(ev.get("understanding")),
                    "arms_selected": ",".join(s["arm"] for s in selection if s.get("selected")),
                    "ltrr_search": json.dumps(json_safe(extras), ensure_ascii=False, default=json_default),
                },
            }
        elif ev.get("kind") == "feedback":
            user = users.get(ev["search_id"])
            attributes: dict[str, Any] = {}
            if ev.get("entity_id") is not None:
                attributes["object"] = {"object_id": ev["entity_id"], "object_id_field": "entity_id"}
            if isinstance(ev.get("position"), int):
                attributes["position"] = {"ordinal": ev["position"]}
            extras = {k: v for k, v in ev.items() if k not in _STANDARD_FEEDBACK}
            attributes["ltrr_feedback"] = json.dumps(json_safe(extras), ensure_ascii=False, default=json_default)
            yield UBI_EVENTS, {
                "action_name": ev.get("action"),
                "query_id": ev["search_id"],
                "client_id": user,
                "user_id": user,
                "timestamp": ev.get("ts"),
                "application": UBI_APPLICATION,
                "event_attributes": attributes,
            }


def _ubi_bulk_lines(events: Iterable[dict]) -> Iterator[bytes]:
    """OpenSearch ``_bulk`` body: an ``index`` action line before each document, so
    ``curl -H 'Content-Type: application/x-ndjson' -XPOST host:9200/_bulk --data-binary @FILE``
    loads both UBI indexes (a query's ``_id`` is its ``query_id``)."""
    for index, doc in to_ubi(events):
        doc = {k: v for k, v in doc.items() if v is not None}      # UBI fields are strings, never null
        action = {"index": {"_index": index, **({"_id": doc["query_id"]} if index == UBI_QUERIES else {})}}
        yield to_json_line(action)
        yield to_json_line(doc)


def from_ubi(pairs: Iterable[tuple[str, dict]]) -> list[dict]:
    """ltrr events from UBI ``(index, document)`` pairs, the inverse of :func:`to_ubi`.

    The UBI fields are authoritative; ``ltrr_*`` attributes, when present, add
    what UBI cannot hold. Documents from other UBI sources (no ``ltrr_*``) give
    searches with their hits and feedback with its object and position.
    Raises ValueError naming the document and field when a required field is missing.
    """
    events: list[dict] = []
    for n, (index, doc) in enumerate(pairs, start=1):
        if not isinstance(doc, dict):
            raise ValueError(f"UBI document {n} is not an object")
        if index == UBI_QUERIES:
            query_id, user_query = _strings(doc, ("query_id", "user_query"), "query", n)
            attributes = _object_field(doc, "query_attributes", n)
            extras = _json_attribute(attributes.get("ltrr_search"), n)
            hits = doc.get("query_response_hit_ids") or []
            if not isinstance(hits, list) or not all(isinstance(h, (str, int)) and not isinstance(h, bool)
                                                     for h in hits):
                raise ValueError(f"UBI query document {n}: query_response_hit_ids must be a list of ids")
            events.append({
                **extras, "kind": "search", "id": query_id, "query": user_query,
                "query_norm": extras.get("query_norm", user_query),
                "user_id": doc.get("client_id") or "", "ts": doc.get("timestamp"),
                "results": [str(h) for h in hits],
                "policy": extras.get("policy", attributes.get("policy")),
                "selection": extras.get("selection", []), "by_arm": extras.get("by_arm", {}),
                "x": extras.get("x", []),
            })
        elif index == UBI_EVENTS:
            query_id, action = _strings(doc, ("query_id", "action_name"), "event", n)
            attributes = _object_field(doc, "event_attributes", n)
            extras = _json_attribute(attributes.get("ltrr_feedback"), n)
            obj = _object_field(attributes, "object", n)
            ordinal = _object_field(attributes, "position", n).get("ordinal")
            if ordinal is not None and (not isinstance(ordinal, int) or isinstance(ordinal, bool)):
                raise ValueError(f"UBI event document {n}: position.ordinal must be a whole number")
            object_id = obj.get("object_id")
            if object_id is not None and not isinstance(object_id, (str, int)) or isinstance(object_id, bool):
                raise ValueError(f"UBI event document {n}: object.object_id must be a string or a number")
            events.append({
                **extras, "kind": "feedback", "search_id": query_id, "action": action,
                "entity_id": None if object_id is None else str(object_id),
                "position": ordinal, "ts": doc.get("timestamp"),
            })
        else:
            raise ValueError(f"UBI document {n} is for index {index!r}, not {UBI_QUERIES} or {UBI_EVENTS}")
    return events


def _strings(doc: dict, keys: tuple[str, ...], what: str, n: int) -> tuple[str, ...]:
    """The required string fields of UBI document ``n``; ValueError naming them otherwise."""
    values = tuple(doc.get(key) for key in keys)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"UBI {what} document {n} lacks a string {' and '.join(keys)}")
    return values


def _object_field(doc: dict, key: str, n: int) -> dict:
    """``doc[key]`` when it is an object, {} when absent; ValueError naming it otherwise."""
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"UBI document {n}: {key} must be an object")
    return value


def _json_attribute(text: object, n: int) -> dict:
    if text is None:
        return {}
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(f"UBI document {n}: an ltrr_* attribute is not a JSON object string")
    return value


def read_ubi(path: str | Path) -> list[dict]:
    """ltrr events from an ``_bulk`` file written by ``export --format ubi`` (action + document lines)."""
    pairs: list[tuple[str, dict]] = []
    action: dict | None = None
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except ValueError:
                raise ValueError(f"{path}: line {number} is not JSON") from None
            if action is None:
                target = item.get("index") or item.get("create") if isinstance(item, dict) else None
                if not isinstance(target, dict) or "_index" not in target:
                    raise ValueError(f"{path}: line {number} should be an index action naming _index")
                action = target
            else:
                pairs.append((action["_index"], item))
                action = None
    if action is not None:
        raise ValueError(f"{path}: the last action line has no document")
    return from_ubi(pairs)


def load_exported(path: str | Path) -> list[dict]:
    """Events from an exported log (jsonl raw events, UBI ndjson, or parquet/csv rows), for replay and OPE."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return read_events(path)
    if path.name.endswith(".ndjson"):
        return read_ubi(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:   # every cell as written: no number guessed from an id, no blank read as NaN
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    placed: list[tuple[float, int, dict]] = []
    for row in frame.to_dict("records"):
        search = {"kind": "search"}
        for name in FIELDS["search"]:
            if name not in row:         # an export written before the column existed
                continue
            cell = json.loads(row[name]) if name in SEARCH_JSON_COLUMNS else _plain_cell(row[name])
            if cell is not None or name not in OMIT_WHEN_NONE:    # a field the search did not use
                search[name] = cell
        placed.append((_seq(row.get("seq")), len(placed), search))
        for click in json.loads(row["clicks"]):
            seq = click.pop("seq", None)
            placed.append((_seq(seq), len(placed), {"kind": "feedback", "search_id": search["id"], **click}))
    # The log's order when the export kept it (``seq``), else the table's: each search, then its feedback.
    if all(seq == seq for seq, _, _ in placed):
        placed.sort(key=lambda item: item[0])
    return [event for _, _, event in placed]


def _seq(cell: object) -> float:
    """An event's place in the log from a table export's cell (NaN when the export has none)."""
    try:
        return float(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _plain_cell(cell: object) -> object:
    """A plain column's value: None for a missing one (NaN in a table)."""
    return None if isinstance(cell, float) and cell != cell else cell
