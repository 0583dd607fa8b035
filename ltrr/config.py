"""Where things live by default: the catalog file and the learning-state folder.

Both can be moved with environment variables (``LTRR_CATALOG``,
``LTRR_STATE``) so tests, the app and the CLI can point at other files
without code changes.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from ltrr.progress import ProgressFn, silent

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"

# Streamlit sessions are threads of one process; two of them must not build
# the default catalog at the same time (the writer's temp file is per process).
_BUILD_LOCK = threading.Lock()


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def default_catalog_path() -> Path:
    """``$LTRR_CATALOG`` if set, else ``<project>/data/catalog.duckdb``."""
    return _env_path("LTRR_CATALOG") or DATA_DIR / "catalog.duckdb"


def default_state_dir() -> Path:
    """``$LTRR_STATE`` if set, else ``<project>/data/state``."""
    return _env_path("LTRR_STATE") or DATA_DIR / "state"


def ensure_catalog(path: str | Path | None = None, progress: ProgressFn = silent) -> Path:
    """Return `path` (default: :func:`default_catalog_path`), first generating
    the default synthetic catalog there when no file exists yet."""
    path = Path(path) if path is not None else default_catalog_path()
    if path.is_file():
        return path
    with _BUILD_LOCK:
        if not path.is_file():  # another thread may have built it meanwhile
            from ltrr.catalog.synthetic import DEFAULT_TRACKS, generate

            generate(path, tracks=DEFAULT_TRACKS, seed=0, progress=progress)
    return path
