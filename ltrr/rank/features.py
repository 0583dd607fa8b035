"""Ranker features: one fixed-width float32 row per pooled candidate.

The columns are named once, in :data:`FEATURE_NAMES`, and every consumer (the
heuristic, the LightGBM ranker, saved models, the app's explanations) reads
them by name. The order is derived from the arm registry, so registering a new
arm adds columns and makes older saved models stale (the ranker then ignores
them, see ``ltrr.rank.ranker``).

Per arm ``a`` (every registered arm, in registry order):

    rr_a            1 / rank in arm a's list; 0 when a did not retrieve it
    norm_a          a's retrieval score / a's best score in this search (0 when not retrieved)
    hit_a           1 when a retrieved it
    full_a          a's ``score(query, rows)`` for every pooled candidate, / the max over the pool
    full_missing_a  1 when a is not open, has no ``score`` or it failed (full_a is then 0)

Generic (candidate x query):

    n_arms, best_rr                   how many arms found it; 1 / its best rank in any arm
    title_ratio, title_token_set      rapidfuzz ratio / token_set_ratio of folded query vs title, 0..1
    text_token_set                    token_set_ratio of the query vs "title subtitle", 0..1
    title_exact, title_prefix         normalised title == query / starts with the query
    token_coverage                    share of query tokens found in title + subtitle
    popularity                        popularity / 100, clipped to 0..1
    age_years, age_missing            years before the catalog's newest release (0..60); no date -> 0 + flag
    is_new
    type_<t>                          entity type one-hot (every type in ENTITY_TYPES)
    type_agreement                    QU's P(type asked for == this entity's type)
    intent_confidence                 QU's highest type probability (query-level)
    artist_match, genre_match,        vs. the best QU interpretation: +1 match, -1 the entity has the
    mood_match, era_match               attribute but it differs, 0 no constraint or nothing to compare
    query_len                         number of query tokens / 10, clipped to 0..1
    memory_reformulations             confidence (0..1) that users who failed with this exact query
                                        found the entity next (ltrr.memory.reformulation.confidence): grows
                                        with distinct users, so a vague ask can rank what others
                                        reformulated to even where no arm's own score knows it
    user_genre                        how much the searching user leans to this entity's genre, from
                                        their clicks (ltrr.bandit.context.UserHistory.affinity, 0..1):
                                        "love" or "tunes to unwind to" mean another thing to each
                                        listener, and their own clicks say which

Every value is finite: NaN and infinities from arms or data become 0.
"""
from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.pool import PooledCandidate
from ltrr.query import Query
from ltrr.strategies.base import Strategy
from ltrr.strategies.registry import arm_names
from ltrr.text import normalize_each, normalize_query, tokenize

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog
    from ltrr.memory import QueryMemory

log = logging.getLogger(__name__)

ARM_FEATURES = ("rr", "norm", "hit", "full", "full_missing")
GENERIC_FEATURES = (
    "n_arms", "best_rr",
    "title_ratio", "title_token_set", "text_token_set", "title_exact", "title_prefix", "token_coverage",
    "popularity", "age_years", "age_missing", "is_new",
    *(f"type_{t}" for t in ENTITY_TYPES),
    "type_agreement", "intent_confidence",
    "artist_match", "genre_match", "mood_match", "era_match",
    "query_len",
    "memory_reformulations",
    "user_genre",
)
ARMS: tuple[str, ...] = tuple(arm_names())
FEATURE_NAMES: list[str] = [f"{kind}_{arm}" for arm in ARMS for kind in ARM_FEATURES] + list(GENERIC_FEATURES)
COLUMN: dict[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}

MAX_AGE_YEARS = 60.0
_TYPE_CODE = {t: i for i, t in enumerate(ENTITY_TYPES)}

ArmSource = Mapping[str, Strategy] | Callable[[], Mapping[str, Strategy]]


class FeatureBuilder:
    """Turns a pool of candidates for one query into the feature matrix.

    ``arms`` is either a mapping of the arms that are open now or a callable
    returning it, so that slow arms that finish opening later are picked up
    (or call :meth:`set_arms`). Catalog columns are turned into arrays once,
    here, so that ``build`` only indexes them.
    """

    def __init__(self, catalog: "Catalog", arms: ArmSource | None = None, memory: "QueryMemory | None" = None) -> None:
        self.catalog = catalog
        self._arms: ArmSource = arms if arms is not None else {}
        self.memory = memory          # the engine's query memory (reformulation evidence); None: feature 0
        self._failed_arms: set[str] = set()     # warn once per arm, not once per search
        frame = catalog.entities.frame
        self._ids = frame["entity_id"].to_numpy(dtype=object)
        self._title = frame["title"].fillna("").astype(str).to_numpy(dtype=object)
        self._subtitle = frame["subtitle"].fillna("").astype(str).to_numpy(dtype=object)
        self._text = frame["text"].fillna("").astype(str).to_numpy(dtype=object)
        types = frame["entity_type"].fillna("").astype(str)
        self._type = types.map(_TYPE_CODE).fillna(-1).to_numpy(dtype=np.int64)
        self._type_name = types.to_numpy(dtype=object)
        pop = frame["popularity"].to_numpy(dtype=np.float64, na_value=0.0)
        self._popularity = np.clip(np.nan_to_num(pop / 100.0, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        self._is_new = frame["is_new"].fillna(False).astype(bool).to_numpy()
        # Artist of an entity: itself for artists, the primary artist for tracks and albums.
        artist = frame["artist_id"].fillna("").astype(str).to_numpy(dtype=object)
        self._artist = np.where(types.to_numpy(dtype=object) == "artist", self._ids, artist)
        genre, subgenre = catalog.entities.genre_keys, _normalized(frame["subgenre"])
        self._genres = [frozenset(g for g in pair if g) for pair in zip(genre, subgenre)]
        self._mood = _normalized(frame["mood"])
        self._year, self._age = _years_and_age(frame["release_date"])

    def sharing(self, arms: ArmSource | None = None, memory: "QueryMemory | None" = None) -> "FeatureBuilder":
        """A builder for another engine on the same catalog: the catalog's columns (read only) are
        this one's, not copied; the arms and memory are the other engine's."""
        other = copy.copy(self)
        other._arms = arms if arms is not None else {}
        other.memory = memory
        other._failed_arms = set()
        return other

    def set_arms(self, arms: ArmSource) -> None:
        """Replace the arms used for ``full_*`` features (a mapping or a callable returning one)."""
        self._arms = arms

    @property
    def arms(self) -> Mapping[str, Strategy]:
        """The arms open right now."""
        arms = self._arms() if callable(self._arms) else self._arms
        return arms or {}

    def build(self, query: Query, pool: list[PooledCandidate]) -> np.ndarray:
        """Features of every pooled candidate, shape (len(pool), len(FEATURE_NAMES)), float32, finite.

        ``user_genre`` reads the searching user's lean the query carries (``Query.lean``, already
        within 0..1); a query without one leaves that column 0."""
        n = len(pool)
        X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float64)
        if n == 0:
            return X.astype(np.float32)
        rows = np.fromiter((p.row for p in pool), dtype=np.int64, count=n)
        self._arm_features(X, query, pool, rows)
        self._text_features(X, query, rows)
        self._entity_features(X, rows)
        self._understanding_features(X, query, rows)
        if self.memory is not None and query.text:
            X[:, COLUMN["memory_reformulations"]] = self.memory.reformulation_confidence(
                query, [p.entity_id for p in pool])
        if query.lean:
            lean = query.lean
            X[:, COLUMN["user_genre"]] = [max((lean.get(g, 0.0) for g in self._genres[r]), default=0.0)
                                          for r in rows]
        np.nan_to_num(X, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        return X.astype(np.float32)

    # -- per-arm provenance and scores ------------------------------------------------
    def _arm_features(self, X: np.ndarray, query: Query, pool: list[PooledCandidate], rows: np.ndarray) -> None:
        best_rank = np.zeros(len(pool))
        for i, cand in enumerate(pool):
            X[i, COLUMN["n_arms"]] = len(cand.arm_ranks)
            if cand.arm_ranks:
                best_rank[i] = max(1, min(cand.arm_ranks.values()))
            for arm, rank in cand.arm_ranks.items():
                col = COLUMN.get(f"rr_{arm}")
                if col is None:                 # an arm the registry does not know: counted, no columns
                    continue
                X[i, col] = 1.0 / max(1, int(rank))
                X[i, COLUMN[f"hit_{arm}"]] = 1.0
                X[i, COLUMN[f"norm_{arm}"]] = _finite(cand.arm_scores.get(arm, 0.0))
        X[:, COLUMN["best_rr"]] = np.divide(1.0, best_rank, out=np.zeros(len(pool)), where=best_rank > 0)
        for arm in ARMS:
            col = COLUMN[f"norm_{arm}"]
            X[:, col] = scale_by_max(X[:, col])
        arms = self.arms
        for arm in ARMS:
            scores = self._arm_scores(arms.get(arm), arm, query, rows)
            if scores is None:
                X[:, COLUMN[f"full_missing_{arm}"]] = 1.0
            else:
                X[:, COLUMN[f"full_{arm}"]] = scale_by_max(scores)

    def _arm_scores(self, strategy: Strategy | None, arm: str, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """One vectorised ``score`` call; anything unusable (None, wrong shape, an exception) is 'missing'."""
        if strategy is None:
            return None
        try:
            scores = strategy.score(query, rows)
        except Exception as exc:  # an arm's bug must not break ranking; it only loses a feature
            if arm not in self._failed_arms:
                self._failed_arms.add(arm)
                log.warning("arm %r score() failed (%s); its full_%s feature is treated as missing", arm, exc, arm)
            return None
        if scores is None:
            return None
        try:
            scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            scores = np.zeros(0)          # not numbers: reported below like a wrong length
        if scores.shape[0] != rows.shape[0]:
            if arm not in self._failed_arms:
                self._failed_arms.add(arm)
                log.warning("arm %r score() did not return %d numbers; its full_%s feature is treated as missing",
                            arm, len(rows), arm)
            return None
        return np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)

    # -- title / text similarity --------------------------------------------------------
    def _text_features(self, X: np.ndarray, query: Query, rows: np.ndarray) -> None:
        q = query.text                      # already folded and tokenised
        X[:, COLUMN["query_len"]] = min(1.0, len(query.tokens) / 10.0)
        if not q:
            return
        titles = [" ".join(tokenize(t)) for t in self._title[rows]]
        both = [f"{t} {' '.join(tokenize(s))}".strip() for t, s in zip(titles, self._subtitle[rows])]
        # cdist runs the scorer in C over the whole pool; processor=None because strings are normalised.
        X[:, COLUMN["title_ratio"]] = cdist([q], titles, scorer=fuzz.ratio, processor=None)[0] / 100.0
        X[:, COLUMN["title_token_set"]] = cdist([q], titles, scorer=fuzz.token_set_ratio, processor=None)[0] / 100.0
        X[:, COLUMN["text_token_set"]] = cdist([q], both, scorer=fuzz.token_set_ratio, processor=None)[0] / 100.0
        q_tokens = set(query.tokens)
        for i, (title, text) in enumerate(zip(titles, both)):
            X[i, COLUMN["title_exact"]] = float(title == q)
            # A prefix on a word boundary: "shake it" is a prefix of "shake it off", "sha" is not.
            X[i, COLUMN["title_prefix"]] = float(title == q or title.startswith(q + " "))
            X[i, COLUMN["token_coverage"]] = len(q_tokens & set(text.split())) / len(q_tokens)

    # -- entity facts ---------------------------------------------------------------------
    def _entity_features(self, X: np.ndarray, rows: np.ndarray) -> None:
        X[:, COLUMN["popularity"]] = self._popularity[rows]
        age = self._age[rows]
        missing = np.isnan(age)
        X[:, COLUMN["age_years"]] = np.where(missing, 0.0, age)
        X[:, COLUMN["age_missing"]] = missing
        X[:, COLUMN["is_new"]] = self._is_new[rows]
        codes = self._type[rows]
        for t, code in _TYPE_CODE.items():
            X[:, COLUMN[f"type_{t}"]] = codes == code

    # -- agreement with query understanding -------------------------------------------
    def _understanding_features(self, X: np.ndarray, query: Query, rows: np.ndarray) -> None:
        qu = query.understanding
        type_scores = qu.type_scores or {}
        X[:, COLUMN["type_agreement"]] = [_finite(type_scores.get(t, 0.0)) for t in self._type_name[rows]]
        X[:, COLUMN["intent_confidence"]] = max((_finite(v) for v in type_scores.values()), default=0.0)
        best = qu.best
        if best.artist_ids:
            wanted = set(best.artist_ids)
            X[:, COLUMN["artist_match"]] = [_match(a, a in wanted) for a in self._artist[rows]]
        genres = {normalize_query(g) for g in (*best.genres, *best.subgenres)} - {""}
        if genres:
            X[:, COLUMN["genre_match"]] = [_match(g, bool(g & genres)) for g in (self._genres[r] for r in rows)]
        moods = {normalize_query(m) for m in best.moods} - {""}
        if moods:
            X[:, COLUMN["mood_match"]] = [_match(m, m in moods) for m in self._mood[rows]]
        if best.year_from is not None or best.year_to is not None:
            X[:, COLUMN["era_match"]] = self._era_match(best.year_from, best.year_to, rows)

    def _era_match(self, year_from: int | None, year_to: int | None, rows: np.ndarray) -> np.ndarray:
        lo = year_from if year_from is not None else -10_000
        hi = year_to if year_to is not None else 10_000
        years = self._year[rows]
        out = np.where((years >= lo) & (years <= hi), 1.0, -1.0)
        # Playlists have no release date but name their era in their text ("90s Rap", "1990s").
        era_words = _era_words(lo, hi)
        for i, r in enumerate(rows):
            if np.isnan(years[i]):
                out[i] = 1.0 if era_words and era_words & set(tokenize(self._text[r])) else 0.0
        return out


def _normalized(column: pd.Series) -> np.ndarray:
    """normalize_query of every value ("" where there is none)."""
    return np.array(normalize_each(column.tolist()), dtype=object)


def _years_and_age(dates) -> tuple[np.ndarray, np.ndarray]:
    """Release year and years before the newest release; NaN where there is no date."""
    parsed = pd.to_datetime(dates, errors="coerce")
    days = (parsed - parsed.max()).dt.days.to_numpy(dtype=np.float64, na_value=np.nan) if parsed.notna().any() \
        else np.full(len(parsed), np.nan)
    age = np.clip(-days / 365.25, 0.0, MAX_AGE_YEARS)
    years = parsed.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
    return years, age


def _era_words(lo: int, hi: int) -> set[str]:
    """Decade words that name an era inside [lo, hi]: 1990-1999 -> {"1990s", "90s"}."""
    if hi - lo > 60 or lo < 1900:
        return set()
    words = set()
    for decade in range((lo // 10) * 10, hi + 1, 10):
        words |= {f"{decade}s", f"{decade % 100:02d}s"}
    return words


def _match(value, is_match: bool) -> float:
    """+1 when the entity matches, -1 when it has a value that differs, 0 when it has none."""
    if is_match:
        return 1.0
    return -1.0 if value else 0.0


def _finite(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    return value if np.isfinite(value) else 0.0


def scale_by_max(values: np.ndarray) -> np.ndarray:
    """Divide by the largest value in this search so scores from different queries compare (max -> 1)."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    top = values.max(initial=0.0)
    # Clipped because an arm with negative scores (cosine) could otherwise exceed -1 when the best is tiny.
    return np.clip(values / top, -1.0, 1.0) if top > 0 else np.zeros_like(values)


_scale_by_max = scale_by_max      # the older private name
