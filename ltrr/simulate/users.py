"""Simulated users: a population with hidden intents drawn from the catalog,
and the queries they type for them.

An :class:`Interaction` is one search a simulated user makes: who, which
query type, the query text, the hidden :class:`Intent`, the context the app
would send (``user_id``, ``hour``, ``weekday``) and ``relevant``, the set of
entity ids that would satisfy this user for this search (the click model
and the metrics read it; the engine never sees it). ``phase``, ``trending``
and ``instance`` say where the search came from (drift and repetition below).

**An independent instrument.** The users read the catalog's *data* (titles,
artists, genres, release dates, playlist names and memberships, popularity)
to know what is relevant, but none of the system's vocabularies: their mood,
activity, genre and era phrasings live in :mod:`ltrr.simulate.vocab`, written
differently from query understanding, the structured arm and the memory seed,
and nothing here imports ``ltrr.vocabulary``, ``ltrr.understanding`` or
``ltrr.catalog.wordlists`` (a test checks both).

Query types favour different arms on purpose:

================== ================================== =====================================
type               example                            intent
================== ================================== =====================================
exact_title        ``blinding lights``                that track (or an identical copy)
misspelled_title   ``blindng lihgts``                 that track
misspelled_artist  ``the weeknf``                     that artist
partial_title      ``blinding``                       that track
artist_title       ``the weeknd blinding lights``     that track
artist_only        ``the weeknd``                     that artist
genre_era          ``hip-hop hits from the nineties`` genre=rap & 1990<=year<=1999
                                                      (tracks, albums; playlists of that
                                                      genre naming the decade)
mood_activity      ``tunes to unwind to``             tracks of that mood (catalog data),
                                                      playlists whose name says the mood
                                                      or activity, their tracks
playlist           ``sad trap playlist``              that playlist
podcast_topic      ``music history podcast``          podcasts and episodes on the topic
ambiguous          ``love``                           well-known titles with the word
new_releases       ``just dropped``                   a new release: the drift's newest
                                                      tracks, or an album out as recently
                                                      (only after the drift event)
================== ================================== =====================================

A type is generated only when the catalog can satisfy it
(:func:`available_query_types`): the real shared catalog has no podcasts, no
moods and no subgenres, so there ``podcast_topic`` is never drawn and mood
and activity queries are satisfied by playlists whose names say the mood or
activity ("Sad Trap", "Rap Workout") and by the tracks in them.

Context shifts satisfaction, so the bandit's context features matter: for a
mood or activity query that names no genre, a user is satisfied only by
results in their taste genre when the catalog has enough of them; at night
(22:00-04:59) chill and sad results also satisfy a mood query; an ambiguous
word means the well-known titles of the user's taste genre.

**Repetition** (:class:`~ltrr.simulate.demand.QueryPool`). Real query logs
repeat: a few queries are typed by many people, most once. A share
``repeat_share`` of searches re-issues a query instance from a pool of
``query_pool`` instances drawn from the same population before the stream
starts, instance ``r`` (1 = most popular) with probability proportional to
``1 / r ** zipf_exponent``; the rest are fresh.
A repeated instance keeps its text and intent, and its relevance is worked
out again for the user and hour at hand (a mood query is personal).
``Interaction.instance`` is the rank, ``None`` for a fresh query.

**Drift** (:class:`~ltrr.simulate.demand.DriftPlan`). The catalog is
read-only, so drift is in the demand: from step
``drift_step`` on, a share ``drift_share`` of searches asks for the trending
set, the catalog's ``drift_new_releases`` newest tracks (by release date) and
one mid-popularity artist (and their tracks), typed with the user's usual
title and artist query types (:data:`DRIFT_TYPES`); a share ``drift_release_share``
of those searches names nothing and asks what just came out (``new_releases``,
phrased from :data:`~ltrr.simulate.vocab.RELEASE_ASKS`), a kind of query that
did not exist before the event. ``Interaction.phase`` is
``"before"`` or ``"after"`` the event and ``Interaction.trending`` marks the
searches for the trending set; :func:`plan_drift` says what trends.

**Retries.** A user whose search fails them may search again (the runner
decides how often: ``retry_share`` in :func:`~ltrr.simulate.runner.run_simulation`).
A user who wanted one entity then types its name the way the catalog spells
it, a track's title with its artist (``Interaction.retry``): they found the
name elsewhere (a friend, a chart, the radio). A broad intent has no such
name and is not retried.

Everything random comes from numpy generators seeded by the caller:
the same catalog and arguments give the same stream.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ltrr.simulate import vocab
from ltrr.simulate.clicks import check_probability
from ltrr.simulate.demand import DriftPlan, QueryPool, plan_drift
from ltrr.simulate.vocab import fold, words

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog

QUERY_TYPES: tuple[str, ...] = (
    "exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title",
    "artist_only", "genre_era", "mood_activity", "playlist", "podcast_topic", "ambiguous",
)

# How often each type is drawn before per-user variation (renormalised over the
# types the catalog supports). Navigational queries dominate real music search.
BASE_TYPE_WEIGHTS: dict[str, float] = {
    "exact_title": 0.16, "misspelled_title": 0.12, "misspelled_artist": 0.07, "partial_title": 0.08,
    "artist_title": 0.10, "artist_only": 0.10, "genre_era": 0.10, "mood_activity": 0.12,
    "playlist": 0.07, "podcast_topic": 0.05, "ambiguous": 0.08,
}

# The query types a search for the trending set uses: they name a track or an artist.
DRIFT_TYPES: tuple[str, ...] = (
    "exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title", "artist_only",
)

# Moods that also satisfy a mood query at night (see the module docstring).
NIGHT_MOODS = ("chill", "sad")
NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4})



def _qwerty_neighbours() -> dict[str, str]:
    """Each letter's neighbouring keys on a QWERTY keyboard (a slip hits one of them)."""
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    out = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            out[ch] = "".join(rows[r + dr][c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                              if (dr or dc) and 0 <= r + dr < len(rows) and 0 <= c + dc < len(rows[r + dr]))
    return out


_NEIGHBOURS = _qwerty_neighbours()

# Phonetic spellings: (pattern, replacement), tried where the pattern occurs.
_PHONETIC: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"),
    ("s", "z"), ("ee", "i"), ("ou", "u"), ("x", "ks"), ("qu", "kw"),
)

# Bracketed parts and dash suffixes of titles ("(feat. X)", "[Remastered]", "- Radio Edit"),
# which nobody types.
_BRACKETS_RE = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_DASH_RE = re.compile(r"\s+-\s+.*$")
_FEAT_RE = re.compile(r"\s+(feat\.?|ft\.?|featuring|with)\s+.*$", re.IGNORECASE)

MIN_RELEVANT = 3          # a broad intent needs at least this many satisfying entities
TASTE_SHARE = 0.65        # how often a user's target comes from their taste genre
AMBIGUOUS_TOP = 25        # an ambiguous word means this many best-known matching titles



# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class Intent:
    """What a simulated user wants: one entity (``target``) or a predicate (``broad``).

    ``description`` is human-readable: ``"track:abc (Blinding Lights - The Weeknd)"`` or
    ``"genre=rap & 1990<=year<=1999"``.
    """

    kind: str                       # "target" | "broad"
    description: str
    target: str | None = None


@dataclass(frozen=True)
class SimUser:
    """One simulated user: their taste genre, query habits and when they listen."""

    user_id: str
    taste: str
    type_weights: tuple[float, ...]     # over :attr:`UserPopulation.query_types`
    typo_rate: float                    # chance of a second slip in a misspelled query
    peak_hour: int


@dataclass(frozen=True)
class Interaction:
    """One simulated search: the query, its hidden intent and what would satisfy the user.

    ``phase`` is ``"before"`` or ``"after"`` the drift event (always ``"before"``
    without one); ``trending`` is True when the search asks for the trending set;
    ``instance`` is the Zipf rank of a repeated query instance (1 = the most
    popular), ``None`` for a fresh query. ``retry`` is what the user types next when
    this search fails them (see *Retries* in the module docstring), ``None`` for a
    broad intent.
    """

    step: int
    user_id: str
    query_type: str
    query: str
    intent: Intent
    context: dict
    relevant: frozenset[str] = field(repr=False)
    phase: str = "before"
    trending: bool = False
    instance: int | None = None
    retry: str | None = None

    def is_relevant(self, entity_id: str) -> bool:
        """True when this entity satisfies the user."""
        return entity_id in self.relevant

    @property
    def is_repeat(self) -> bool:
        """True when the query re-issues an instance of the popular-query pool."""
        return self.instance is not None


# --------------------------------------------------------------------------- the catalog, as users see it


def query_title(title: str) -> str:
    """A title as people type it: no "(feat. ...)", "[Remastered]" or "- Radio Edit" parts.

    >>> query_title("Pumped up Kicks (feat. Joy Corporation) - Remix")
    'Pumped up Kicks'
    """
    text = _BRACKETS_RE.sub("", title)
    text = _DASH_RE.sub("", text)
    text = _FEAT_RE.sub("", text)
    text = " ".join(text.split())
    return text or " ".join(title.split())


class CatalogView:
    """The catalog's entities as arrays the generator samples from and intents are checked against.

    Built once per stream from ``catalog.entities.frame`` and the playlist
    membership table (reading the catalog is reading data, not the engine).
    """

    def __init__(self, frame: pd.DataFrame, playlist_tracks: pd.DataFrame | None = None) -> None:
        frame = frame.reset_index(drop=True)
        self.frame = frame
        self.ids = frame["entity_id"].astype(str).to_numpy()
        self.types = frame["entity_type"].astype(str).to_numpy()
        self.titles = frame["title"].fillna("").astype(str).to_numpy()
        self.subtitles = frame["subtitle"].fillna("").astype(str).to_numpy()
        self.genres = frame["genre"].fillna("").astype(str).to_numpy()
        self.moods = frame["mood"].fillna("").astype(str).to_numpy() if "mood" in frame else \
            np.full(len(frame), "", dtype=object)
        pop = pd.to_numeric(frame["popularity"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        self.popularity = np.clip(pop, 0.0, None)
        dates = pd.to_datetime(frame["release_date"], errors="coerce") if "release_date" in frame else \
            pd.Series(pd.NaT, index=frame.index)
        self.years = dates.dt.year.fillna(0).to_numpy(dtype=int)
        # Days since 1970 (-1 when unknown): the drift event's "newest releases".
        self.release_days = np.where(dates.isna(), -1,
                                     (dates - pd.Timestamp("1970-01-01")).dt.days.fillna(-1)).astype(np.int64)
        self.artist_ids = frame["artist_id"].fillna("").astype(str).to_numpy() if "artist_id" in frame else \
            np.full(len(frame), "", dtype=object)
        self.row_of = {e: i for i, e in enumerate(self.ids)}
        self.query_titles = np.array([query_title(t) for t in self.titles], dtype=object)
        self.title_tokens = [words(t) for t in self.titles]
        token_rows: dict[str, list[int]] = {}
        for i, toks in enumerate(self.title_tokens):
            for tok in set(toks):
                token_rows.setdefault(tok, []).append(i)
        self.token_rows = {t: np.array(r, dtype=np.int64) for t, r in token_rows.items()}
        # Identical copies (same type, typed title and subtitle) satisfy a target intent too:
        # the real catalog repeats a song on several albums.
        keys = [f"{t}|{' '.join(words(q))}|{' '.join(words(s))}"
                for t, q, s in zip(self.types, self.query_titles, self.subtitles)]
        groups: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        self._copies = {i: rows for rows in groups.values() if len(rows) > 1 for i in rows}
        self.playlist_members: dict[int, np.ndarray] = {}
        if playlist_tracks is not None and len(playlist_tracks):
            for pid, tids in playlist_tracks.groupby("playlist_id")["track_id"]:
                prow = self.row_of.get(str(pid))
                rows = [self.row_of[t] for t in tids.astype(str) if t in self.row_of]
                if prow is not None and rows:
                    self.playlist_members[prow] = np.array(rows, dtype=np.int64)
        self.rows_by_type = {t: np.flatnonzero(self.types == t) for t in np.unique(self.types)}
        self.track_genres = [g for g, _ in Counter(self.genres[self.rows_of("track")]).most_common() if g]
        self._cache: dict[object, Any] = {}

    @classmethod
    def from_catalog(cls, catalog: "Catalog") -> "CatalogView":
        """Read a catalog's entities and playlist membership."""
        members = catalog.query_df("SELECT playlist_id, track_id FROM playlist_tracks")
        return cls(catalog.entities.frame, members)

    def rows_of(self, entity_type: str) -> np.ndarray:
        """Row numbers of one entity type (empty when the catalog has none)."""
        return self.rows_by_type.get(entity_type, np.zeros(0, dtype=np.int64))

    def copies(self, row: int) -> list[int]:
        """The row and its identical copies."""
        return self._copies.get(row, [row])

    def spelled_out(self, entity_id: str) -> str | None:
        """The entity's name as the catalog spells it, lower case; a track's with its artist
        (``"blinding lights the weeknd"``); None for an unknown id."""
        row = self.row_of.get(entity_id)
        if row is None:
            return None
        if self.types[row] == "track":
            return f"{self.query_titles[row]} {self.subtitles[row]}".strip().lower()
        return str(self.titles[row]).strip().lower() or None

    def describe(self, row: int) -> str:
        """``"track:abc (Blinding Lights - The Weeknd)"``."""
        sub = f" - {self.subtitles[row]}" if self.subtitles[row] else ""
        return f"{self.ids[row]} ({self.titles[row]}{sub})"

    def ids_of(self, rows: np.ndarray | list[int]) -> frozenset[str]:
        return frozenset(self.ids[np.asarray(rows, dtype=np.int64)].tolist())

    def cached(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        """Memoise a boolean mask or row array (broad intents repeat)."""
        return self.memo(key, make)

    def memo(self, key: object, make: Callable[[], Any]) -> Any:
        """Compute once per view whatever derives only from the catalog."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def name_mask(self, phrases: Sequence[str], entity_type: str = "playlist") -> np.ndarray:
        """Entities of a type whose title contains one of `phrases` as whole words."""
        def make() -> np.ndarray:
            mask = np.zeros(len(self.ids), dtype=bool)
            for phrase in phrases:
                parts = words(phrase)
                if not parts:
                    continue
                rows = self.token_rows.get(parts[0], np.zeros(0, dtype=np.int64))
                rows = rows[self.types[rows] == entity_type]
                if len(parts) > 1:
                    n = len(parts)
                    rows = np.array([r for r in rows if any(
                        self.title_tokens[r][j:j + n] == parts for j in range(len(self.title_tokens[r]) - n + 1))],
                        dtype=np.int64)
                mask[rows] = True
            return mask
        return self.cached(("name", entity_type, tuple(phrases)), make)

    def with_members(self, mask: np.ndarray) -> np.ndarray:
        """`mask` plus the tracks of every playlist it holds."""
        out = mask.copy()
        for prow in np.flatnonzero(mask & (self.types == "playlist")):
            members = self.playlist_members.get(int(prow))
            if members is not None:
                out[members] = True
        return out


# --------------------------------------------------------------------------- typos


def misspell(text: str, rng: np.random.Generator, n: int = 1) -> str:
    """`text` with `n` realistic slips, always different from `text` when it has letters.

    Slips: a neighbouring QWERTY key, a phonetic spelling (ph/f, c/k, y/i, ...),
    a dropped letter, a doubled letter, and missing accents (which counts as the
    first slip when the text has any).
    """
    out = text
    if _strip_accents(out) != out:
        out = _strip_accents(out)
        n -= 1
    slips = (_keyboard_slip, _phonetic, _drop_letter, _double_letter)
    for _ in range(max(0, n)):
        for attempt in rng.permutation(len(slips)):
            changed = slips[attempt](out, rng)
            if changed != out:
                out = changed
                break
    if out == text and any(ch.isalpha() for ch in text):
        out = _double_letter(text, rng)
    return out


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _letter_positions(text: str, interior: bool = False) -> list[int]:
    """Positions of ASCII letters; `interior` skips each word's first letter (people rarely miss it)."""
    out = []
    for i, ch in enumerate(text):
        if ch.isascii() and ch.isalpha():
            if interior and (i == 0 or not text[i - 1].isalpha()):
                continue
            out.append(i)
    return out


def _keyboard_slip(text: str, rng: np.random.Generator) -> str:
    positions = [i for i in _letter_positions(text, interior=True) if text[i].lower() in _NEIGHBOURS]
    if not positions:
        return text
    i = int(rng.choice(positions))
    near = _NEIGHBOURS[text[i].lower()]
    ch = near[int(rng.integers(len(near)))]
    return text[:i] + (ch.upper() if text[i].isupper() else ch) + text[i + 1:]


def _phonetic(text: str, rng: np.random.Generator) -> str:
    lower = text.lower()
    options = [(m.start(), pat, rep) for pat, rep in _PHONETIC for m in re.finditer(re.escape(pat), lower)]
    if not options:
        return text
    start, pat, rep = options[int(rng.integers(len(options)))]
    return text[:start] + rep + text[start + len(pat):]


def _drop_letter(text: str, rng: np.random.Generator) -> str:
    positions = _letter_positions(text, interior=True)
    if len(positions) < 3:
        return text
    i = int(rng.choice(positions))
    return text[:i] + text[i + 1:]


def _double_letter(text: str, rng: np.random.Generator) -> str:
    positions = _letter_positions(text)
    if not positions:
        return text
    i = int(rng.choice(positions))
    return text[:i + 1] + text[i] + text[i + 1:]


# --------------------------------------------------------------------------- population


class UserPopulation:
    """Users with a taste genre, a personal mix of query types, a typo habit and a peak hour.

    Activity is Zipf-like: a few users search a lot, most rarely, as in real logs.
    """

    def __init__(self, users: list[SimUser], query_types: tuple[str, ...], activity: np.ndarray) -> None:
        self.users = users
        self.query_types = query_types
        self.activity = activity / activity.sum()

    @classmethod
    def generate(cls, view: CatalogView, n_users: int, rng: np.random.Generator,
                 query_types: Sequence[str] | None = None) -> "UserPopulation":
        """Draw `n_users` users over the query types the catalog supports (or `query_types`)."""
        if isinstance(n_users, bool) or not isinstance(n_users, (int, np.integer)) or n_users < 1:
            raise ValueError(f"n_users must be a positive integer, got {n_users!r}")
        supported = available_query_types(view)
        if query_types is None:
            types = supported
        else:
            unknown = [t for t in query_types if t not in QUERY_TYPES]
            if unknown:
                raise ValueError(f"unknown query type(s) {', '.join(map(repr, unknown))}; "
                                 f"known: {', '.join(QUERY_TYPES)}")
            unsupported = [t for t in query_types if t not in supported]
            if unsupported:
                raise ValueError(f"this catalog cannot satisfy query type(s) {', '.join(unsupported)}; "
                                 f"it supports: {', '.join(supported)}")
            types = tuple(dict.fromkeys(query_types))
        if not types:
            raise ValueError("this catalog supports no query type (it needs tracks with titles)")
        base = np.array([BASE_TYPE_WEIGHTS[t] for t in types])
        base = base / base.sum()
        genres = view.track_genres or [""]
        counts = Counter(view.genres[view.rows_of("track")])
        genre_p = np.array([counts.get(g, 0) + 1.0 for g in genres])
        genre_p /= genre_p.sum()
        users = []
        for i in range(int(n_users)):
            mix = rng.dirichlet(base * 30.0) if len(types) > 1 else np.ones(1)
            users.append(SimUser(
                user_id=f"sim{i:04d}",
                taste=str(genres[int(rng.choice(len(genres), p=genre_p))]),
                type_weights=tuple(float(w) for w in mix),
                typo_rate=float(rng.uniform(0.0, 0.5)),
                peak_hour=int(rng.integers(24)),
            ))
        activity = 1.0 / np.arange(1, int(n_users) + 1) ** 0.8
        activity = activity[rng.permutation(int(n_users))]
        return cls(users, types, activity)

    def draw(self, rng: np.random.Generator) -> SimUser:
        """One user, in proportion to activity."""
        return self.users[int(rng.choice(len(self.users), p=self.activity))]


def available_query_types(view: CatalogView) -> tuple[str, ...]:
    """The query types this catalog can satisfy, in :data:`QUERY_TYPES` order."""
    tracks, artists = len(view.rows_of("track")), len(view.rows_of("artist"))
    playlists = len(view.rows_of("playlist"))
    dated = int((view.years[view.rows_of("track")] > 0).sum()) if tracks else 0
    ok = {
        "exact_title": tracks > 0, "misspelled_title": tracks > 0, "partial_title": tracks > 0,
        "misspelled_artist": artists > 0, "artist_only": artists > 0,
        "artist_title": tracks > 0 and artists > 0,
        "genre_era": dated >= MIN_RELEVANT and bool(_genre_eras(view)),
        "mood_activity": bool(_mood_activity_options(view)),
        "playlist": playlists > 0,
        "podcast_topic": len(view.rows_of("podcast")) > 0,
        "ambiguous": bool(_ambiguous_words(view)),
    }
    return tuple(t for t in QUERY_TYPES if ok[t])


# --------------------------------------------------------------------------- query generation


@dataclass(frozen=True)
class _Draft:
    """A query before it meets a context: its text, intent and satisfying rows, and, for
    personal intents (moods, ambiguous words), how to work them out for another user and hour."""

    text: str
    intent: Intent
    rows: np.ndarray
    personal: Callable[[SimUser, int], "tuple[Intent, np.ndarray]"] | None = None

    def for_user(self, user: SimUser, hour: int) -> tuple[Intent, np.ndarray]:
        """(intent, satisfying rows) for `user` at `hour`."""
        return self.personal(user, hour) if self.personal is not None else (self.intent, self.rows)


# One query type's generator: (user, rng, hour) -> a draft, or None when this draw found nothing.
_Maker = Callable[[SimUser, np.random.Generator, int], "_Draft | None"]


class QueryGenerator:
    """Turns a user into an interaction: picks a query type, an intent and the text typed.

    With a :class:`DriftPlan` the generator sends a share of the searches after the
    event to the trending set; with a :class:`QueryPool` it re-issues popular
    instances (see the module docstring).
    """

    def __init__(self, view: CatalogView, population: UserPopulation, drift: DriftPlan | None = None,
                 pool: QueryPool | None = None) -> None:
        self.view = view
        self.population = population
        self.drift = drift
        self.pool = pool
        self._makers: dict[str, _Maker] = {
            "exact_title": self._exact_title, "misspelled_title": self._misspelled_title,
            "misspelled_artist": self._misspelled_artist, "partial_title": self._partial_title,
            "artist_title": self._artist_title, "artist_only": self._artist_only,
            "genre_era": self._genre_era, "mood_activity": self._mood_activity,
            "playlist": self._playlist, "podcast_topic": self._podcast_topic, "ambiguous": self._ambiguous,
            "new_releases": self._new_releases,
        }
        self._pools: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray]] = {}
        self._mood_options = _mood_activity_options(view)
        self._ambiguous = _ambiguous_words(view)
        self._eras = _genre_eras(view)
        self._trending = False   # True while a draft for the trending set is being made

    def context(self, user: SimUser, rng: np.random.Generator) -> dict:
        """The context the app would send: the user, an hour near their peak, a weekday."""
        hour = int((user.peak_hour + round(rng.normal(0.0, 3.0))) % 24)
        return {"user_id": user.user_id, "hour": hour, "weekday": int(rng.integers(7))}

    def interaction(self, step: int, rng: np.random.Generator) -> Interaction:
        """Draw a user, a context and one query: trending (after the drift), repeated or fresh."""
        user = self.population.draw(rng)
        context = self.context(user, rng)
        hour = context["hour"]
        phase = self.drift.phase(step) if self.drift is not None else "before"
        trending, instance, drafted = False, None, None
        if phase == "after" and rng.random() < self.drift.share:
            drafted = self.fresh(user, rng, hour, trending=True)
            trending = drafted is not None
        if drafted is None and self.pool is not None and rng.random() < self.pool.share:
            instance = self.pool.draw(rng)
            drafted = self.pool.entries[instance - 1]
        if drafted is None:
            drafted = self.fresh(user, rng, hour)
        if drafted is None:
            # Every supported type produces a query almost always; this guards pathological catalogs.
            drafted = ("exact_title", self._makers["exact_title"](user, rng, hour))
        qtype, draft = drafted
        intent, rows = draft.for_user(user, hour)
        # Drawn from nothing random, so the stream is the same with or without retries.
        retry = self.view.spelled_out(intent.target) if intent.kind == "target" and intent.target else None
        return Interaction(step, user.user_id, qtype, draft.text, intent, context, self.view.ids_of(rows),
                           phase=phase, trending=trending, instance=instance, retry=retry)

    def draw_fresh(self, rng: np.random.Generator) -> tuple[str, _Draft] | None:
        """A fresh query of a user drawn from the population, at an hour of theirs (the pool's entries)."""
        user = self.population.draw(rng)
        return self.fresh(user, rng, self.context(user, rng)["hour"])

    def fresh(self, user: SimUser, rng: np.random.Generator, hour: int,
              trending: bool = False) -> tuple[str, _Draft] | None:
        """A new query of one of the user's query types (only :data:`DRIFT_TYPES` when
        `trending`, whose targets then come from the trending set), or None."""
        types = self.population.query_types
        weights = np.array(user.type_weights)
        if trending:
            keep = np.array([t in DRIFT_TYPES for t in types])
            if self.drift is None or not keep.any():
                return None
            # Part of the same trending demand, so it needs the title and artist types too.
            if rng.random() < self.drift.release_share:
                draft = self._new_releases(user, rng, hour)
                if draft is not None:
                    return "new_releases", draft
            weights = np.where(keep, weights, 0.0)
            weights = weights / weights.sum()
        self._trending = trending
        try:
            for _ in range(20):
                qtype = types[int(rng.choice(len(types), p=weights))]
                draft = self._makers[qtype](user, rng, hour)
                if draft is not None:
                    return qtype, draft
        finally:
            self._trending = False
        return None

    def make(self, query_type: str, user: SimUser, rng: np.random.Generator,
             hour: int = 12) -> tuple[str, Intent, frozenset[str]] | None:
        """One query of `query_type` for `user` at `hour`: (text, intent, relevant entity ids),
        or None when this draw found nothing to ask for."""
        if query_type not in self._makers:
            raise ValueError(f"unknown query type {query_type!r}; known: {', '.join(QUERY_TYPES)}")
        draft = self._makers[query_type](user, rng, hour)
        if draft is None:
            return None
        intent, rows = draft.for_user(user, hour)
        return draft.text, intent, self.view.ids_of(rows)

    # -- helpers ----------------------------------------------------------------------

    def _pick(self, entity_type: str, user: SimUser, rng: np.random.Generator) -> int | None:
        """A popularity-weighted row of a type, from the user's taste genre `TASTE_SHARE` of the
        time; from the trending set while a trending draft is made."""
        if self._trending and self.drift is not None:
            return self.drift.pick(entity_type, self.view, rng)
        if rng.random() < TASTE_SHARE:
            rows, cdf = self._pool(entity_type, user.taste)
            if len(rows):
                return int(rows[min(int(np.searchsorted(cdf, rng.random(), side="right")), len(rows) - 1)])
        rows, cdf = self._pool(entity_type, None)
        if not len(rows):
            return None
        return int(rows[min(int(np.searchsorted(cdf, rng.random(), side="right")), len(rows) - 1)])

    def _pool(self, entity_type: str, genre: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Rows of a type (and genre) with their cumulative sampling probabilities; people look
        for popular things far more often, so the weight is (popularity + 1) ** 1.5."""
        key = (entity_type, genre)
        if key not in self._pools:
            rows = self.view.rows_of(entity_type)
            if genre is not None:
                rows = rows[self.view.genres[rows] == genre]
            w = (self.view.popularity[rows] + 1.0) ** 1.5
            self._pools[key] = (rows, np.cumsum(w) / w.sum() if len(w) else w)
        return self._pools[key]

    def _target(self, text: str, row: int) -> _Draft:
        rows = np.array(self.view.copies(row), dtype=np.int64)
        return _Draft(text, Intent("target", self.view.describe(row), self.view.ids[row]), rows)

    def _typed(self, text: str, rng: np.random.Generator) -> str:
        # Half the users type in lower case.
        return text.lower() if rng.random() < 0.5 else text

    def _track(self, user: SimUser, rng: np.random.Generator, min_letters: int = 1,
               min_words: int = 1) -> int | None:
        for _ in range(10):
            row = self._pick("track", user, rng)
            if row is None:
                return None
            title = self.view.query_titles[row]
            if sum(ch.isalpha() for ch in title) >= min_letters and len(title.split()) >= min_words:
                return row
        return None

    # -- one function per query type ---------------------------------------------------

    def _exact_title(self, user, rng, hour):
        row = self._track(user, rng)
        if row is None:
            return None
        return self._target(self._typed(self.view.query_titles[row], rng), row)

    def _misspelled_title(self, user, rng, hour):
        row = self._track(user, rng, min_letters=4)
        if row is None:
            return None
        title = self.view.query_titles[row]
        slips = 1 + int(len(title) > 12 and rng.random() < user.typo_rate)
        return self._target(self._typed(misspell(title, rng, slips), rng), row)

    def _artist(self, user, rng, min_letters: int = 1) -> int | None:
        for _ in range(10):
            row = self._pick("artist", user, rng)
            if row is None:
                return None
            if sum(ch.isalpha() for ch in self.view.titles[row]) >= min_letters:
                return row
        return None

    def _misspelled_artist(self, user, rng, hour):
        row = self._artist(user, rng, min_letters=4)
        if row is None:
            return None
        name = self.view.titles[row]
        slips = 1 + int(len(name) > 10 and rng.random() < user.typo_rate)
        return self._target(self._typed(misspell(name, rng, slips), rng), row)

    def _artist_only(self, user, rng, hour):
        row = self._artist(user, rng)
        if row is None:
            return None
        return self._target(self._typed(self.view.titles[row], rng), row)

    def _partial_title(self, user, rng, hour):
        row = self._track(user, rng, min_words=3)
        if row is None:
            return None
        parts = self.view.query_titles[row].split()
        size = max(1, int(np.ceil(len(parts) / 2)))
        start = int(rng.integers(len(parts) - size + 1))
        chunk = parts[start:start + size]
        if all(fold(w) in vocab.STOPWORDS for w in chunk):
            chunk = parts[:size + 1]
        return self._target(self._typed(" ".join(chunk), rng), row)

    def _artist_title(self, user, rng, hour):
        row = self._track(user, rng)
        if row is None or not self.view.subtitles[row]:
            return None
        title, artist = self.view.query_titles[row], self.view.subtitles[row]
        form = int(rng.integers(3))
        text = f"{artist} {title}" if form == 0 else f"{title} {artist}" if form == 1 else f"{title} by {artist}"
        return self._target(self._typed(text, rng), row)

    def _playlist(self, user, rng, hour):
        row = self._pick("playlist", user, rng)
        if row is None:
            return None
        name = query_title(self.view.titles[row])
        text = f"{name} playlist" if rng.random() < 0.4 and "playlist" not in fold(name) else name
        return self._target(self._typed(text, rng), row)

    def _new_releases(self, user, rng, hour):
        # Only the drift event makes this ask: before it nothing is "just out".
        if self.drift is None or not len(self.drift.new_rows):
            return None
        text = vocab.RELEASE_ASKS[int(rng.integers(len(vocab.RELEASE_ASKS)))]
        rows = self.drift.release_rows(self.view)
        since = self.drift.release_since(self.view)
        return _Draft(self._typed(text, rng), Intent("broad", f"a release from day {since} on"), rows)

    def _genre_era(self, user, rng, hour):
        if not self._eras:
            return None
        options = [e for e in self._eras if e[0] == user.taste] if rng.random() < TASTE_SHARE else []
        genre, decade, rows = (options or self._eras)[int(rng.integers(len(options or self._eras)))]
        spelled = vocab.genre_phrases(genre)
        eras = vocab.era_phrases(decade)
        template = vocab.ERA_ASKS[int(rng.integers(len(vocab.ERA_ASKS)))]
        text = template.format(g=spelled[int(rng.integers(len(spelled)))], era=eras[int(rng.integers(len(eras)))])
        return _Draft(text, Intent("broad", f"genre={genre} & {decade}<=year<={decade + 9}"), rows)

    def _mood_activity(self, user, rng, hour):
        if not self._mood_options:
            return None
        kind, value, template, genre = self._mood_options[int(rng.integers(len(self._mood_options)))]
        text = template
        if "{g}" in template:
            spelled = vocab.genre_phrases(genre)
            text = template.format(g=spelled[int(rng.integers(len(spelled)))])

        def personal(who: SimUser, at: int) -> tuple[Intent, np.ndarray]:
            return self._mood_relevance(kind, value, genre, who, at)
        intent, rows = personal(user, hour)
        return _Draft(text, intent, rows, personal)

    def _mood_relevance(self, kind: str, value: str, genre: str, user: SimUser,
                        hour: int) -> tuple[Intent, np.ndarray]:
        """Who is satisfied by a mood or activity ask (genre "" when it names none), by context."""
        mask = _mood_activity_mask(self.view, kind, (value,), genre)
        parts = [f"{kind}={value}"] + ([f"genre={genre}"] if genre else [])
        if kind == "mood" and hour in NIGHT_HOURS:
            for mood in NIGHT_MOODS:
                if mood != value:
                    mask = mask | _mood_activity_mask(self.view, "mood", (mood,), genre)
            parts.append("night: chill/sad count")
        if not genre:
            # No genre typed: the user's taste decides, when the catalog has enough of it.
            personal = mask & (self.view.genres == user.taste)
            if personal.sum() >= MIN_RELEVANT:
                mask = personal
                parts.append(f"taste={user.taste}")
        return Intent("broad", " & ".join(parts)), np.flatnonzero(mask)

    def _podcast_topic(self, user, rng, hour):
        rows = self.view.rows_of("podcast")
        if not len(rows):
            return None
        row = int(rows[int(rng.integers(len(rows)))])
        topic = self.view.genres[row] or self.view.titles[row]
        related = ((self.view.types == "podcast") | (self.view.types == "episode")) & (self.view.genres == topic)
        rows_ok = np.flatnonzero(related) if related.any() else np.array([row])
        text = f"{topic} podcast".lower()
        return _Draft(text, Intent("broad", f"topic={topic} & type in (podcast, episode)"), rows_ok)

    def _ambiguous(self, user, rng, hour):
        if not self._ambiguous:
            return None
        word = self._ambiguous[int(rng.integers(len(self._ambiguous)))]

        def personal(who: SimUser, at: int) -> tuple[Intent, np.ndarray]:
            return self._ambiguous_relevance(word, who)
        intent, rows = personal(user, hour)
        return _Draft(word, intent, rows, personal)

    def _ambiguous_relevance(self, word: str, user: SimUser) -> tuple[Intent, np.ndarray]:
        """The best-known titles with `word`, of the user's taste genre when it has enough."""
        mask = np.zeros(len(self.view.ids), dtype=bool)
        for entity_type in self.view.rows_by_type:
            mask |= self.view.name_mask((word,), entity_type)
        personal = mask & (self.view.genres == user.taste)
        described = f"title has '{word}'"
        if personal.sum() >= MIN_RELEVANT:
            mask = personal
            described += f" & genre={user.taste}"
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(-self.view.popularity[rows], kind="stable")][:AMBIGUOUS_TOP]
        return Intent("broad", f"{described} (the {AMBIGUOUS_TOP} best known)"), rows


def _genre_eras(view: CatalogView) -> list[tuple[str, int, np.ndarray]]:
    """(genre, decade, satisfying rows) for every genre-decade pair with enough tracks."""
    return view.memo("genre_eras", lambda: _make_genre_eras(view))


def _make_genre_eras(view: CatalogView) -> list[tuple[str, int, np.ndarray]]:
    out = []
    typed = (view.types == "track") | (view.types == "album")
    for genre in view.track_genres:
        for decade in range(1950, 2030, 10):
            in_era = typed & (view.genres == genre) & (view.years >= decade) & (view.years <= decade + 9)
            if int(in_era.sum()) < MIN_RELEVANT:
                continue
            playlists = view.name_mask(vocab.era_markers(decade), "playlist") & (view.genres == genre)
            out.append((genre, decade, np.flatnonzero(in_era | playlists)))
    return out


def _mood_activity_mask(view: CatalogView, kind: str, values: Sequence[str], genre: str) -> np.ndarray:
    """Entities satisfying a mood or activity (and genre): tagged tracks, playlists named so, their tracks."""
    return view.cached(("mood_activity", kind, tuple(values), genre),
                       lambda: _make_mood_activity_mask(view, kind, values, genre))


def _make_mood_activity_mask(view: CatalogView, kind: str, values: Sequence[str], genre: str) -> np.ndarray:
    markers: list[str] = []
    mask = np.zeros(len(view.ids), dtype=bool)
    for value in values:
        if kind == "mood":
            markers.extend(vocab.MOOD_MARKERS.get(value, (value,)))
            mask |= (view.moods == value) & (view.types == "track")
        else:
            markers.extend(vocab.ACTIVITY_MARKERS.get(value, (value,)))
    named = view.name_mask(tuple(markers), "playlist")
    mask = mask | view.with_members(named)
    if genre:
        mask &= view.genres == genre
    return mask


def _mood_activity_options(view: CatalogView) -> list[tuple[str, str, str, str]]:
    """(kind, value, template, genre) the catalog can satisfy; genre "" for templates without {g}."""
    return view.memo("mood_activity_options", lambda: _make_mood_activity_options(view))


def _make_mood_activity_options(view: CatalogView) -> list[tuple[str, str, str, str]]:
    out = []
    for kind, asks in (("mood", vocab.MOOD_ASKS), ("activity", vocab.ACTIVITY_ASKS)):
        for value, templates in asks.items():
            for template in templates:
                genres = view.track_genres if "{g}" in template else [""]
                for genre in genres:
                    if _mood_activity_mask(view, kind, (value,), genre).sum() >= MIN_RELEVANT:
                        out.append((kind, value, template, genre))
    return out


def _ambiguous_words(view: CatalogView, limit: int = 40) -> list[str]:
    """Common title words that name things of several types ("love", "night"): the catalog decides."""
    # Ten titles make a word common in a real catalog; a toy catalog settles for two.
    least = max(2, min(10, len(view.ids) // 2000))

    def make() -> list[str]:
        counts = []
        for tok, rows in view.token_rows.items():
            if len(rows) >= least and len(tok) >= 3 and tok.isalpha() and tok not in vocab.STOPWORDS \
                    and len(set(view.types[rows].tolist())) >= 2:
                counts.append((-len(rows), tok))
        return sorted(tok for _, tok in sorted(counts)[:limit])
    return view.memo("ambiguous_words", make)


# --------------------------------------------------------------------------- the stream


def _check_int(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def generate_stream(view: CatalogView, steps: int, seed: int, n_users: int = 100,
                    query_types: Sequence[str] | None = None, *,
                    repeat_share: float = 0.3, zipf_exponent: float = 1.0, query_pool: int = 500,
                    drift_step: int | None = None, drift_share: float = 0.5,
                    drift_new_releases: int = 50, drift_release_share: float = 0.4) -> list[Interaction]:
    """`steps` interactions, reproducible from `seed` (the same catalog, seed and settings give
    the same stream). See the module docstring for repetition and drift.

    ``repeat_share``: share of searches that re-issue a popular instance (0 turns repetition
    off); ``zipf_exponent``: the popularity exponent over the ``query_pool`` instances;
    ``drift_step``: the first step of the drift event (None: no drift); ``drift_share``:
    the share of searches after it that ask for the trending set; ``drift_new_releases``:
    how many of the newest tracks trend; ``drift_release_share``: the share of trending
    searches that ask what just came out.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    repeat_share = check_probability("repeat_share", repeat_share)
    if isinstance(zipf_exponent, bool) or not isinstance(zipf_exponent, (int, float, np.floating)) or \
            not math.isfinite(zipf_exponent) or zipf_exponent < 0:
        raise ValueError(f"zipf_exponent must be a finite number >= 0, got {zipf_exponent!r}")
    query_pool = _check_int("query_pool", query_pool, 1)
    if drift_step is not None:
        drift_step = _check_int("drift_step", drift_step, 1)
    drift_share = check_probability("drift_share", drift_share)
    drift_new_releases = _check_int("drift_new_releases", drift_new_releases, 1)
    drift_release_share = check_probability("drift_release_share", drift_release_share)
    rng = np.random.default_rng([int(seed), 0x5EED])
    population = UserPopulation.generate(view, n_users, rng, query_types)
    drift = None if drift_step is None else plan_drift(view, drift_step, drift_share, drift_new_releases, seed,
                                                       drift_release_share)
    generator = QueryGenerator(view, population, drift)
    if repeat_share > 0:
        # Its own generator: the pool's size never changes which users the stream draws.
        pool_rng = np.random.default_rng([int(seed), 0x5EED, 0x9001])
        generator.pool = QueryPool.generate(generator.draw_fresh, query_pool, zipf_exponent, repeat_share, pool_rng)
    return [generator.interaction(step, rng) for step in range(1, int(steps) + 1)]


STREAM_COLUMNS = ["step", "user_id", "query_type", "query", "intent", "intent_kind", "hour", "weekday",
                  "n_relevant", "phase", "trending", "instance"]


def stream_frame(stream: Sequence[Interaction]) -> pd.DataFrame:
    """The stream as a table (step, user, type, query, intent, context, number of relevant
    entities, drift phase, trending, repeated instance rank or <NA>)."""
    frame = pd.DataFrame([{
        "step": it.step, "user_id": it.user_id, "query_type": it.query_type, "query": it.query,
        "intent": it.intent.description, "intent_kind": it.intent.kind, "hour": it.context["hour"],
        "weekday": it.context["weekday"], "n_relevant": len(it.relevant), "phase": it.phase,
        "trending": it.trending, "instance": it.instance,
    } for it in stream], columns=STREAM_COLUMNS)
    frame["instance"] = frame["instance"].astype("Int64")
    return frame


def type_counts(stream: Sequence[Interaction]) -> Mapping[str, int]:
    """How many interactions of each query type a stream holds."""
    return dict(Counter(it.query_type for it in stream))
