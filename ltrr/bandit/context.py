"""Context features for the bandit: one fixed-length, finite vector per search.

The vector describes the query (shape, script, what query understanding made
of it), the user (a hashed bucket, the genres they click, how active they
are) and the time. Every feature lies in [0, 1] except the cyclic time
features, which lie in [-1, 1], so LinUCB's ridge regression needs no
scaling.

Context values come from the app and from logs, so they are untrusted.
Recognised keys of ``context`` and their defaults when missing or unusable
(wrong type, NaN, inf, out of range, nested objects):

============== ============================================= ===================
key            meaning                                       default
============== ============================================= ===================
user_id        str or int; anything else means anonymous     anonymous: no user
                                                             bucket, no profile
hour           local hour, 0 <= hour < 24 (number or numeric unknown: sin = cos
               string)                                       = 0
weekday        0 = Monday ... 6 = Sunday                     unknown: sin = cos =
                                                             0, weekend 0
timestamp      epoch seconds (read as UTC), datetime or ISO  unused
               string; gives hour/weekday when those keys
               are missing
session_depth  searches so far in this session (>= 0)        0
session_id     str: one id per session (a first search and   unused by the
               the ones that follow it); read by the         vector; without
               engine's session chains, which learn what a   it, user_id +
               failed search meant from a later click in     timestamp within
               the same session (ltrr.engine.sessions)       10 minutes
============== ============================================= ===================

One feature is not read from ``context`` but probed: ``q_remembered``, how many entities
the query-to-entity memory holds for the query (the memory arm's list length, a dictionary
lookup costing about a millisecond, timed as the search's ``probe`` stage). It tells a
name the memory knows (a title, an artist, a query clicked before) from text it has never
seen (a typo, a new phrasing), which the query's shape and understanding do not.

Another is looked up in the catalog's word list: ``q_playlist_name``, the share of the
query's words in its longest run that is a playlist's whole name (two words or more; see
:meth:`ltrr.bandit.vocab.CatalogVocabulary.playlist_share`). "rap gangsta songs" reads to
query understanding as a title asking for tracks; that it names the playlist "RAP Gangsta"
is what tells the bandit that only the related arm (a playlist's tracks) will serve it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import unicodedata
from collections import Counter, OrderedDict
from typing import Any, Mapping

import numpy as np

from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.query import Query
from ltrr.text import clean, normalize_query, tokenize
from ltrr.understanding_results import Understanding

# Genres of the real catalog (spotify_songs.csv), in ``normalize_query`` form
# ("r&b" -> "r b"). Clicks on other genres still count in the totals.
PROFILE_GENRES = ("pop", "rap", "rock", "latin", "r b", "edm")
SLOTS = ("genre", "mood", "era", "artist", "activity", "new")
USER_BUCKETS = 4

# Counts are log-scaled against these, then clipped to 1.
_MAX_CHARS = 64
_MANY_EVENTS = 1000
_MAX_SESSION = 50
_MAX_ID_CHARS = 128
# Users whose counts and genre profile are kept (the most recently active).
MAX_USERS = 50_000
# Clicks a user's genre lean counts as unseen (UserHistory.affinity): one click is weak evidence.
AFFINITY_PRIOR = 3
# The memory probe's count is kept exactly (count / cap), so cells can bucket it again.
REMEMBERED_CAP = 50

CONTEXT_FEATURES: list[str] = [
    "bias",
    "q_one_word", "q_two_words", "q_three_plus_words",
    "q_chars", "q_has_digits", "q_non_latin", "q_free_text_share", "q_unknown_words",
    "q_remembered", "q_playlist_name",
    *(f"type_{t}" for t in ENTITY_TYPES),
    "intent_any",
    *(f"slot_{s}" for s in SLOTS),
    *(f"user_bucket_{i}" for i in range(USER_BUCKETS)),
    *(f"profile_{g.replace(' ', '_')}" for g in PROFILE_GENRES),
    "profile_top_share",
    "hour_sin", "hour_cos", "weekday_sin", "weekday_cos", "weekend",
    "user_searches", "user_clicks", "session_depth",
]
_INDEX = {name: i for i, name in enumerate(CONTEXT_FEATURES)}


class UserHistory:
    """Per-user search and click counts, and the genres of clicked entities.

    Thread-safe; ``to_dict``/``from_dict`` round-trip through JSON. Rebuilt by
    the engine from the interaction log like the bandit itself. Bounded: the
    ``max_users`` most recently active users are kept (least recently active
    first out), so the engine's state does not grow with the number of users
    who ever searched; eviction follows the order of events, so a replay of the
    log keeps exactly the users the live engine kept.
    """

    def __init__(self, max_users: int = MAX_USERS) -> None:
        self._lock = threading.Lock()
        self.max_users = int(max_users)
        self._searches: Counter[str] = Counter()
        self._clicks: Counter[str] = Counter()
        self._genres: dict[str, Counter[str]] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()   # least recently active first

    def _touch(self, user: str) -> None:
        """Mark ``user`` most recently active; forget the least recently active beyond the bound."""
        self._recent[user] = None
        self._recent.move_to_end(user)
        self._trim()

    def _trim(self) -> None:
        """Forget the least recently active users beyond ``max_users``."""
        while len(self._recent) > self.max_users:
            gone, _ = self._recent.popitem(last=False)
            self._searches.pop(gone, None)
            self._clicks.pop(gone, None)
            self._genres.pop(gone, None)

    def record_search(self, user_id: object) -> None:
        """Count one search by `user_id` (anonymous users are not tracked)."""
        user = _user_key(user_id)
        if user is None:
            return
        with self._lock:
            self._searches[user] += 1
            self._touch(user)

    def record_click(self, user_id: object, genre: object = None) -> None:
        """Count one click by `user_id` on an entity of `genre` (None when it has none)."""
        user = _user_key(user_id)
        if user is None:
            return
        key = normalize_query(genre) if isinstance(genre, str) else ""
        with self._lock:
            self._clicks[user] += 1
            if key:
                self._genres.setdefault(user, Counter())[key[:_MAX_ID_CHARS]] += 1
            self._touch(user)

    def __len__(self) -> int:
        with self._lock:
            return len(self._recent)

    def searches(self, user_id: object) -> int:
        """How many searches `user_id` made."""
        user = _user_key(user_id)
        with self._lock:
            return self._searches.get(user, 0) if user is not None else 0

    def clicks(self, user_id: object) -> int:
        """How many clicks `user_id` made."""
        user = _user_key(user_id)
        with self._lock:
            return self._clicks.get(user, 0) if user is not None else 0

    def profile(self, user_id: object) -> dict[str, float]:
        """Share of the user's genre-tagged clicks per genre, most clicked first; {} if none."""
        user = _user_key(user_id)
        with self._lock:
            counts = Counter(self._genres.get(user, {})) if user is not None else Counter()
        total = sum(counts.values())
        return {g: n / total for g, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}

    def affinity(self, user_id: object) -> dict[str, float]:
        """How much the user leans to each genre they clicked: clicks on it / (their genre-tagged
        clicks + ``AFFINITY_PRIOR``); {} for an anonymous user or one with no such click.

        Unlike :meth:`profile`, a user with one click does not lean 100% to its genre: the prior
        stands for clicks not yet seen, so the lean grows with the evidence (0.25 after one click,
        0.77 after ten on one genre)."""
        user = _user_key(user_id)
        with self._lock:
            counts = dict(self._genres.get(user, {})) if user is not None else {}
        total = sum(counts.values()) + AFFINITY_PRIOR
        return {g: n / total for g, n in counts.items()}

    def to_dict(self) -> dict:
        """JSON-ready snapshot."""
        with self._lock:
            # Users in order of activity, least recent first (what from_dict reads back).
            return {
                "searches": {u: self._searches[u] for u in self._recent if u in self._searches},
                "clicks": {u: self._clicks[u] for u in self._recent if u in self._clicks},
                "genres": {u: dict(self._genres[u]) for u in self._recent if u in self._genres},
            }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "UserHistory":
        """Rebuild from :meth:`to_dict` output; malformed entries are skipped."""
        history = cls()
        if not isinstance(data, Mapping):
            return history
        for attr, key in (("_searches", "searches"), ("_clicks", "clicks")):
            counts = data.get(key)
            if isinstance(counts, Mapping):
                getattr(history, attr).update(
                    {str(u): int(n) for u, n in counts.items() if _is_count(n)})
        genres = data.get("genres")
        if isinstance(genres, Mapping):
            for user, counts in genres.items():
                if isinstance(counts, Mapping):
                    kept = Counter({str(g): int(n) for g, n in counts.items() if _is_count(n)})
                    if kept:
                        history._genres[str(user)] = kept
        # Users in the snapshot's order: least recently active first (to_dict writes them so).
        for user in dict.fromkeys((*history._searches, *history._clicks, *history._genres)):
            history._touch(user)
        return history

    def state_dict(self) -> dict:
        """JSON-ready snapshot for an engine checkpoint (same shape as :meth:`to_dict`)."""
        return self.to_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the counts, in place, by :meth:`state_dict`'s output (malformed entries skipped)."""
        loaded = UserHistory.from_dict(state)
        with self._lock:
            self._searches, self._clicks, self._genres = loaded._searches, loaded._clicks, loaded._genres
            self._recent = loaded._recent
            self._trim()


def remembered_feature(count: int | np.ndarray) -> float | np.ndarray:
    """``q_remembered`` for the memory probe's count(s): count / :data:`REMEMBERED_CAP`, clipped to
    [0, 1], so the count is read back exactly below the cap (a number, or an array of them)."""
    return np.clip(count, 0, REMEMBERED_CAP) / REMEMBERED_CAP


def context_vector(query_text: "Query | object", understanding: Understanding | None,
                   context: Mapping[str, Any] | None = None,
                   history: UserHistory | None = None, vocabulary=None,
                   remembered: int | None = None) -> np.ndarray:
    """The bandit context for one search: float64, ``len(CONTEXT_FEATURES)`` long, finite.

    ``query_text``: the :class:`ltrr.query.Query` the search made (its cleaned text and tokens
    are used as they are), or any input, cleaned and tokenised here.

    ``vocabulary`` (a :class:`ltrr.bandit.vocab.CatalogVocabulary`) gives
    ``q_unknown_words``, the share of query words no catalog name contains, and
    ``q_playlist_name`` (both 0 without one). ``remembered``: how many entities the query-to-entity memory holds
    for this query (a probe of the memory arm, capped at :data:`REMEMBERED_CAP`; None: 0), read
    as ``q_remembered`` = count / cap. Never raises on bad input; see the module docstring
    for the defaults.
    """
    x = np.zeros(len(CONTEXT_FEATURES), dtype=np.float64)
    context = context if isinstance(context, Mapping) else {}
    u = understanding if isinstance(understanding, Understanding) else Understanding(query="")
    x[_INDEX["bias"]] = 1.0
    if isinstance(query_text, Query):
        raw, tokens = query_text.raw, list(query_text.tokens)
    else:
        raw = clean(query_text)
        tokens = tokenize(raw)
    _query_features(x, raw, tokens, u)
    if vocabulary is not None:
        x[_INDEX["q_unknown_words"]] = vocabulary.unknown_share(tokens)
        x[_INDEX["q_playlist_name"]] = vocabulary.playlist_share(tokens)
    if isinstance(remembered, (int, np.integer)) and not isinstance(remembered, bool):
        x[_INDEX["q_remembered"]] = remembered_feature(int(remembered))
    _understanding_features(x, u)
    user = _user_key(_get(context, "user_id"))
    _user_features(x, user, history)
    _time_features(x, context)
    x[_INDEX["session_depth"]] = _log_scaled(_number(_get(context, "session_depth")), _MAX_SESSION)
    # Belt and braces: every branch above already yields finite values.
    return np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0)


def _query_features(x: np.ndarray, raw: str, tokens: list[str], u: Understanding) -> None:
    n = len(tokens)
    if n == 1:
        x[_INDEX["q_one_word"]] = 1.0
    elif n == 2:
        x[_INDEX["q_two_words"]] = 1.0
    elif n >= 3:
        x[_INDEX["q_three_plus_words"]] = 1.0
    x[_INDEX["q_chars"]] = min(len(raw), _MAX_CHARS) / _MAX_CHARS
    x[_INDEX["q_has_digits"]] = float(any(ch.isdigit() for ch in raw))
    letters = [ch for ch in raw if ch.isalpha()]
    if letters:
        latin = sum(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)
        x[_INDEX["q_non_latin"]] = 1.0 - latin / len(letters)
    if n:
        # Share of the query QU could not explain: high means a title/name lookup.
        free_text = getattr(u.best, "free_text", None)
        free = tokenize(free_text) if isinstance(free_text, str) else tokens
        x[_INDEX["q_free_text_share"]] = min(len(free), n) / n


def _understanding_features(x: np.ndarray, u: Understanding) -> None:
    scores = u.type_scores if isinstance(u.type_scores, Mapping) else {}
    for t in ENTITY_TYPES:
        x[_INDEX[f"type_{t}"]] = _unit(scores.get(t))
    try:
        x[_INDEX["intent_any"]] = float(u.intent == "any")
    except (AttributeError, TypeError, ValueError):     # type_scores that are not a mapping of numbers
        x[_INDEX["intent_any"]] = 1.0
    slots = u.slot_confidence if isinstance(u.slot_confidence, Mapping) else {}
    for s in SLOTS:
        value = _unit(slots.get(s))
        if s == "genre":
            value = max(value, _unit(slots.get("subgenre")))
        x[_INDEX[f"slot_{s}"]] = value


def _user_features(x: np.ndarray, user: str | None, history: UserHistory | None) -> None:
    if user is None:
        return
    # A stable hash: Python's hash() is salted per process, which would break replay.
    bucket = int.from_bytes(hashlib.blake2b(user.encode("utf-8", "replace"), digest_size=4).digest(),
                            "big") % USER_BUCKETS
    x[_INDEX[f"user_bucket_{bucket}"]] = 1.0
    if not isinstance(history, UserHistory):
        return
    profile = history.profile(user)
    for g in PROFILE_GENRES:
        x[_INDEX[f"profile_{g.replace(' ', '_')}"]] = profile.get(g, 0.0)
    x[_INDEX["profile_top_share"]] = max(profile.values(), default=0.0)
    x[_INDEX["user_searches"]] = _log_scaled(history.searches(user), _MANY_EVENTS)
    x[_INDEX["user_clicks"]] = _log_scaled(history.clicks(user), _MANY_EVENTS)


def _time_features(x: np.ndarray, context: Mapping[str, Any]) -> None:
    hour = _number(_get(context, "hour"))
    weekday = _number(_get(context, "weekday"))
    stamp = _timestamp(_get(context, "timestamp"))
    if hour is None and stamp is not None:
        hour = stamp.hour + stamp.minute / 60.0
    if weekday is None and stamp is not None:
        weekday = float(stamp.weekday())
    if hour is not None and 0.0 <= hour < 24.0:
        x[_INDEX["hour_sin"]] = math.sin(2 * math.pi * hour / 24.0)
        x[_INDEX["hour_cos"]] = math.cos(2 * math.pi * hour / 24.0)
    if weekday is not None and weekday in (0, 1, 2, 3, 4, 5, 6):
        x[_INDEX["weekday_sin"]] = math.sin(2 * math.pi * weekday / 7.0)
        x[_INDEX["weekday_cos"]] = math.cos(2 * math.pi * weekday / 7.0)
        x[_INDEX["weekend"]] = float(weekday >= 5)


# -- sanitising helpers ------------------------------------------------------------------

def _get(context: Mapping[str, Any], key: str) -> Any:
    try:
        return context.get(key)
    except Exception:       # a hostile Mapping whose get() raises must not break search
        return None


def _user_key(user_id: object) -> str | None:
    """A canonical user key: str/int ids only (bools and floats are not ids); None if anonymous."""
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)):
        return None
    key = clean(str(user_id), max_chars=_MAX_ID_CHARS)
    return key or None


def _number(value: object) -> float | None:
    """A finite float from a number or numeric string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip()[:32])
        except ValueError:
            return None
    if isinstance(value, int):
        value = float(value) if abs(value) < 2**53 else None
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, np.generic) and np.issubdtype(type(value), np.number):
        return _number(value.item())
    return None


def _unit(value: object) -> float:
    """A number clipped to [0, 1]; 0 for anything unusable."""
    number = _number(value)
    return 0.0 if number is None else min(max(number, 0.0), 1.0)


def _log_scaled(count: float | None, many: float) -> float:
    """log(1 + count) / log(1 + many), clipped to [0, 1]; 0 for negative or unusable counts."""
    if count is None or count <= 0:
        return 0.0
    return min(math.log1p(count) / math.log1p(many), 1.0)


def _timestamp(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()[:64])
        except ValueError:
            pass
    seconds = _number(value)
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
