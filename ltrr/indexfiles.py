"""Index manifests: an arm's files on disk are trusted only when the manifest
says they were built from this catalog by this version of the arm, and the
files it lists are still there with the sizes they were written with.

Convention: every file (or folder) of an index called ``NAME`` is named
``NAME.*`` inside the catalog's index folder; the manifest is
``NAME.manifest.json`` and is written last.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def manifest_path(index_dir: Path, name: str) -> Path:
    return index_dir / f"{name}.manifest.json"


def _index_files(index_dir: Path, name: str) -> dict[str, int]:
    """Relative path -> size of every file belonging to index `name`."""
    out: dict[str, int] = {}
    manifest = manifest_path(index_dir, name).name
    for path in index_dir.glob(f"{name}.*"):
        if path.name == manifest or path.name.endswith(".tmp"):
            continue
        items = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for item in items:
            out[str(item.relative_to(index_dir))] = item.stat().st_size
    return out


def is_fresh(index_dir: Path, name: str, fingerprint: str, version: int) -> bool:
    """True when `name`'s manifest matches the catalog fingerprint and arm version and
    its files are present with their recorded sizes (a truncated file is stale)."""
    path = manifest_path(index_dir, name)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint or data.get("version") != version:
        return False
    files = data.get("files")
    if files is None:
        return True  # manifests written before sizes were recorded
    try:
        return _index_files(index_dir, name) == files
    except OSError:
        return False


def mark_fresh(index_dir: Path, name: str, fingerprint: str, version: int, **extra: object) -> None:
    """Write the manifest last and atomically, so a crash mid-build leaves the index stale, not wrong."""
    path = manifest_path(index_dir, name)
    tmp = path.with_suffix(".tmp")
    record = {"fingerprint": fingerprint, "version": version, "files": _index_files(index_dir, name), **extra}
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def invalidate(index_dir: Path, name: str) -> None:
    """Forget an index (its files are rebuilt on next open)."""
    manifest_path(index_dir, name).unlink(missing_ok=True)


def load_or_build(catalog, name: str, version: int, load: Callable[[Path], T],
                  build_and_save: Callable[[Path], T],
                  describe: Callable[[T], dict] | None = None) -> T:
    """Index `name` of `catalog`: loaded when its manifest is fresh, else built.

    ``load(index_dir)`` reads the files; raising OSError, ValueError, KeyError
    or TypeError means they are damaged, and the index is rebuilt.
    ``build_and_save(index_dir)`` builds, writes the files (named ``name.*``,
    each moved into place whole) and returns the object; the manifest is
    written after it, with ``describe(obj)`` as extra facts.
    """
    index_dir = catalog.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = catalog.fingerprint()
    if is_fresh(index_dir, name, fingerprint, version):
        try:
            return load(index_dir)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # damaged files: rebuild below
    made = build_and_save(index_dir)
    mark_fresh(index_dir, name, fingerprint, version, **(describe(made) if describe else {}))
    return made


_SHARED: dict[tuple[str, str, str], Any] = {}
_SHARED_LOCK = threading.Lock()


def shared(catalog, name: str, open_: Callable[[], T]) -> T:
    """One object per (catalog file, catalog content, name) in this process, so the
    arms that need the same index (query understanding, entity attributes) load it once."""
    key = (str(catalog.path), catalog.fingerprint(), name)
    with _SHARED_LOCK:
        cached = _SHARED.get(key)
    if cached is not None:
        return cached
    made = open_()
    with _SHARED_LOCK:
        return _SHARED.setdefault(key, made)


def clear_shared() -> None:
    """Forget every shared object (the next open loads from disk again)."""
    with _SHARED_LOCK:
        _SHARED.clear()
