"""The interaction log: an append-only JSON-lines file, the source of truth of
the learning state.

Durability: each event is one ``os.write`` on an ``O_APPEND`` descriptor, done
before the call that caused it returns. A process killed with SIGKILL loses
nothing it acknowledged (the kernel already holds the bytes); ``fsync=True``
also survives a power cut, at the price of a disk flush per event. A torn last
line (the process died mid-write, before acknowledging) is dropped on read.

Event kinds (every event has ``v``, ``kind``, ``ts``): ``search``,
``feedback`` and ``reformulation`` (the engine's, learned from sessions),
every field declared, typed and validated in :mod:`ltrr.events`
(the only place that builds or reads one); :meth:`InteractionLog.append`
refuses an event that breaks it, reading stays lenient so old logs load.

Reading: :func:`log_frame` folds events into one row per search (the table
the app shows and Parquet/CSV exports); :func:`cached_log_frame` keeps that
table per log file and reads only the bytes appended since the last call.
Export: Parquet, CSV, the raw JSONL, and OpenSearch User Behavior Insights
(:func:`to_ubi` / :func:`from_ubi`); :func:`load_exported` reads every one back,
every declared field included and in log order, so replaying any of them
rebuilds the same state.
"""
from __future__ import annotations

import json
import math
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from ltrr.events import FIELDS, OMIT_WHEN_NONE, check_event, event_error, value

LOG_VERSION = 1
EXPORT_FORMATS = ("parquet", "csv", "jsonl", "ubi")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):          # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):        # numpy arrays
        return value.tolist()
    return str(value)


def to_json_line(event: dict) -> bytes:
    """One event as a single JSON line (NaN/inf become null so every reader can parse it)."""
    text = json.dumps(_finite(event), ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return (text + "\n").encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def is_valid_event(event: object) -> bool:
    """True for a search or feedback event with every field replay needs (:mod:`ltrr.events`)."""
    return event_error(event) is None


def line_start(fh, pos: int, chunk: int = 4096) -> int:
    """Offset just after the last newline before byte ``pos`` of a binary file (0 when none)."""
    while pos > 0:
        lo = max(0, pos - chunk)
        fh.seek(lo)
        idx = fh.read(pos - lo).rfind(b"\n")
        if idx >= 0:
            return lo + idx + 1
        pos = lo
    return 0


class InteractionLog:
    """Append and read events; thread-safe appends."""

    def __init__(self, path: Path, fsync: bool = False, read_only: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._lock = threading.Lock()
        self._fd: int | None = None
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._drop_torn_tail()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _drop_torn_tail(self) -> None:
        """Cut an unterminated last line left by a crash mid-write (it was never acknowledged)."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            fh.truncate(line_start(fh, size - 1))

    def append(self, event: dict) -> int:
        """Write one event durably (see module docstring) before returning; returns the byte
        offset its line starts at (for :meth:`read_at`)."""
        if self._fd is None:
            raise RuntimeError("interaction log opened read-only")
        check_event(event)          # the contract (ltrr.events): nothing undeclared or mistyped is written
        line = to_json_line({"v": LOG_VERSION, **event})
        with self._lock:
            written = os.write(self._fd, line)
            while written < len(line):  # short writes are rare but legal
                written += os.write(self._fd, line[written:])
            if self.fsync:
                os.fsync(self._fd)
            # O_APPEND leaves the descriptor's position at the end of what it wrote.
            return os.lseek(self._fd, 0, os.SEEK_CUR) - len(line)

    def events(self) -> Iterator[dict]:
        """Every intact event in order; unparseable lines are skipped (and counted in `skipped`)."""
        for _, event in self.events_from(0):
            yield event

    def events_from(self, start: int = 0) -> Iterator[tuple[int, dict]]:
        """``(byte offset, event)`` for every intact event whose line starts at or after ``start``
        (a line boundary, e.g. a checkpoint's offset); unparseable lines are counted in `skipped`."""
        self.skipped = 0
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            fh.seek(start)
            offset = start
            for raw in fh:
                at, offset = offset, offset + len(raw)
                if not raw.endswith(b"\n"):
                    self.skipped += 1
                    continue
                try:
                    event = json.loads(raw)
                except ValueError:
                    self.skipped += 1
                    continue
                if is_valid_event(event):
                    yield at, event
                else:
                    self.skipped += 1

    def read_at(self, offset: int) -> dict | None:
        """The event whose line starts at byte ``offset`` (from :meth:`append` or :meth:`events_from`);
        None when no intact event starts there (the log was cut or replaced)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(int(offset))
                raw = fh.readline()
        except (OSError, ValueError, OverflowError):
            return None
        if not raw.endswith(b"\n"):
            return None
        try:
            event = json.loads(raw)
        except ValueError:
            return None
        return event if is_valid_event(event) else None

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def read_events(path: str | Path) -> list[dict]:
    """All intact events of a log file (a missing file is an empty log)."""
    return list(InteractionLog(Path(path), read_only=True).events())


_SHOWN_COLUMNS = ["id", "ts", "user_id", "query", "query_norm", "policy", "intent", "arms_selected",
                  "n_results", "results", "clicks", "n_clicks", "context", "understanding",
                  "selection", "by_arm", "x"]
# Plain columns (the value itself); every other declared search field is a JSON column.
_PLAIN = ("id", "ts", "user_id", "query", "query_norm", "policy")
# The search fields the shown columns leave out (decision, arm_ms, and what the rank stage tried),
# kept as JSON columns so that replaying a table export rebuilds what the jsonl export does.
_MORE_SEARCH = [name for name in FIELDS["search"] if name not in _SHOWN_COLUMNS]
# ``seq``: the event's place in the log (also in each click entry), so that a table export
# replays in the log's order, not grouped by search.
FRAME_COLUMNS = _SHOWN_COLUMNS + _MORE_SEARCH + ["seq"]
_SEARCH_JSON = [name for name in FIELDS["search"] if name not in _PLAIN]


def _search_row(ev: dict) -> dict:
    """The frame row of one search event, before its clicks are folded in."""
    selection = value(ev, "selection") or []
    return {
        "id": value(ev, "id"),
        "ts": value(ev, "ts"),
        "user_id": value(ev, "user_id"),
        "query": value(ev, "query"),
        "query_norm": value(ev, "query_norm"),
        "policy": value(ev, "policy"),
        "intent": _intent(value(ev, "understanding")),
        "arms_selected": ",".join(s["arm"] for s in selection if s.get("selected")),
        "n_results": len(value(ev, "results") or []),
        "results": json.dumps(value(ev, "results") or []),
        "clicks": "[]",
        "n_clicks": 0,
        "context": json.dumps(value(ev, "context") or {}, ensure_ascii=False),
        "understanding": json.dumps(value(ev, "understanding") or {}, ensure_ascii=False),
        "selection": json.dumps(selection),
        "by_arm": json.dumps(value(ev, "by_arm") or {}, ensure_ascii=False),
        "x": json.dumps(value(ev, "x") or []),
        **{name: json.dumps(_finite(ev.get(name)), ensure_ascii=False, default=_json_default)
           for name in _MORE_SEARCH},
    }


def _intent(understanding: object) -> object:
    """The QU intent of a logged understanding (None when the log holds something else)."""
    return understanding.get("intent") if isinstance(understanding, dict) else None


def _click_entry(ev: dict) -> dict:
    """A feedback as kept in its search's ``clicks``: the shown keys first, then every other
    declared field the event holds (credit, ranks, counts: what replay reads)."""
    entry = {"entity_id": value(ev, "entity_id"), "position": value(ev, "position"),
             "action": value(ev, "action"), "ts": value(ev, "ts")}
    entry.update({k: ev[k] for k in FIELDS["feedback"] if k in ev and k not in entry and k != "search_id"})
    return entry


class _FrameFold:
    """Folds events, in log order, into the one-row-per-search frame.

    Holds only the frame built so far plus a search id -> row position map,
    so folding the new tail of a log costs the tail, not the whole log.
    Feedback for a search not (yet) seen is kept aside and attached when the
    search arrives, exactly as folding the whole list at once would.
    """

    def __init__(self) -> None:
        self.frame = pd.DataFrame(columns=FRAME_COLUMNS)
        self._position: dict[str, int] = {}
        self._orphans: dict[str, list[dict]] = {}
        self._seq = 0                                   # events folded so far (the next one's place)

    def add(self, events: Iterable[dict]) -> None:
        new_rows: list[dict] = []
        new_at: dict[str, int] = {}                     # id -> index in new_rows
        touched: dict[int, list[dict]] = {}             # frame position -> its full click list
        for ev in events:
            seq, self._seq = self._seq, self._seq + 1
            if ev["kind"] == "search":
                sid = ev["id"]
                row = _search_row(ev)
                row["seq"] = seq
                pos = self._position.get(sid)
                if pos is not None:                     # a repeated id keeps its place and clicks
                    clicks = touched.get(pos)
                    if clicks is None:
                        clicks = json.loads(self.frame.iat[pos, _CLICKS])
                    self._replace_row(pos, row)
                    touched[pos] = clicks
                    continue
                if sid in new_at:
                    old = new_rows[new_at[sid]]
                    row["clicks"], row["n_clicks"] = old["clicks"], old["n_clicks"]
                    new_rows[new_at[sid]] = row
                    continue
                clicks = self._orphans.pop(sid, [])
                row["clicks"] = clicks                   # a list until the frame is built
                row["n_clicks"] = 0
                new_at[sid] = len(new_rows)
                new_rows.append(row)
            elif ev["kind"] == "feedback":              # a reformulation is no row's click
                sid = ev["search_id"]
                entry = _click_entry(ev)
                entry["seq"] = seq
                if sid in new_at:
                    new_rows[new_at[sid]]["clicks"].append(entry)
                elif sid in self._position:
                    pos = self._position[sid]
                    if pos not in touched:
                        touched[pos] = json.loads(self.frame.iat[pos, _CLICKS])
                    touched[pos].append(entry)
                else:
                    self._orphans.setdefault(sid, []).append(entry)
        for pos, clicks in touched.items():
            self.frame.iat[pos, _CLICKS] = json.dumps(clicks, ensure_ascii=False)
            self.frame.iat[pos, _N_CLICKS] = _n_clicks(clicks)
        if new_rows:
            for row in new_rows:
                clicks = row["clicks"]
                row["clicks"] = json.dumps(clicks, ensure_ascii=False)
                row["n_clicks"] = _n_clicks(clicks)
            start = len(self.frame)
            tail = pd.DataFrame(new_rows, columns=FRAME_COLUMNS)
            self.frame = tail if start == 0 else pd.concat([self.frame, tail], ignore_index=True)
            for i, row in enumerate(new_rows):
                self._position[row["id"]] = start + i

    def _replace_row(self, pos: int, row: dict) -> None:
        for col, cell in row.items():
            if col not in ("clicks", "n_clicks"):
                self.frame.iat[pos, FRAME_COLUMNS.index(col)] = cell


_CLICKS = FRAME_COLUMNS.index("clicks")
_N_CLICKS = FRAME_COLUMNS.index("n_clicks")


def _n_clicks(clicks: list[dict]) -> int:
    return sum(1 for c in clicks if c["action"] == "click")


def log_frame(events: Iterable[dict]) -> pd.DataFrame:
    """One row per search with its clicks folded in: the exported log's schema.

    Columns: id, ts, user_id, query, query_norm, policy, intent, arms_selected,
    n_results, results (JSON list), clicks (JSON list of {entity_id, position,
    action, ts}), n_clicks, context, understanding, selection, by_arm, x (JSON).
    """
    fold = _FrameFold()
    fold.add(events)
    return fold.frame


class LogFrameCache:
    """``log_frame(read_events(path))``, kept current by reading only what was appended.

    Each call stats the file: unchanged size -> the cached frame; grown ->
    only the new complete lines are parsed and folded in. A file that shrank,
    was replaced, or whose first line changed (``reset`` moves the log away
    and starts a new one) is read again from the start. Thread-safe.
    """

    _HEAD = 512          # bytes of the first line remembered to recognise the same log

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._restart()

    def _restart(self) -> None:
        self._fold = _FrameFold()
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._head = b""
        self.reads = 0                     # how many times bytes were read (for tests)

    def frame(self) -> pd.DataFrame:
        """The current frame (a copy: callers may change it freely)."""
        with self._lock:
            self._catch_up()
            return self._fold.frame.copy()

    def _catch_up(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._restart()
            return
        identity = (st.st_dev, st.st_ino)
        if identity != self._identity or st.st_size < self._offset or not self._same_head():
            self._restart()
            self._identity = identity
        if st.st_size == self._offset:
            return
        with open(self.path, "rb") as fh:
            fh.seek(self._offset)
            data = fh.read(st.st_size - self._offset)
        self.reads += 1
        end = data.rfind(b"\n") + 1       # a torn or in-flight last line waits for the next call
        if end == 0:
            return
        if self._offset == 0:
            self._head = data[:min(end, self._HEAD)]
        self._offset += end
        self._fold.add(_parse_lines(data[:end].splitlines()))

    def _same_head(self) -> bool:
        if not self._head:
            return True
        try:
            with open(self.path, "rb") as fh:
                return fh.read(len(self._head)) == self._head
        except OSError:
            return False


def _parse_lines(lines: Iterable[bytes]) -> Iterator[dict]:
    """The valid events among raw log lines (the same rule as InteractionLog.events)."""
    for raw in lines:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if is_valid_event(event):
            yield event


_FRAME_CACHES: "OrderedDict[str, LogFrameCache]" = OrderedDict()
_FRAME_CACHES_MAX = 4          # as many as the app keeps engines open (EngineHub.max_engines)
_FRAME_CACHES_LOCK = threading.Lock()


def cached_log_frame(path: str | Path) -> pd.DataFrame:
    """:func:`log_frame` of the log file at ``path``, cached per file (the last 4 files used).

    Repeated calls on an unchanged log cost a ``stat``; after new events, the
    cost of the new events only.
    """
    key = str(Path(path).resolve())
    with _FRAME_CACHES_LOCK:
        cache = _FRAME_CACHES.pop(key, None) or LogFrameCache(key)
        _FRAME_CACHES[key] = cache
        while len(_FRAME_CACHES) > _FRAME_CACHES_MAX:
            _FRAME_CACHES.popitem(last=False)
    return cache.frame()


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
                    "intent": _intent(ev.get("understanding")),
                    "arms_selected": ",".join(s["arm"] for s in selection if s.get("selected")),
                    "ltrr_search": json.dumps(_finite(extras), ensure_ascii=False, default=_json_default),
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
            attributes["ltrr_feedback"] = json.dumps(_finite(extras), ensure_ascii=False, default=_json_default)
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
            cell = json.loads(row[name]) if name in _SEARCH_JSON else _plain_cell(row[name])
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
