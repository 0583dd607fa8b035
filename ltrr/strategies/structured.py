"""The structured arm: query understanding turned into parameterized DuckDB queries.

Each interpretation of the query ("90s rap" = genre rap, years 1990-1999)
becomes one SELECT over a slim, in-memory projection of the catalog's
entities (:class:`EntityAttributes`). The SQL text is assembled only from
fixed fragments chosen by code; every value, user-derived or not, is a ``?``
parameter. The `entities` view joins six tables and is slow at a million
tracks, so the projection is built once (and persisted) and registered with
a private in-memory DuckDB database.

Merging: an entity's score is the sum over interpretations of
``likelihood * fit``, where ``fit`` is 0.5 + 0.5 * popularity (or, when the
interpretation keeps free text, rewards titles containing its words).
Example, "queen" read as artist Queen (0.47) or free text (0.53): only the
artist reading has constraints, so Queen's tracks come back scored 0.47 * fit;
the free-text reading is left to the lexical arm.

This module also owns :class:`EntityAttributes` and its numpy constraint
masks, which the popular and fresh arms share.
"""
from __future__ import annotations

import threading
from pathlib import Path
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ltrr import indexfiles
from ltrr.bandit.vocab import INDEX_NAME as VOCAB_INDEX
from ltrr.catalog.schema import NEW_RELEASE_DAYS
from ltrr.progress import ProgressFn, silent
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.named_playlist import NamedPlaylists
from ltrr.text import tokenize
from ltrr.understanding import QueryUnderstander
from ltrr.understanding_results import Interpretation, Understanding
from ltrr.vocabulary import ACTIVITY_NAME_WORDS, era_range

ATTRS_INDEX = "entity_attrs"
ATTRS_VERSION = 2
# Interpretations much less likely than the best are not queried: "90s rap"
# read as era-only (0.09) would bring back 1990s pop next to 90s rap (0.81).
MIN_RELATIVE_LIKELIHOOD = 0.25
MAX_FREE_WORDS = 5
FREE_TEXT_POOL = 2000
CODED_COLUMNS = ("entity_type", "genre", "subgenre", "mood", "artist_id")


@dataclass
class EntityAttributes:
    """Row-aligned attributes of every entity, as the constraint arms need them.

    ``frame`` columns: row, entity_id, entity_type, genre, subgenre, mood,
    artist_id, y_lo, y_hi (year range: the release year for dated entities,
    the decade for playlists with an era), release_day (days since 1970),
    is_new, popularity, activities (",workout,party," or ""), title_words
    (" folded title words ").
    """

    frame: pd.DataFrame
    newest_day: int | None

    @classmethod
    def open(cls, catalog, progress: ProgressFn = silent) -> "EntityAttributes":
        """Load (or build and persist) the attributes; shared per catalog file and content."""
        def load(index_dir: Path) -> "EntityAttributes":
            frame = pd.read_parquet(index_dir / f"{ATTRS_INDEX}.parquet")
            if len(frame) != len(catalog.entities):
                raise ValueError("entity attributes do not match the catalog")
            return cls.from_frame(frame)

        def build(index_dir: Path) -> "EntityAttributes":
            frame = cls.build_frame(catalog, progress)
            path = index_dir / f"{ATTRS_INDEX}.parquet"
            tmp = path.with_suffix(".tmp.parquet")
            frame.to_parquet(tmp, index=False)
            tmp.replace(path)
            return cls.from_frame(frame)

        return indexfiles.shared(catalog, ATTRS_INDEX, lambda: indexfiles.load_or_build(
            catalog, ATTRS_INDEX, ATTRS_VERSION, load, build))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "EntityAttributes":
        days = frame["release_day"].dropna()
        return cls(frame=frame, newest_day=int(days.max()) if len(days) else None)

    @staticmethod
    def build_frame(catalog, progress: ProgressFn = silent) -> pd.DataFrame:
        """Derive the attributes from ``catalog.entities`` and the playlists table."""
        ent = catalog.entities.frame
        n = len(ent)
        progress(0, n, "structured: entity attributes")
        dates = pd.to_datetime(ent["release_date"], errors="coerce")
        years = dates.dt.year.astype("Int32")
        day = ((dates - pd.Timestamp("1970-01-01")).dt.days).astype("Int32")
        frame = pd.DataFrame({
            "row": np.arange(n, dtype=np.int64),
            "entity_id": ent["entity_id"].astype(str).to_numpy(),
            "entity_type": ent["entity_type"].astype(str).to_numpy(),
            "genre": ent["genre"].astype(str).to_numpy(),
            "subgenre": ent["subgenre"].astype(str).to_numpy(),
            "mood": ent["mood"].astype(str).to_numpy(),
            "artist_id": ent["artist_id"].fillna("").astype(str).to_numpy(),
            "y_lo": years, "y_hi": years.copy(), "release_day": day,
            "is_new": ent["is_new"].fillna(False).astype(bool).to_numpy(),
            "popularity": ent["popularity"].fillna(0.0).astype(float).clip(0, 100).to_numpy(),
        })
        frame["title_words"] = [f" {' '.join(tokenize(t))} " for t in ent["title"].astype(str).tolist()]
        # A delimited string, not a list: DuckDB infers a pandas list column's type
        # from a sample of rows, and a sample of empty lists makes it unusable.
        frame["activities"] = ""
        playlists = catalog.query_df("SELECT playlist_id, era, activity FROM playlists")
        row_of = catalog.entities.row_of
        for pid, era, activity in playlists.itertuples(index=False):
            row = row_of.get(pid)
            if row is None:
                continue
            parsed = era_range(" ".join(tokenize(era))) if isinstance(era, str) else None
            if parsed is not None:
                frame.at[row, "y_lo"], frame.at[row, "y_hi"] = parsed[0], parsed[1]
            found = {activity.strip().lower()} if isinstance(activity, str) and activity.strip() else set()
            words = frame.at[row, "title_words"]
            found |= {a for a, names in ACTIVITY_NAME_WORDS.items() if any(f" {w} " in words for w in names)}
            frame.at[row, "activities"] = f",{','.join(sorted(found))}," if found else ""
        progress(n, n, "structured: entity attributes")
        return frame

    # --- numpy masks (popular, fresh, structured.score) --------------------

    def __post_init__(self) -> None:
        f = self.frame
        # Integer codes: comparing strings costs ~10x more at a million rows, in
        # numpy and in DuckDB alike. Codes are sorted-value order, so stable.
        self._codes: dict[str, np.ndarray] = {}
        self._code_of: dict[str, dict[str, int]] = {}
        for col in CODED_COLUMNS:
            codes, uniques = pd.factorize(f[col], sort=True)
            self._codes[col] = codes.astype(np.int32)
            self._code_of[col] = {v: i for i, v in enumerate(uniques.tolist())}
        self._y_lo = f["y_lo"].astype("float64").to_numpy(na_value=np.nan)
        self._y_hi = f["y_hi"].astype("float64").to_numpy(na_value=np.nan)
        self._day = f["release_day"].astype("float64").to_numpy(na_value=np.nan)
        self._is_new = f["is_new"].to_numpy(dtype=bool)
        self._new: np.ndarray | None = None       # new_mask(), computed once
        self._activity_rows: dict[str, np.ndarray] = {}
        for row, acts in zip(f["row"].tolist(), f["activities"].tolist()):
            for act in filter(None, acts.split(",")):
                self._activity_rows.setdefault(act, []).append(row)
        self._activity_rows = {a: np.asarray(r, dtype=np.int64) for a, r in self._activity_rows.items()}

    def codes_for(self, column: str, values) -> list[int]:
        """Codes of catalog values; a value the catalog lacks gets -1, which matches nothing."""
        code_of = self._code_of[column]
        return [code_of.get(v, -1) for v in values]

    def sql_frame(self) -> pd.DataFrame:
        """The slim projection the structured arm loads into DuckDB (codes, not strings)."""
        f = self.frame
        out = pd.DataFrame({"row": f["row"].to_numpy()})
        for col in CODED_COLUMNS:
            out[f"{col}_code"] = self._codes[col]
        for col in ("y_lo", "y_hi", "release_day", "is_new", "popularity", "title_words", "activities"):
            out[col] = f[col]
        return out

    @property
    def recent_day(self) -> int | None:
        return None if self.newest_day is None else self.newest_day - NEW_RELEASE_DAYS

    def mask(self, interp: Interpretation, rows: np.ndarray | None = None) -> np.ndarray:
        """Which rows (all, or the given ones) satisfy the interpretation's constraints."""
        idx = slice(None) if rows is None else rows
        n = len(self.frame) if rows is None else len(rows)
        keep = np.ones(n, dtype=bool)
        for col, values in (("entity_type", (interp.entity_type,) if interp.entity_type else ()),
                            ("genre", interp.genres), ("subgenre", interp.subgenres),
                            ("mood", interp.moods), ("artist_id", interp.artist_ids)):
            if values:
                keep &= _in_codes(self._codes[col][idx], self.codes_for(col, values))
        if interp.year_from is not None:
            lo, hi = self._y_lo[idx], self._y_hi[idx]
            year_to = interp.year_to if interp.year_to is not None else interp.year_from
            with np.errstate(invalid="ignore"):
                keep &= (lo <= year_to) & (hi >= interp.year_from)
        if interp.activities:
            hit = np.zeros(len(self.frame), dtype=bool)
            for act in interp.activities:
                hit[self._activity_rows.get(act, np.empty(0, dtype=np.int64))] = True
            keep &= hit[idx]
        if interp.new_release:
            keep &= self.new_mask()[idx]
        return keep

    def new_mask(self) -> np.ndarray:
        """Entities flagged new, or released within NEW_RELEASE_DAYS of the newest release."""
        if self._new is None:
            if self.recent_day is None:
                self._new = self._is_new.copy()
            else:
                with np.errstate(invalid="ignore"):
                    self._new = self._is_new | (self._day >= self.recent_day)
        return self._new


def _in_codes(column: np.ndarray, codes: list[int]) -> np.ndarray:
    """``np.isin`` for a few integer codes, ~100x faster at a million rows
    (np.isin sorts; a handful of vectorised comparisons does not)."""
    keep = np.zeros(column.shape, dtype=bool)
    for code in set(codes):
        if code >= 0:
            keep |= column == code
    return keep


def interpretations_to_query(understanding: Understanding) -> list[Interpretation]:
    """The interpretations worth querying: with constraints, and not much less likely than the best."""
    if not understanding.interpretations:
        return []
    top = max(i.likelihood for i in understanding.interpretations)
    return [i for i in understanding.interpretations
            if i.has_constraints and i.likelihood >= MIN_RELATIVE_LIKELIHOOD * top]


def free_words(interp: Interpretation) -> list[str]:
    """What the leftover words look for in ``title_words``: whole words, except
    that the last may be a word's beginning (people stop typing mid-word)."""
    words = interp.free_text.split()[:MAX_FREE_WORDS]
    return [f" {w} " for w in words[:-1]] + [f" {w}" for w in words[-1:]]


def _placeholders(n: int) -> str:
    return ", ".join(["?"] * n)


def build_sql(interp: Interpretation, limit: int, attrs: EntityAttributes) -> tuple[str, list]:
    """One interpretation as (SQL, parameters). Only fixed fragments enter the SQL text;
    catalog values travel as their integer codes (see :meth:`EntityAttributes.codes_for`).

    Returns rows as (row, popularity, hits): ``hits`` counts the free-text words
    found in the title (see :func:`free_words`).
    """
    where: list[str] = []
    where_params: list = []
    for column, values in (("entity_type", (interp.entity_type,) if interp.entity_type else ()),
                           ("genre", interp.genres), ("subgenre", interp.subgenres),
                           ("mood", interp.moods), ("artist_id", interp.artist_ids)):
        if values:
            # Column names come from the tuple above, never from the query.
            where.append(f"{column}_code IN ({_placeholders(len(values))})")
            where_params.extend(attrs.codes_for(column, values))
    if interp.year_from is not None:
        where.append("y_lo <= ? AND y_hi >= ?")
        year_to = interp.year_to if interp.year_to is not None else interp.year_from
        where_params.extend([year_to, interp.year_from])
    if interp.activities:
        where.append("(" + " OR ".join(["contains(activities, ?)"] * len(interp.activities)) + ")")
        where_params.extend(f",{a}," for a in interp.activities)
    order = "popularity DESC, row"
    if interp.new_release:
        if attrs.recent_day is None:
            where.append("is_new")
        else:
            where.append("(is_new OR release_day >= ?)")
            where_params.append(attrs.recent_day)
        order = "is_new DESC, release_day DESC NULLS LAST, popularity DESC, row"
    words = free_words(interp)
    hits = " + ".join(["contains(title_words, ?)::INTEGER"] * len(words)) or "0"
    # Free text reorders only the FREE_TEXT_POOL best rows that satisfy the
    # constraints: matching words in every title of "all rap" would cost tens
    # of milliseconds at a million tracks, and a title match far down the
    # popularity order is the lexical arm's to find.
    pool = max(FREE_TEXT_POOL, int(limit)) if words else int(limit)
    sql = (f"SELECT row, popularity, {hits} AS hits FROM ("
           f"SELECT row, popularity, is_new, release_day, title_words FROM attrs "
           f"WHERE {' AND '.join(where) or 'TRUE'} ORDER BY {order} LIMIT ?"
           f") ORDER BY hits DESC, {order} LIMIT ?")
    # Placeholders bind by position in the text: the hit words come first.
    return sql, [*words, *where_params, pool, int(limit)]


def fit(popularity: np.ndarray | float, hits: np.ndarray | float, n_words: int) -> np.ndarray | float:
    """How well a row that satisfies an interpretation fits it, 0.5..1."""
    pop = np.clip(popularity, 0.0, 100.0) / 100.0
    if n_words == 0:
        return 0.5 + 0.5 * pop
    return 0.5 + 0.35 * (np.asarray(hits) / n_words) + 0.15 * pop


class StructuredStrategy(Strategy):
    """Constraint queries from query understanding: type, genre, mood, era, artist, activity, new."""

    name = "structured"
    index_names = (ATTRS_INDEX, "qu", VOCAB_INDEX)
    description = ("Parameterized catalog queries from query understanding (genre, era, type, artist...), "
                   "and a playlist the query names with its tracks")

    def __init__(self, catalog, attrs: EntityAttributes, understander: QueryUnderstander,
                 playlists: NamedPlaylists | None = None) -> None:
        self.catalog = catalog
        self.attrs = attrs
        self.understander = understander
        self.playlists = playlists
        self._ids = attrs.frame["entity_id"].to_numpy()
        # Converted once: Arrow-backed string columns copy on every to_numpy().
        self._title_words = attrs.frame["title_words"].to_numpy(dtype=object)
        self._popularity = attrs.frame["popularity"].to_numpy()
        self._db = duckdb.connect(":memory:")
        self._db.register("attrs_frame", attrs.sql_frame())
        # A real table (not the registered frame) so every thread's cursor sees it,
        # stored in popularity order: DuckDB's top-N then skips row groups that
        # cannot beat the rows already found (7x faster at a million rows).
        self._db.execute("CREATE TABLE attrs AS SELECT * FROM attrs_frame ORDER BY popularity DESC, row")
        self._db.unregister("attrs_frame")
        self._local = threading.local()

    @classmethod
    def open(cls, resources: ArmResources) -> "StructuredStrategy":
        catalog = resources.catalog
        return cls(catalog, EntityAttributes.open(catalog, resources.progress),
                   QueryUnderstander.open(catalog, resources.progress), NamedPlaylists.open(catalog))

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._db.cursor()
        return cur

    def understanding(self, query: Query) -> Understanding:
        """The engine's understanding, or our own when the query came without one."""
        if query.understanding.interpretations or not query.text:
            return query.understanding
        return self.understander.understand(query.raw)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        merged: dict[int, dict[str, float]] = {}
        for interp in interpretations_to_query(self.understanding(query)):
            sql, params = build_sql(interp, budget, self.attrs)
            rows = self._cursor().execute(sql, params).fetchall()
            n_words = len(free_words(interp))
            n_constraints = _count_constraints(interp)
            for row, popularity, hits in rows:
                item = merged.setdefault(row, _new_item())
                item["score"] += interp.likelihood * float(fit(popularity, hits, n_words))
                item["structured_match"] += interp.likelihood
                item["structured_text_hits"] = max(item["structured_text_hits"], hits / n_words if n_words else 0.0)
                item["structured_constraints"] = max(item["structured_constraints"], n_constraints)
        for row, score in self._named(query, budget).items():
            item = merged.setdefault(row, _new_item())
            item["score"] = max(item["score"], score)
            item["structured_playlist_name"] = score - 1.0
        candidates = [
            Candidate(str(self._ids[row]), round(item.pop("score"), 6), features=item)
            for row, item in merged.items()
        ]
        return ranked(candidates, budget)

    def count(self, query: Query) -> int:
        """0 when this arm's list for ``query`` is certainly empty (no reading of it to query: no
        understanding constraint, no playlist it names), else 1: the arm may list something, and
        counting exactly would cost the query itself (see ``ArmSet.empty``)."""
        if not query.text:
            return 0
        named = self.playlists is not None and self.playlists.named(query.tokens) is not None
        return int(bool(interpretations_to_query(self.understanding(query)) or named))

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """The same merged score for arbitrary rows (0 where no interpretation is satisfied)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(rows.size, dtype=np.float64)
        if rows.size == 0 or not query.text:
            return out
        titles = self._title_words[rows]
        popularity = self._popularity[rows]
        for interp in interpretations_to_query(self.understanding(query)):
            keep = self.attrs.mask(interp, rows)
            words = free_words(interp)
            hits = np.array([sum(w in t for w in words) for t in titles], dtype=np.float64)
            out += np.where(keep, interp.likelihood * fit(popularity, hits, len(words)), 0.0)
        named = self._named(query, None)
        if named:
            out = np.maximum(out, [named.get(int(r), 0.0) for r in rows.tolist()])
        return out

    def _named(self, query: Query, limit: int | None) -> dict[int, float]:
        """The reading of a query that names a playlist (:mod:`ltrr.strategies.named_playlist`):
        row -> score, at most ``limit`` rows (None: all of them)."""
        if self.playlists is None or not query.tokens:
            return {}
        return self.playlists.reading(query.tokens, limit if limit is not None else len(self._ids))


def _new_item() -> dict[str, float]:
    """A merged row's score and features before any reading adds to them."""
    return {"score": 0.0, "structured_match": 0.0, "structured_text_hits": 0.0, "structured_constraints": 0.0}


def _count_constraints(interp: Interpretation) -> int:
    return sum([
        bool(interp.entity_type), bool(interp.genres), bool(interp.subgenres), bool(interp.moods),
        bool(interp.activities), interp.year_from is not None, bool(interp.artist_ids), interp.new_release,
    ])
