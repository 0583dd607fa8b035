"""The learning-state folder: its layout, its version and its single-writer lock.

    state/
      state.json          format version, created_at
      .lock               held (flock) by the one process that writes
      log/events.jsonl    the interaction log: the source of truth
      ranker/             training examples and versioned LightGBM models
      snapshots/NAME/     copies made by Engine.snapshot / reset
      checkpoint/         derived state at a log offset, and the search-id index (ltrr.checkpoint)

Everything the bandit, the memory and the user histories hold is derived from
the log on open (from a checkpoint plus the log's tail when one matches), so
the log is all that must survive a crash.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from ltrr.errors import StateError

STATE_FORMAT = 1
_PLAIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")     # kept exactly as given
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MAX_NAME = 64


class UnsafeNameError(StateError, ValueError):
    """A user-supplied name that cannot become a file or folder name."""


def safe_name(name: str) -> str:
    """The one rule for user-supplied file and folder names (snapshots, catalogs,
    state folders).

    A name that already is a plain name (1-64 letters, digits, '-', '_' or '.',
    starting with a letter or digit, no '..') is kept exactly, so existing
    snapshots such as ``reset-20250101T120000`` keep their names. Anything
    else is slugged to lower-case letters, digits, '-' and '_':
    ``"My Catalog 2!"`` -> ``"my-catalog-2"``. What looks like a path (a
    separator, a leading '.') or holds control characters is refused rather
    than quietly slugged, so "../../etc" is an error the user sees, not a
    folder called "etc". Raises :class:`UnsafeNameError` (a ``StateError`` and
    a ``ValueError``).
    """
    text = name if isinstance(name, str) else ""
    if ("/" in text or "\\" in text or text.strip().startswith(".")
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in text)):
        raise UnsafeNameError(f"invalid name {text[:64]!r}: it looks like a path; use a plain name "
                              "(1-64 letters, digits, '-' or '_')")
    if _PLAIN_RE.match(text) and ".." not in text:
        return text
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")
    if not _SLUG_RE.match(slug):
        raise UnsafeNameError(f"invalid name {text[:64]!r}: use 1-64 letters, digits, '-' or '_'")
    return slug


def policy_folder(policy: str) -> str:
    """The state folder name of a policy spec: ``static:lexical,fuzzy`` -> ``static-lexical-fuzzy``.

    Used by the app and the simulator alike. A spec too long for one name keeps
    its first characters plus a short hash, so distinct specs stay distinct.
    """
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(policy).strip().lower()).strip("-_") or "policy"
    if len(slug) > _MAX_NAME:
        digest = hashlib.sha1(slug.encode()).hexdigest()[:8]
        slug = f"{slug[:_MAX_NAME - 9].rstrip('-_')}-{digest}"
    return safe_name(slug)


class StateDir:
    """An opened state folder. Writable opens hold an exclusive lock until close()."""

    def __init__(self, path: Path, read_only: bool) -> None:
        self.path = path
        self.read_only = read_only
        self._lock_fd: int | None = None

    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> "StateDir":
        """Open (creating if needed) a state folder; a second writer gets StateError."""
        path = Path(path)
        if read_only:
            if not path.is_dir():
                raise StateError(f"no state folder at {path}")
            state = cls(path, True)
        else:
            path.mkdir(parents=True, exist_ok=True)
            state = cls(path, False)
            state._acquire_lock()
        state._check_version()
        for sub in ("log", "ranker", "snapshots"):
            if not read_only:
                (path / sub).mkdir(exist_ok=True)
        return state

    def _acquire_lock(self) -> None:
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StateError(
                f"state folder {self.path} is in use by another process; "
                "open it with read_only=True to inspect it, or use another state folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _check_version(self) -> None:
        meta_path = self.path / "state.json"
        if not meta_path.exists():
            if self.read_only:
                return
            has_files = (self.path / "log" / "events.jsonl").exists()
            if has_files:
                raise StateError(
                    f"{self.path} holds a log but no state.json: it is from an older ltrr or not a state folder"
                )
            self._write_meta({"format": STATE_FORMAT, "created_at": _now()})
            return
        try:
            meta = json.loads(meta_path.read_text())
            fmt = int(meta["format"])
        except (OSError, ValueError, KeyError, TypeError):
            raise StateError(f"{meta_path} is corrupt; move the folder aside or pass a new state folder") from None
        if fmt != STATE_FORMAT:
            raise StateError(
                f"{self.path} was written by state format {fmt}; this ltrr reads format {STATE_FORMAT}. "
                "Export its log with an older ltrr and replay it, or use a new state folder"
            )

    def _write_meta(self, meta: dict) -> None:
        tmp = self.path / "state.json.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, self.path / "state.json")

    @property
    def log_path(self) -> Path:
        return self.path / "log" / "events.jsonl"

    @property
    def ranker_dir(self) -> Path:
        return self.path / "ranker"

    def snapshot(self, name: str) -> Path:
        """Copy log and ranker into snapshots/NAME (NAME validated, never a path)."""
        dest = self.path / "snapshots" / safe_name(name)
        if dest.exists():
            raise StateError(f"snapshot {name!r} already exists")
        dest.mkdir(parents=True)
        try:
            for sub in ("log", "ranker"):
                src = self.path / sub
                if src.exists():
                    # The ranker's trainer writes in the background (temp file, then rename):
                    # its temp files are never part of a state, and a file renamed or removed
                    # between listing and copying is simply not in the snapshot.
                    shutil.copytree(src, dest / sub, ignore=shutil.ignore_patterns("*.tmp"),
                                    copy_function=_copy_if_present)
            shutil.copy2(self.path / "state.json", dest / "state.json")
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)     # no half snapshot left behind
            raise
        return dest

    def clear(self) -> Path:
        """Move the current log and ranker into a snapshot and start empty; returns the snapshot."""
        dest = self.snapshot("reset-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f"))
        for sub in ("log", "ranker"):
            shutil.rmtree(self.path / sub, ignore_errors=True)
            (self.path / sub).mkdir()
        return dest

    def close(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None


def _copy_if_present(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """``shutil.copy2``, except that a source gone since it was listed is skipped."""
    try:
        shutil.copy2(src, dst)
    except FileNotFoundError:
        if os.path.exists(src):
            raise


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
