"""Index manifests: an arm's files on disk are trusted only when the manifest
says they were built from this catalog by this version of the arm."""
from __future__ import annotations

import json
import os
from pathlib import Path


def manifest_path(index_dir: Path, name: str) -> Path:
    return index_dir / f"{name}.manifest.json"


def is_fresh(index_dir: Path, name: str, fingerprint: str, version: int) -> bool:
    """True when `name`'s manifest matches the catalog fingerprint and arm version."""
    path = manifest_path(index_dir, name)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return data.get("fingerprint") == fingerprint and data.get("version") == version


def mark_fresh(index_dir: Path, name: str, fingerprint: str, version: int, **extra: object) -> None:
    """Write the manifest last and atomically, so a crash mid-build leaves the index stale, not wrong."""
    path = manifest_path(index_dir, name)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": fingerprint, "version": version, **extra}))
    os.replace(tmp, path)


def invalidate(index_dir: Path, name: str) -> None:
    """Forget an index (its files are rebuilt on next open)."""
    manifest_path(index_dir, name).unlink(missing_ok=True)
