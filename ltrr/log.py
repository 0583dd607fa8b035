"""The interaction log: an append-only JSON-lines file, the source of truth of
the learning state.

Durability: each event is one ``os.write`` on an ``O_APPEND`` descriptor, done
before the call that caused it returns. A process killed with SIGKILL loses
nothing it acknowledged (the kernel already holds the bytes); ``fsync=True``
also survives a power cut, at the price of a disk flush per event. A torn last
line (the process died mid-write, before acknowledging) is dropped on read.

Event kinds (every event has ``v``, ``kind``, ``ts``):

* ``search``: ``id, user_id, query, query_norm, context, understanding, policy,
  x (context vector), selection [{arm, selected, budget, propensity,
  expectation}], by_arm {arm: [[entity_id, score], ...]}, results [entity_id]``
* ``feedback``: ``search_id, entity_id, action, position, rewards {arm: r},
  bandit_update (bool), duplicate (bool)``
"""
from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

LOG_VERSION = 1
EXPORT_FORMATS = ("parquet", "csv", "jsonl")


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


_REQUIRED = {
    "search": {"id": str, "query": str, "query_norm": str, "user_id": str, "results": list,
               "selection": list, "by_arm": dict, "x": list},
    "feedback": {"search_id": str, "action": str},
}


def is_valid_event(event: object) -> bool:
    """True for a search or feedback event with every field replay needs, of the right type."""
    if not isinstance(event, dict):
        return False
    required = _REQUIRED.get(event.get("kind"))
    if required is None:
        return False
    if not all(isinstance(event.get(k), t) for k, t in required.items()):
        return False
    if event["kind"] == "search":
        return all(isinstance(s, dict) and isinstance(s.get("arm"), str) for s in event["selection"])
    return event.get("entity_id") is None or isinstance(event["entity_id"], str)


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
            # Walk back to the last newline.
            pos = size - 1
            chunk = 4096
            while pos > 0:
                start = max(0, pos - chunk)
                fh.seek(start)
                data = fh.read(pos - start)
                idx = data.rfind(b"\n")
                if idx >= 0:
                    fh.truncate(start + idx + 1)
                    return
                pos = start
            fh.truncate(0)

    def append(self, event: dict) -> None:
        """Write one event durably (see module docstring) before returning."""
        if self._fd is None:
            raise RuntimeError("interaction log opened read-only")
        line = to_json_line({"v": LOG_VERSION, **event})
        with self._lock:
            written = os.write(self._fd, line)
            while written < len(line):  # short writes are rare but legal
                written += os.write(self._fd, line[written:])
            if self.fsync:
                os.fsync(self._fd)

    def events(self) -> Iterator[dict]:
        """Every intact event in order; unparseable lines are skipped (and counted in `skipped`)."""
        self.skipped = 0
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    self.skipped += 1
                    continue
                try:
                    event = json.loads(raw)
                except ValueError:
                    self.skipped += 1
                    continue
                if is_valid_event(event):
                    yield event
                else:
                    self.skipped += 1

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def read_events(path: str | Path) -> list[dict]:
    """All intact events of a log file (a missing file is an empty log)."""
    return list(InteractionLog(Path(path), read_only=True).events())


def log_frame(events: list[dict]) -> pd.DataFrame:
    """One row per search with its clicks folded in: the exported log's schema.

    Columns: id, ts, user_id, query, query_norm, policy, intent, arms_selected,
    n_results, results (JSON list), clicks (JSON list of {entity_id, position,
    action, ts}), n_clicks, context, understanding, selection, by_arm, x (JSON).
    """
    searches: dict[str, dict] = {}
    clicks: dict[str, list[dict]] = {}
    for ev in events:
        if ev["kind"] == "search":
            searches[ev["id"]] = ev
        else:
            clicks.setdefault(ev["search_id"], []).append(
                {"entity_id": ev.get("entity_id"), "position": ev.get("position"),
                 "action": ev.get("action"), "ts": ev.get("ts")}
            )
    rows = []
    for sid, ev in searches.items():
        evc = clicks.get(sid, [])
        selection = ev.get("selection") or []
        rows.append({
            "id": sid,
            "ts": ev.get("ts"),
            "user_id": ev.get("user_id"),
            "query": ev.get("query"),
            "query_norm": ev.get("query_norm"),
            "policy": ev.get("policy"),
            "intent": (ev.get("understanding") or {}).get("intent"),
            "arms_selected": ",".join(s["arm"] for s in selection if s.get("selected")),
            "n_results": len(ev.get("results") or []),
            "results": json.dumps(ev.get("results") or []),
            "clicks": json.dumps(evc, ensure_ascii=False),
            "n_clicks": sum(1 for c in evc if c["action"] == "click"),
            "context": json.dumps(ev.get("context") or {}, ensure_ascii=False),
            "understanding": json.dumps(ev.get("understanding") or {}, ensure_ascii=False),
            "selection": json.dumps(selection),
            "by_arm": json.dumps(ev.get("by_arm") or {}, ensure_ascii=False),
            "x": json.dumps(ev.get("x") or []),
        })
    columns = ["id", "ts", "user_id", "query", "query_norm", "policy", "intent", "arms_selected",
               "n_results", "results", "clicks", "n_clicks", "context", "understanding",
               "selection", "by_arm", "x"]
    return pd.DataFrame(rows, columns=columns)


def export_events(events: list[dict], out_dir: str | Path, fmt: str = "parquet") -> Path:
    """Write the log to ``out_dir/interactions.<fmt>`` (the name is fixed: nothing user-supplied
    becomes a path component). ``jsonl`` writes the raw events, which `replay` reads back."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dest = out / f"interactions.{fmt}"
    tmp = out / f".interactions.{fmt}.tmp"
    if fmt == "jsonl":
        with open(tmp, "wb") as fh:
            for ev in events:
                fh.write(to_json_line(ev))
    else:
        frame = log_frame(events)
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    os.replace(tmp, dest)
    return dest


def load_exported(path: str | Path) -> list[dict]:
    """Events from an exported log (jsonl raw events, or parquet/csv rows), for replay and OPE."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return read_events(path)
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    events: list[dict] = []
    for row in frame.to_dict("records"):
        events.append({
            "kind": "search", "id": row["id"], "ts": row["ts"], "user_id": row["user_id"],
            "query": row["query"], "query_norm": row["query_norm"], "policy": row["policy"],
            "context": json.loads(row["context"]), "understanding": json.loads(row["understanding"]),
            "selection": json.loads(row["selection"]), "by_arm": json.loads(row["by_arm"]),
            "results": json.loads(row["results"]), "x": json.loads(row["x"]),
        })
        for click in json.loads(row["clicks"]):
            events.append({"kind": "feedback", "search_id": row["id"], **click})
    return events
