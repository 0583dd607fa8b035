"""Opening a long log without replaying it all, and without holding it all.

Two files under ``state/checkpoint/``, both *derived* from the interaction
log (the log stays the source of truth: either may be deleted at any time):

* ``checkpoint.npz``: the engine's derived learning state (bandit, memory
  counts, user histories, counters, the recent searches' offsets) together
  with the :class:`LogMark` it covers: the byte length of the log prefix it
  was derived from and digests of that prefix's first and last lines. Open
  loads it and replays only the log after the mark. JSON (one ``meta`` entry,
  UTF-8 bytes) plus plain numpy arrays, read with ``allow_pickle=False``:
  loading a checkpoint never runs code. Written to a temporary file and moved
  into place with ``os.replace``, so a reader sees the old one or the new one.
* ``searches.idx``: one fixed-size record per search and per feedback event,
  ``(blake2b-128 of the search id, byte offset of the event in the log)``, in
  log order. The engine keeps only its most recent searches in memory; the
  index finds an older search (and its feedback) in the log when feedback for
  it arrives. Lookups scan the file with numpy (24 bytes a record: about 5 MB
  and a few milliseconds at 100,000 searches with feedback) and every hit is
  checked against the event it points to, so a stale record is harmless.

A checkpoint is ignored (with a warning) and the whole log replayed when it
is missing, unreadable, from another format version, made for another policy,
arm set or seed (its ``key``), or when the log no longer starts and ends, at
the mark, with the lines it was made from (the log was cut, replaced or
restored from an older snapshot).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ltrr.log import line_start

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1
CHECKPOINT_FILE = "checkpoint.npz"
INDEX_FILE = "searches.idx"
_ARRAY_REF = "__array__"
_META = "meta"


# --------------------------------------------------------------------------- where in the log


@dataclass(frozen=True)
class LogMark:
    """A log prefix: its length in bytes and digests of its first and last lines."""

    offset: int
    head: str
    tail: str

    @classmethod
    def at(cls, log_path: Path, offset: int) -> "LogMark":
        """The mark of the first ``offset`` bytes of the log (``offset`` ends a line, or is 0)."""
        if not offset:
            return cls(0, _digest(b""), _digest(b""))
        with open(log_path, "rb") as fh:
            head = fh.readline()[:offset]
            tail = _line_ending_at(fh, offset)
        return cls(int(offset), _digest(head), _digest(tail))

    def mismatch(self, log_path: Path) -> str | None:
        """Why the log at ``log_path`` does not start with this prefix, or None when it does."""
        try:
            size = os.path.getsize(log_path) if self.offset else 0
            if size < self.offset:
                return f"the log is shorter ({size:,} bytes) than the checkpoint's {self.offset:,}"
            now = LogMark.at(log_path, self.offset)
        except OSError as exc:
            return f"the log cannot be read ({exc})"
        if now != self:
            return "the log's first or last covered event differs from the checkpoint's"
        return None


def _line_ending_at(fh, end: int) -> bytes:
    """The line whose newline is the byte before ``end`` (b"" when there is none)."""
    fh.seek(end - 1)
    if fh.read(1) != b"\n":
        return b""
    start = line_start(fh, end - 1)
    fh.seek(start)
    return fh.read(end - start)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# --------------------------------------------------------------------------- the checkpoint file


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the log prefix it covers and the state derived from it."""

    mark: LogMark
    state: dict


def save_checkpoint(folder: Path, key: Mapping[str, Any], mark: LogMark, state: Mapping[str, Any],
                    fsync: bool = False) -> Path:
    """Write ``state`` (JSON-ready values and numpy arrays, nested) for ``key`` at ``mark``, atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    meta = {"version": CHECKPOINT_VERSION, "key": dict(key), "mark": asdict(mark), "state": state}
    text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"), allow_nan=True,
                      default=lambda value: _array_ref(value, arrays))
    arrays[_META] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    dest = folder / CHECKPOINT_FILE
    for stale in folder.glob(f".{CHECKPOINT_FILE}.*.tmp"):    # left by a process killed mid-write
        stale.unlink(missing_ok=True)
    tmp = folder / f".{CHECKPOINT_FILE}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def load_checkpoint(folder: Path, key: Mapping[str, Any], log_path: Path) -> Checkpoint | None:
    """The checkpoint in ``folder`` when it was made for ``key`` and still matches the log at
    ``log_path``; else None, with a warning saying why (none when there simply is no checkpoint)."""
    path = Path(folder) / CHECKPOINT_FILE
    if not path.is_file():
        log.info("no checkpoint at %s: replaying the whole log", path)
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"),
                          object_hook=lambda obj: _array_of(obj, arrays))
        if meta.get("version") != CHECKPOINT_VERSION:
            return _ignored(path, f"it is format {meta.get('version')!r}, this ltrr writes {CHECKPOINT_VERSION}")
        mark = LogMark(**meta["mark"])
        if not (type(mark.offset) is int and mark.offset >= 0 and isinstance(mark.head, str)
                and isinstance(mark.tail, str) and isinstance(meta["state"], dict)):
            raise ValueError("malformed mark or state")
        state = meta["state"]
    except Exception as exc:   # a torn or foreign file: whatever it holds, the log is replayed instead
        return _ignored(path, f"it cannot be read ({type(exc).__name__}: {exc})")
    if meta.get("key") != json.loads(json.dumps(dict(key))):
        return _ignored(path, f"it was made for {meta.get('key')!r}, not {dict(key)!r}")
    reason = mark.mismatch(Path(log_path))
    if reason:
        return _ignored(path, reason)
    return Checkpoint(mark, state)


def remove_checkpoint(folder: Path) -> None:
    """Delete the checkpoint (e.g. when the log it covers was reset)."""
    (Path(folder) / CHECKPOINT_FILE).unlink(missing_ok=True)


def _ignored(path: Path, reason: str) -> None:
    log.warning("ignoring checkpoint %s: %s; replaying the whole log", path, reason)
    return None


def _array_ref(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``json.dumps``'s hook for what JSON cannot hold: a numpy array goes into ``arrays``
    (the JSON keeps a reference to it), a numpy scalar becomes a plain number."""
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {_ARRAY_REF: name}
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a checkpoint cannot hold a {type(value).__name__}")


def _array_of(obj: dict, arrays: Mapping[str, np.ndarray]) -> Any:
    """``json.loads``'s hook: a reference written by :func:`_array_ref` becomes its array again."""
    if len(obj) == 1 and _ARRAY_REF in obj:
        return arrays[obj[_ARRAY_REF]]
    return obj


# --------------------------------------------------------------------------- the search index

_RECORD = np.dtype([("h0", "<u8"), ("h1", "<u8"), ("offset", "<u8")])
_FLUSH_BYTES = 64 * 1024


class SearchIndex:
    """Search id -> byte offsets of its events in the log, as an append-only file (module docstring).

    Not thread-safe on its own: the engine calls it under its lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._buffer = bytearray()
        self._fh = open(self.path, "ab")
        self._size = self._fh.tell() // _RECORD.itemsize
        if self._fh.tell() % _RECORD.itemsize:       # a torn last record (killed mid-write)
            self.truncate(self._size)

    def __len__(self) -> int:
        """Records held (written or buffered)."""
        return self._size

    def add(self, search_id: str, offset: int) -> None:
        """Record that an event of search ``search_id`` starts at byte ``offset`` of the log."""
        self._buffer += struct.pack("<QQQ", *_key(search_id), int(offset))
        self._size += 1
        if len(self._buffer) >= _FLUSH_BYTES:
            self.flush()

    def offsets(self, search_id: str) -> list[int]:
        """Byte offsets of the events recorded for ``search_id``, in log order (maybe stale: check them)."""
        self.flush()
        records = np.fromfile(self.path, dtype=_RECORD)
        h0, h1 = _key(search_id)
        hit = (records["h0"] == h0) & (records["h1"] == h1)
        return sorted(int(o) for o in records["offset"][hit])

    def digest(self, n_records: int) -> str:
        """Digest of the first ``n_records`` records (a checkpoint checks the index it relies on)."""
        self.flush()
        with open(self.path, "rb") as fh:
            data = fh.read(n_records * _RECORD.itemsize)
        return _digest(data) if len(data) == n_records * _RECORD.itemsize else ""

    def truncate(self, n_records: int) -> None:
        """Keep the first ``n_records`` records (those a checkpoint covers; 0 before a full replay)."""
        self.flush()
        self._fh.truncate(n_records * _RECORD.itemsize)
        self._fh.seek(0, os.SEEK_END)
        self._size = min(self._size, n_records)

    def flush(self, fsync: bool = False) -> None:
        """Write buffered records (before a checkpoint that relies on them, and before a lookup)."""
        if self._buffer:
            self._fh.write(self._buffer)
            self._buffer.clear()
        self._fh.flush()
        if fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.flush()
            self._fh.close()


def _key(search_id: str) -> tuple[int, int]:
    raw = hashlib.blake2b(search_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")
