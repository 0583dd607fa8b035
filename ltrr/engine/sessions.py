"""Session chains: which searches of a session failed, so that a later, satisfied search of the
same session can teach the memory what they meant.

People who get nothing from a vague ask ("tunes to unwind to") reword it ("chill playlist") and
click. The click says what the first ask meant (query chains: Radlinski and Joachims, "Query
chains: learning to rank from implicit feedback", KDD 2005; Jones et al., "Generating query
substitutions", WWW 2006). This module only keeps the chains; :class:`ltrr.engine.derived.DerivedState`
logs each lesson as a ``reformulation`` event (:mod:`ltrr.events`) and the memory learns it
(:mod:`ltrr.memory.reformulation`).

The rules, and why:

* **A session** is the context's ``session_id`` when the caller gives one (the app and the
  simulator know their sessions best). Without it, the searches of one ``user_id`` at most
  :data:`SESSION_GAP` seconds apart by the context's ``timestamp`` (epoch seconds or ISO text).
  With neither, a search joins no session: guessing would teach one person's find to another
  person's ask. Only the logged context is read, never the clock, so replay rebuilds the same
  sessions.
* **Failed** means not clicked (skipped, or just left) when a later search of the session gets
  its click. A search clicked after the user moved on was not a failure.
* **What is taught**: for each distinct failed query of the session before the clicked search,
  other than the clicked search's own query, the pair (failed query -> clicked entity); the most
  recent failed search of that query carries it. A (failed search, entity) pair is taught once:
  :meth:`SessionChains.note_found` marks the pairs a later find (``found_later``) or a
  reformulation already taught.
* **Bounded**: the :data:`SESSION_LIMIT` most recently active sessions, the
  :data:`SEARCHES_PER_SESSION` latest searches of each. Updated only from log events, in log
  order, and saved in checkpoints: live, full replay and checkpoint + tail agree.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping

# Seconds between two searches of one user (no session id) that still make one session.
SESSION_GAP = 600.0
# Sessions kept (least recently active out first) and searches kept per session (oldest out first).
SESSION_LIMIT = 10_000
SEARCHES_PER_SESSION = 8
_MAX_KEY_CHARS = 128


@dataclass(frozen=True)
class Chain:
    """A failed search and the search of the same session whose click satisfied the user."""

    from_id: str
    from_query: str
    to_id: str
    to_query: str
    user_id: str              # the failed search's user (hashed before it is logged)


class _Search:
    __slots__ = ("id", "query", "user", "clicked", "found")

    def __init__(self, sid: str, query: str, user: str, clicked: bool = False, found: list[str] | None = None):
        self.id, self.query, self.user, self.clicked, self.found = sid, query, user, clicked, found or []


class _Session:
    __slots__ = ("last_ts", "searches")

    def __init__(self, last_ts: float | None = None, searches: list[_Search] | None = None) -> None:
        self.last_ts, self.searches = last_ts, searches or []


def epoch_seconds(value: object) -> float | None:
    """A context timestamp as epoch seconds: a finite number, or ISO 8601 text (naive = UTC); None
    for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return float(value.strip()[:32])
        except ValueError:
            pass
        try:
            stamp = dt.datetime.fromisoformat(value.strip()[:64])
        except ValueError:
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.timezone.utc)
        return stamp.timestamp()
    return None


def session_of(context: Mapping[str, Any], user_id: object) -> tuple[str | None, float | None]:
    """(session key, timestamp) of a search: ``s:<session_id>``, else ``u:<user_id>`` when the
    search has a timestamp (the gap rule applies), else (None, None): no session."""
    sid = context.get("session_id")
    if isinstance(sid, (str, int)) and not isinstance(sid, bool) and str(sid).strip():
        return "s:" + str(sid).strip()[:_MAX_KEY_CHARS], None
    stamp = epoch_seconds(context.get("timestamp"))
    user = context.get("user_id")
    if stamp is None or not isinstance(user, (str, int)) or isinstance(user, bool) or not str(user).strip():
        return None, None
    return "u:" + str(user).strip()[:_MAX_KEY_CHARS], stamp


class SessionChains:
    """The recent searches of the recent sessions (module docstring). Call under the engine's lock."""

    def __init__(self, limit: int = SESSION_LIMIT, per_session: int = SEARCHES_PER_SESSION,
                 gap: float = SESSION_GAP) -> None:
        self.limit, self.per_session, self.gap = int(limit), int(per_session), float(gap)
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._where: dict[str, str] = {}        # search id -> its session's key

    def __len__(self) -> int:
        return len(self._sessions)

    def on_search(self, search_id: str, query: str, user_id: str, context: Mapping[str, Any]) -> None:
        """A search was logged: add it to its session (if it has one)."""
        key, stamp = session_of(context, user_id)
        if key is None:
            return
        session = self._sessions.get(key)
        if session is not None and key.startswith("u:") and (
                session.last_ts is None or abs(stamp - session.last_ts) > self.gap):
            self._drop(key)               # too long since this user's last search: a new session
            session = None
        if session is None:
            session = self._sessions[key] = _Session()
        self._sessions.move_to_end(key)
        session.last_ts = stamp
        session.searches.append(_Search(search_id, query, str(user_id)))
        self._where[search_id] = key
        while len(session.searches) > self.per_session:
            self._where.pop(session.searches.pop(0).id, None)
        while len(self._sessions) > self.limit:
            self._drop(next(iter(self._sessions)))

    def _drop(self, key: str) -> None:
        for search in self._sessions.pop(key).searches:
            self._where.pop(search.id, None)

    def _find(self, search_id: str) -> tuple[list[_Search], int] | None:
        key = self._where.get(search_id)
        if key is None:
            return None
        searches = self._sessions[key].searches
        for i, search in enumerate(searches):
            if search.id == search_id:
                return searches, i
        return None

    def on_click(self, search_id: str, entity_id: str) -> list[Chain]:
        """A click on ``search_id``: the chains it completes (failed earlier searches of its
        session, one per distinct query, whose pair with ``entity_id`` was not taught yet),
        most recent first; the search is marked clicked."""
        found = self._find(search_id)
        if found is None:
            return []
        searches, at = found
        clicked = searches[at]
        chains, seen = [], {clicked.query}
        for earlier in reversed(searches[:at]):
            if earlier.clicked or earlier.query in seen:
                continue
            seen.add(earlier.query)
            if entity_id not in earlier.found:
                chains.append(Chain(earlier.id, earlier.query, clicked.id, clicked.query, earlier.user))
        clicked.clicked = True
        return chains

    def note_found(self, search_id: str, entity_id: str) -> None:
        """``entity_id`` was taught for ``search_id`` (a later find or a reformulation): never again."""
        found = self._find(search_id)
        if found is not None:
            searches, at = found
            if entity_id not in searches[at].found:
                searches[at].found.append(entity_id)

    def clear(self) -> None:
        """Forget every session."""
        self._sessions.clear()
        self._where.clear()

    def state_dict(self) -> dict:
        """JSON-ready: per session (least recently active first) its key, last timestamp and searches."""
        return {"sessions": [[key, s.last_ts, [[x.id, x.query, x.user, x.clicked, list(x.found)]
                                               for x in s.searches]]
                             for key, s in self._sessions.items()]}

    def load_state_dict(self, state: Mapping) -> None:
        """Replace the sessions by :meth:`state_dict`'s output; ValueError (nothing changed) when malformed."""
        sessions: OrderedDict[str, _Session] = OrderedDict()
        where: dict[str, str] = {}
        try:
            for key, last_ts, searches in state["sessions"]:
                items = [_Search(str(sid), str(q), str(u), bool(c), [str(e) for e in found])
                         for sid, q, u, c, found in searches]
                sessions[str(key)] = _Session(None if last_ts is None else float(last_ts), items)
                where.update((x.id, str(key)) for x in items)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed session state: {exc}") from None
        self._sessions, self._where = sessions, where
