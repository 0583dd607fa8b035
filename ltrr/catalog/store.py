"""Opening a catalog file and holding its entities in memory for fast lookups."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ltrr.catalog.schema import ENTITY_COLUMNS, ENTITY_TYPES
from ltrr.text import normalize_each


class CatalogError(Exception):
    """A catalog file is missing, unreadable or not an ltrr catalog."""


@dataclass(frozen=True)
class EntityTable:
    """All entities of a catalog, row-aligned arrays plus an id -> row map.

    Arms work in row numbers (``int``) internally and speak ``entity_id`` at
    their boundary; this table is the one place that translates.
    """

    frame: pd.DataFrame
    row_of: dict[str, int]

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def ids(self) -> np.ndarray:
        return self.frame["entity_id"].to_numpy()

    @cached_property
    def types(self) -> np.ndarray:
        return self.frame["entity_type"].to_numpy()

    @cached_property
    def titles(self) -> np.ndarray:
        return self.frame["title"].to_numpy()

    @cached_property
    def subtitles(self) -> np.ndarray:
        return self.frame["subtitle"].to_numpy()

    @cached_property
    def popularity01(self) -> np.ndarray:
        """Popularity scaled to 0..1 (clipped), the form priors and features use."""
        return np.clip(self.frame["popularity"].to_numpy(dtype=np.float64), 0.0, 100.0) / 100.0

    @cached_property
    def genres(self) -> np.ndarray:
        return self.frame["genre"].to_numpy()

    @cached_property
    def genre_keys(self) -> np.ndarray:
        """Each entity's genre as a user's clicks are counted by it (``normalize_query``; "" when it
        has none): what a listener's lean is read against."""
        return np.array(normalize_each(self.genres), dtype=object)

    def rows(self, entity_ids: list[str]) -> np.ndarray:
        """Row numbers of known ids, in order; unknown ids are skipped."""
        return np.array([self.row_of[e] for e in entity_ids if e in self.row_of], dtype=np.int64)

    def get(self, entity_id: str) -> dict | None:
        """One entity as a dict, or None when the id is unknown."""
        row = self.row_of.get(entity_id)
        return None if row is None else self.frame.iloc[row].to_dict()


class Catalog:
    """A read-only handle on one catalog file.

    The DuckDB connection is opened read-only so several engines and processes
    can share a catalog; each thread gets its own cursor because a DuckDB
    connection is not thread-safe.
    """

    def __init__(self, path: str | Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path = Path(path)
        self._con = con
        self._local = threading.local()
        self._entities: EntityTable | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path) -> "Catalog":
        """Open an existing catalog read-only; raise CatalogError with a clear message."""
        path = Path(path)
        if not path.is_file():
            raise CatalogError(f"no catalog at {path}: build one with `python -m ltrr build --catalog {path}`")
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise CatalogError(f"{path} is not a readable DuckDB catalog: {exc}") from None
        try:
            con.execute("SELECT entity_id FROM entities LIMIT 0")
        except duckdb.Error:
            con.close()
            raise CatalogError(f"{path} is a DuckDB file but not an ltrr catalog (no `entities` view)") from None
        return cls(path, con)

    @property
    def index_dir(self) -> Path:
        """Where this catalog's derived indexes live: ``catalog.duckdb`` -> ``catalog.indexes/``."""
        return self.path.with_suffix(".indexes")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor private to the calling thread."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def query_df(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """Run a parameterized query and return a DataFrame."""
        return self.cursor().execute(sql, list(params)).df()

    def meta(self) -> dict[str, str]:
        """The catalog_meta key/value pairs."""
        return dict(self.cursor().execute("SELECT key, value FROM catalog_meta").fetchall())

    def fingerprint(self) -> str:
        """Identifies this catalog's content; indexes built for another fingerprint are stale."""
        meta = self.meta()
        n = self.cursor().execute("SELECT count(*) FROM entities").fetchone()[0]
        return f"{meta.get('catalog_uid', 'unknown')}:{n}"

    def counts(self) -> dict[str, int]:
        """Number of entities per type, every type present (0 when none)."""
        rows = self.cursor().execute(
            "SELECT entity_type, count(*) FROM entities GROUP BY entity_type"
        ).fetchall()
        found = dict(rows)
        return {t: int(found.get(t, 0)) for t in ENTITY_TYPES}

    @property
    def entities(self) -> EntityTable:
        """All entities, loaded once (ordered by entity_id so row numbers are stable)."""
        if self._entities is None:
            with self._lock:
                if self._entities is None:
                    cols = ", ".join(ENTITY_COLUMNS)
                    frame = self.cursor().execute(
                        f"SELECT {cols} FROM entities ORDER BY entity_id"
                    ).df()
                    for col in ("title", "subtitle", "text", "genre", "subgenre", "mood"):
                        # Plain object arrays: pandas' Arrow-backed strings copy on every
                        # to_numpy(), which the arms and features call per query.
                        frame[col] = frame[col].fillna("").astype(str).astype(object)
                    for col in ("entity_id", "entity_type", "artist_id", "album_id"):
                        frame[col] = frame[col].astype(object)
                    frame["popularity"] = frame["popularity"].fillna(0.0).astype(float)
                    row_of = {e: i for i, e in enumerate(frame["entity_id"].tolist())}
                    self._entities = EntityTable(frame=frame, row_of=row_of)
        return self._entities

    def close(self) -> None:
        self._con.close()
