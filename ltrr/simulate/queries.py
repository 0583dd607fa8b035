"""What a simulated user types, and what would satisfy them: one search at a time.

An :class:`Interaction` is one search a simulated user makes: who, which
query type, the query text, the hidden :class:`Intent`, the context the app
would send (``user_id``, ``hour``, ``weekday``) and ``relevant``, the set of
entity ids that would satisfy this user for this search (the click model
and the metrics read it; the engine never sees it). ``phase``, ``trending``
and ``instance`` say where the search came from (drift and repetition: see
:mod:`ltrr.simulate.stream`). The query types and what they ask for are in
:mod:`ltrr.simulate.query_types`.

The users' mood, activity, genre and era phrasings live in
:mod:`ltrr.simulate.vocab`, written differently from query understanding, the
structured arm and the memory seed; nothing here imports the system's
vocabularies (a test checks it).

How users type (lower case, artist + title forms, playlist phrasing, typo habits)
and how often targets come from their taste genre are the world's
(:class:`~ltrr.simulate.world.World`, the population's ``world``).

Context shifts satisfaction, so the bandit's context features matter: for a
mood or activity query that names no genre, a user is satisfied only by
results in their taste genre when the catalog has enough of them; at night
(22:00-04:59) chill and sad results also satisfy a mood query; an ambiguous
word means the well-known titles of the user's taste genre.

**Retries.** A user whose search fails them may search again (the runner
decides how often: ``retry_share`` in :func:`~ltrr.simulate.runner.run_simulation`).
A user who wanted one entity then types its name the way the catalog spells
it, a track's title with its artist (``Interaction.retry``): they found the
name elsewhere (a friend, a chart, the radio). A broad intent has no such
name and is not retried.

**Reformulations.** A user a broad ask failed may instead say it again more
specifically, as people do ("tunes to unwind to" -> "chill rnb" -> a click;
the runner decides how often: ``reformulate_share``). What they would type is
worked out with the interaction (``Interaction.follow_up``, ``None`` for a
query type with no follow-up: see :data:`FOLLOW_UP_TYPES`), from what would
satisfy *this* user, in the simulator's own words
(:data:`~ltrr.simulate.vocab.MOOD_FOLLOW_UPS` and its siblings):

* a mood or activity ask names a playlist they would like by the mood or
  activity word its name uses, often with its genre ("chill playlist",
  "rnb chill"), or names the artist of a song they would like ("sza",
  "sza chill");
* an ambiguous word is pinned to the artist of a title they had in mind
  ("love taylor swift");
* a genre and decade ask names an artist of that time ("nas 90s").

The need is unchanged: the follow-up is judged against the same ``relevant``
set, so two users with the same vague ask (different taste, another hour)
follow it up differently and are satisfied by different things. The words
are drawn from a generator of the stream's seed and the step, never the
stream's own, so the stream is the same with or without them, and every
policy meets the same follow-up.

**Sessions.** Every interaction's context carries a ``session_id``
(``"<seed>-<step>"``): the user's first search and whatever they type next in
that step (a retry by name, a follow-up) share it, as the searches of one
visit do in an app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ltrr.simulate import vocab
from ltrr.simulate.catalog_view import CatalogView, query_title
from ltrr.simulate.demand import DriftPlan, QueryPool
from ltrr.simulate.population import SimUser, UserPopulation
from ltrr.simulate.query_types import (DRIFT_TYPES, MIN_RELEVANT, QUERY_TYPES, ambiguous_words, genre_eras,
                                       mood_activity_mask, mood_activity_options, playlists_with_tracks)
from ltrr.simulate.typos import misspell
from ltrr.simulate.vocab import fold

# Moods that also satisfy a mood query at night (see the module docstring).
NIGHT_MOODS = ("chill", "sad")
NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4})
# The broad query types a failed user may follow up (see *Reformulations*); the runner chooses
# which of them it uses.
FOLLOW_UP_TYPES = ("mood_activity", "ambiguous", "genre_era")
# When a mood follow-up could name a playlist or an artist, how often it names the playlist.
PLAYLIST_FOLLOW_UP_SHARE = 0.6
# Tells the follow-up's generator apart from the stream's and the runner's (see interaction()).
_FOLLOW_UP_STREAM = 0xF011
TASTE_SHARE = 0.65        # the default world's share of targets from the user's taste genre (World.taste_share)
AMBIGUOUS_TOP = 25        # an ambiguous word means this many best-known matching titles


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
class Interaction:
    """One simulated search: the query, its hidden intent and what would satisfy the user.

    ``phase`` is ``"before"`` or ``"after"`` the drift event (always ``"before"``
    without one); ``trending`` is True when the search asks for the trending set;
    ``instance`` is the Zipf rank of a repeated query instance (1 = the most
    popular), ``None`` for a fresh query. ``retry`` is what the user types next when
    this search fails them (see *Retries* in the module docstring), ``None`` for a
    broad intent; ``follow_up`` is the more specific search a broad ask that failed may
    be followed by (see *Reformulations*), ``None`` for a named target and for query
    types with none.
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
    follow_up: str | None = None

    def is_relevant(self, entity_id: str) -> bool:
        """True when this entity satisfies the user."""
        return entity_id in self.relevant

    @property
    def is_repeat(self) -> bool:
        """True when the query re-issues an instance of the popular-query pool."""
        return self.instance is not None


@dataclass(frozen=True)
class _Draft:
    """A query before it meets a context: its text, intent and satisfying rows, and, for
    personal intents (moods, ambiguous words), how to work them out for another user and hour.
    ``facets`` are what a follow-up needs of a broad ask: (name, value) pairs such as
    ``("kind", "mood"), ("value", "chill")``, ``("word", "love")`` or ``("decade", 1990)``."""

    text: str
    intent: Intent
    rows: np.ndarray
    personal: Callable[[SimUser, int], "tuple[Intent, np.ndarray]"] | None = None
    facets: tuple[tuple[str, object], ...] = ()

    def for_user(self, user: SimUser, hour: int) -> tuple[Intent, np.ndarray]:
        """(intent, satisfying rows) for `user` at `hour`."""
        return self.personal(user, hour) if self.personal is not None else (self.intent, self.rows)


# One query type's generator: (user, rng, hour) -> a draft, or None when this draw found nothing.
_Maker = Callable[[SimUser, np.random.Generator, int], "_Draft | None"]


class QueryGenerator:
    """Turns a user into an interaction: picks a query type, an intent and the text typed.

    With a :class:`DriftPlan` the generator sends a share of the searches after the
    event to the trending set; with a :class:`QueryPool` it re-issues popular
    instances (see :mod:`ltrr.simulate.stream`).
    """

    def __init__(self, view: CatalogView, population: UserPopulation, drift: DriftPlan | None = None,
                 pool: QueryPool | None = None, seed: int = 0) -> None:
        self.view = view
        # The stream's seed: names sessions and seeds each step's follow-up (never the stream's draws).
        self.seed = int(seed)
        self.population = population
        # The world the users live in (their typing, taste, phrasing): the population's.
        self.world = population.world
        self.drift = drift
        self.pool = pool
        self._makers: dict[str, _Maker] = {
            "exact_title": self._exact_title, "misspelled_title": self._misspelled_title,
            "misspelled_artist": self._misspelled_artist, "partial_title": self._partial_title,
            "artist_title": self._artist_title, "artist_only": self._artist_only,
            "genre_era": self._genre_era, "mood_activity": self._mood_activity,
            "playlist": self._playlist, "podcast_topic": self._podcast_topic, "ambiguous": self._ambiguous,
            "new_releases": self._new_releases, "playlist_tracks": self._playlist_tracks,
        }
        self._pools: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray]] = {}
        self._mood_options = mood_activity_options(view)
        self._ambiguous = ambiguous_words(view)
        self._eras = genre_eras(view)
        self._trending = False   # True while a draft for the trending set is being made

    def context(self, user: SimUser, rng: np.random.Generator) -> dict:
        """The context the app would send: the user, an hour near their peak, a weekday."""
        hour = int((user.peak_hour + round(rng.normal(0.0, 3.0))) % 24)
        return {"user_id": user.user_id, "hour": hour, "weekday": int(rng.integers(7))}

    def interaction(self, step: int, rng: np.random.Generator) -> Interaction:
        """Draw a user, a context and one query: trending (after the drift), repeated or fresh.

        The context carries the step's ``session_id``; the follow-up is drawn from a generator of
        its own (see *Reformulations*), so neither changes what ``rng`` draws."""
        user = self.population.draw(rng)
        context = self.context(user, rng)
        context["session_id"] = self.session_id(step)
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
        follow_up = None
        if qtype in FOLLOW_UP_TYPES and intent.kind == "broad":
            follow_up = self.follow_up(qtype, draft.facets, user, hour, rows, self.follow_up_rng(step))
        return Interaction(step, user.user_id, qtype, draft.text, intent, context, self.view.ids_of(rows),
                           phase=phase, trending=trending, instance=instance, retry=retry, follow_up=follow_up)

    def session_id(self, step: int) -> str:
        """The session a step's searches belong to: ``"<seed>-<step>"``, unique per stream and step."""
        return f"{self.seed}-{int(step)}"

    def follow_up_rng(self, step: int) -> np.random.Generator:
        """The random numbers of one step's follow-up: the stream's seed and the step, nothing else."""
        return np.random.default_rng([self.seed, int(step), _FOLLOW_UP_STREAM])

    def follow_up(self, query_type: str, facets: tuple[tuple[str, object], ...], user: SimUser, hour: int,
                  rows: np.ndarray, rng: np.random.Generator) -> str | None:
        """What `user` types after the broad ask (`query_type`, its `facets`) failed them, at `hour`,
        wanting `rows`: a more specific search in the simulator's words (see *Reformulations*), or
        None when nothing they want can be named that way."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return None
        known = dict(facets)
        if query_type == "mood_activity" and "kind" in known:
            text = self._mood_follow_up(str(known["kind"]), str(known["value"]), hour, rows, rng)
        elif query_type == "ambiguous" and "word" in known:
            text = self._artist_follow_up(rows, ("track", "album"), rng, vocab.AMBIGUOUS_FOLLOW_UPS,
                                          word=str(known["word"]))
        elif query_type == "genre_era" and "decade" in known:
            eras = vocab.era_phrases(int(known["decade"]))
            text = self._artist_follow_up(rows, ("track", "album"), rng, vocab.ERA_FOLLOW_UPS,
                                          era=eras[int(rng.integers(len(eras)))])
        else:
            return None
        return self._typed(text, rng) if text else None

    def _mood_follow_up(self, kind: str, value: str, hour: int, rows: np.ndarray,
                        rng: np.random.Generator) -> str | None:
        """A mood or activity ask said again: a playlist they like, by its mood word (and genre),
        or an artist of a song they like."""
        table = vocab.MOOD_MARKERS if kind == "mood" else vocab.ACTIVITY_MARKERS
        markers = list(table.get(value, (value,)))
        if kind == "mood" and hour in NIGHT_HOURS:
            # At night chill and sad playlists satisfy too (see _mood_relevance): their words name them.
            markers += [m for mood in NIGHT_MOODS if mood != value for m in vocab.MOOD_MARKERS.get(mood, ())]
        playlists = rows[self.view.types[rows] == "playlist"]
        by_artist = rows[(self.view.types[rows] == "track") & (self.view.subtitles[rows] != "")]
        if not len(playlists) and not len(by_artist):
            return None
        if len(playlists) and (not len(by_artist) or rng.random() < PLAYLIST_FOLLOW_UP_SHARE):
            row = self._popular(playlists, rng)
            named = [m for m in markers if self._names(row, m)]
            marker = named[int(rng.integers(len(named)))] if named else markers[0]
            genre = self.view.genres[row]
            templates = [t for t in vocab.MOOD_FOLLOW_UPS if genre or "{g}" not in t]
            spelled = vocab.genre_phrases(genre) if genre else ("",)
            template = templates[int(rng.integers(len(templates)))]
            return template.format(marker=marker, g=spelled[int(rng.integers(len(spelled)))])
        return self._artist_follow_up(by_artist, ("track",), rng, vocab.MOOD_ARTIST_FOLLOW_UPS, marker=markers[0])

    def _artist_follow_up(self, rows: np.ndarray, types: tuple[str, ...], rng: np.random.Generator,
                          templates: tuple[str, ...], **slots: str) -> str | None:
        """One of `templates` with the artist of a wanted row of `types` (best known most often)."""
        rows = rows[np.isin(self.view.types[rows], types) & (self.view.subtitles[rows] != "")]
        if not len(rows):
            return None
        row = self._popular(rows, rng)
        template = templates[int(rng.integers(len(templates)))]
        return template.format(artist=str(self.view.subtitles[row]).strip(), **slots)

    def _popular(self, rows: np.ndarray, rng: np.random.Generator) -> int:
        """A row of `rows`, the better known more often (the weight of :meth:`_pool`)."""
        w = (self.view.popularity[rows] + 1.0) ** 1.5
        return int(rows[int(rng.choice(len(rows), p=w / w.sum()))])

    def _names(self, row: int, phrase: str) -> bool:
        """True when `phrase` is in the row's title as whole words."""
        parts, tokens = vocab.words(phrase), self.view.title_tokens[row]
        return bool(parts) and any(tokens[j:j + len(parts)] == parts for j in range(len(tokens) - len(parts) + 1))

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
        """A popularity-weighted row of a type, from the user's taste genre the world's
        ``taste_share`` of the time; from the trending set while a trending draft is made."""
        if self._trending and self.drift is not None:
            return self.drift.pick(entity_type, self.view, rng)
        if rng.random() < self.world.taste_share:
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
        # Some users type in lower case (half of them in the default world).
        return text.lower() if rng.random() < self.world.lowercase_share else text

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
        slips = 1 + int(len(title) > self.world.second_slip_title and rng.random() < user.typo_rate)
        return self._target(self._typed(misspell(title, rng, slips, self.world.slip_weights), rng), row)

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
        slips = 1 + int(len(name) > self.world.second_slip_artist and rng.random() < user.typo_rate)
        return self._target(self._typed(misspell(name, rng, slips, self.world.slip_weights), rng), row)

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
        forms = self.world.artist_title_forms
        text = forms[int(rng.integers(len(forms)))].format(artist=artist, title=title)
        return self._target(self._typed(text, rng), row)

    def _playlist(self, user, rng, hour):
        row = self._pick("playlist", user, rng)
        if row is None:
            return None
        name = query_title(self.view.titles[row])
        text = f"{name} playlist" if rng.random() < self.world.playlist_suffix_share and \
            "playlist" not in fold(name) else name
        return self._target(self._typed(text, rng), row)

    def _playlist_tracks(self, user, rng, hour):
        # A playlist known by name, asked for what is on it: any of its tracks satisfies (the
        # playlist itself does not: the user wants to play songs, not open a list).
        candidates = playlists_with_tracks(self.view)
        asks = self.world.playlist_track_asks
        if not len(candidates) or not asks:
            return None
        rows, cdf = self.view.memo(("playlist_tracks_pool", user.taste), lambda: self._playlist_pool(user.taste))
        if not len(rows) or rng.random() >= self.world.taste_share:
            rows, cdf = self.view.memo(("playlist_tracks_pool", None), lambda: self._playlist_pool(None))
        row = int(rows[min(int(np.searchsorted(cdf, rng.random(), side="right")), len(rows) - 1)])
        name = query_title(self.view.titles[row])
        text = asks[int(rng.integers(len(asks)))].format(name=name)
        members = self.view.playlist_members[row]
        return _Draft(self._typed(text, rng), Intent("broad", f"the tracks of {self.view.describe(row)}"),
                      np.asarray(members, dtype=np.int64))

    def _playlist_pool(self, genre: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Playlists with tracks (of `genre`), with cumulative probabilities by popularity as in :meth:`_pool`."""
        rows = playlists_with_tracks(self.view)
        if genre is not None:
            rows = rows[self.view.genres[rows] == genre]
        w = (self.view.popularity[rows] + 1.0) ** 1.5
        return rows, (np.cumsum(w) / w.sum() if len(w) else w)

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
        options = [e for e in self._eras if e[0] == user.taste] if rng.random() < self.world.taste_share else []
        genre, decade, rows = (options or self._eras)[int(rng.integers(len(options or self._eras)))]
        spelled = vocab.genre_phrases(genre)
        eras = vocab.era_phrases(decade)
        template = vocab.ERA_ASKS[int(rng.integers(len(vocab.ERA_ASKS)))]
        text = template.format(g=spelled[int(rng.integers(len(spelled)))], era=eras[int(rng.integers(len(eras)))])
        return _Draft(text, Intent("broad", f"genre={genre} & {decade}<=year<={decade + 9}"), rows,
                      facets=(("genre", genre), ("decade", int(decade))))

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
        return _Draft(text, intent, rows, personal, facets=(("kind", kind), ("value", value), ("genre", genre)))

    def _mood_relevance(self, kind: str, value: str, genre: str, user: SimUser,
                        hour: int) -> tuple[Intent, np.ndarray]:
        """Who is satisfied by a mood or activity ask (genre "" when it names none), by context."""
        mask = mood_activity_mask(self.view, kind, (value,), genre)
        parts = [f"{kind}={value}"] + ([f"genre={genre}"] if genre else [])
        if kind == "mood" and hour in NIGHT_HOURS:
            for mood in NIGHT_MOODS:
                if mood != value:
                    mask = mask | mood_activity_mask(self.view, "mood", (mood,), genre)
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
        return _Draft(word, intent, rows, personal, facets=(("word", word),))

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
