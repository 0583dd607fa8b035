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

The log as a table: :mod:`ltrr.log_frame`; its exports, OpenSearch UBI
included, and reading them back: :mod:`ltrr.log_export`.
"""
from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

from ltrr.events import check_event, event_error

LOG_VERSION = 1


def json_default(value: Any) -> Any:
    """``json.dumps``'s fallback for what the standard encoder refuses (numpy scalars and arrays among them)."""
    if hasattr(value, "item"):          # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):        # numpy arrays
        return value.tolist()
    return str(value)


def to_json_line(event: dict) -> bytes:
    """One event as a single JSON line (NaN/inf become null so every reader can parse it)."""
    text = json.dumps(json_safe(event), ensure_ascii=False, separators=(",", ":"), default=json_default)
    return (text + "\n").encode("utf-8")


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, inf) replaced by None, through dicts and lists:
    strict JSON has no such numbers, and every reader of the log must parse it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
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


def parse_lines(lines: Iterable[bytes]) -> Iterator[dict]:
    """The valid events among raw log lines (the same rule as InteractionLog.events)."""
    for raw in lines:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if is_valid_event(event):
            yield event
