"""The interaction log as a pandas table: one row per search, its clicks folded in.

:func:`log_frame` folds events into one row per search (the table the app
shows and Parquet/CSV exports); :func:`cached_log_frame` keeps that table per
log file and reads only the bytes appended since the last call.
"""
from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

import pandas as pd

from ltrr.events import FIELDS, value
from ltrr.log import json_safe, json_default, parse_lines


_SHOWN_COLUMNS = ["id", "ts", "user_id", "query", "query_norm", "policy", "intent", "arms_selected",
                  "n_results", "results", "clicks", "n_clicks", "context", "understanding",
                  "selection", "by_arm", "x"]
# Plain columns (the value itself); every other declared search field is a JSON column.
PLAIN_COLUMNS = ("id", "ts", "user_id", "query", "query_norm", "policy")
# The search fields the shown columns leave out (decision, arm_ms, and what the rank stage tried),
# kept as JSON columns so that replaying a table export rebuilds what the jsonl export does.
_MORE_SEARCH = [name for name in FIELDS["search"] if name not in _SHOWN_COLUMNS]
# ``seq``: the event's place in the log (also in each click entry), so that a table export
# replays in the log's order, not grouped by search.
FRAME_COLUMNS = _SHOWN_COLUMNS + _MORE_SEARCH + ["seq"]
SEARCH_JSON_COLUMNS = [name for name in FIELDS["search"] if name not in PLAIN_COLUMNS]


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
        "intent": intent_of(value(ev, "understanding")),
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
        **{name: json.dumps(json_safe(ev.get(name)), ensure_ascii=False, default=json_default)
           for name in _MORE_SEARCH},
    }


def intent_of(understanding: object) -> object:
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
        self._fold.add(parse_lines(data[:end].splitlines()))

    def _same_head(self) -> bool:
        if not self._head:
            return True
        try:
            with open(self.path, "rb") as fh:
                return fh.read(len(self._head)) == self._head
        except OSError:
            return False


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
