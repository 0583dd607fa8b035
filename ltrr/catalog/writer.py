"""Writing a new catalog file: built beside the target and moved into place
only when complete, so a crash never leaves a half-written catalog behind."""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from ltrr.catalog.schema import create_schema, set_meta


class CatalogWriter:
    """Bulk-append DataFrames to catalog tables, then publish atomically.

    >>> with CatalogWriter("cat.duckdb") as w:          # doctest: +SKIP
    ...     w.append("artists", artists_df)
    ...     w.finish(source="synthetic", seed=0)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.building")
        self._tmp.unlink(missing_ok=True)
        self.con = duckdb.connect(str(self._tmp))
        create_schema(self.con)
        self._done = False

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Insert rows; columns are matched by name, missing ones stay NULL."""
        if frame.empty:
            return
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"INSERT INTO {_table(table)} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    def finish(self, **meta: object) -> Path:
        """Record metadata and a fresh catalog_uid, then move the file into place."""
        set_meta(
            self.con,
            catalog_uid=uuid.uuid4().hex,
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **meta,
        )
        self.con.execute("CHECKPOINT")
        self.con.close()
        os.replace(self._tmp, self.path)
        # Indexes built for a previous catalog at this path are now stale; the
        # manifests would catch it, but removing them frees the disk at once.
        shutil.rmtree(self.path.with_suffix(".indexes"), ignore_errors=True)
        self._done = True
        return self.path

    def abort(self) -> None:
        try:
            self.con.close()
        except duckdb.Error:
            pass
        self._tmp.unlink(missing_ok=True)
        Path(str(self._tmp) + ".wal").unlink(missing_ok=True)

    def __enter__(self) -> "CatalogWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._done:
            self.abort()


_TABLES = {"artists", "albums", "tracks", "track_artists", "playlists", "playlist_tracks",
           "podcasts", "episodes"}


def _table(name: str) -> str:
    # Table names are never user input, but guard the f-string anyway.
    if name not in _TABLES:
        raise ValueError(f"unknown catalog table {name!r}")
    return name
