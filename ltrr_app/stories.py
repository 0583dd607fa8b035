"""Guided demo stories and example queries, built from what the open catalog holds.

A story is a few steps (a query, sometimes a user and an hour) plus "what to
look for". Steps are written from :class:`CatalogFacts`, so a story never
suggests an entity type, genre or mood the catalog does not have. Plain Python
(no Streamlit): the pages render it, the tests check it alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Step:
    """One thing to do on the Search page."""

    label: str
    query: str
    user: str | None = None
    hour: int | None = None
    k: int | None = None        # at least this many results (the broad story looks at a top ten)


@dataclass(frozen=True)
class Story:
    """A guided demo: where it happens, what to do and what to look for."""

    key: str
    title: str
    page: str                  # "search" or "simulator"
    summary: str


STORIES: dict[str, Story] = {s.key: s for s in (
    Story("typo", "1 · Typo rescue", "search",
          "A misspelt artist still finds the artist: the typo-tolerant and meaning arms rescue what word "
          "match misses."),
    Story("clicks", "2 · Learning from clicks", "search",
          "Play a result that is not at the top, search again, and watch it climb: the memory of past clicks "
          "and the ranker learn from one click."),
    Story("context", "3 · Context picks the arms", "search",
          "Two different kinds of query: the bandit runs different arms with different budgets for each."),
    Story("cost", "4 · Cost: fewer candidates", "simulator",
          "Simulated users: does the learning policy ask for fewer candidates per search than running every "
          "arm, and how close does its success stay? The chart answers for this catalog, honestly."),
    Story("drift", "5 · New releases, drift", "search",
          "Ask for what is new: the fresh arm serves it, and the bandit's estimate for it moves with clicks."),
    Story("broad", "6 · Vague asks, reworded", "search",
          "Three listeners ask for something vague, find nothing they want, reword it and play what the "
          "reworded search found. A fourth listener's vague ask then shows that find: the memory learned what "
          "the vague words meant."),
)}


@dataclass(frozen=True)
class CatalogFacts:
    """What the open catalog holds, as far as demos care."""

    counts: dict[str, int]
    artists: tuple[str, ...] = ()        # most popular first
    genres: tuple[str, ...] = ()         # most common first
    moods: tuple[str, ...] = ()
    has_new: bool = False
    titles: tuple[str, ...] = field(default=())   # popular track titles

    def has(self, entity_type: str) -> bool:
        return int(self.counts.get(entity_type, 0)) > 0

    @classmethod
    def from_engine(cls, engine: Any, limit: int = 500_000) -> "CatalogFacts":
        """Read counts, popular artists, common genres and moods through the engine's public API."""
        counts = {k: int(v) for k, v in engine.catalog_counts().items()}
        artists = _by_popularity(engine.browse("artist", limit=limit))
        tracks = engine.browse("track", limit=limit)
        genres: tuple[str, ...] = ()
        if not tracks.empty and "genre" in tracks:
            genres = tuple(str(g) for g in tracks["genre"].dropna().astype(str).value_counts().index if g.strip())
        moods = tuple(engine.understander.lexicon.moods) if _has_lexicon(engine) else ()
        # Moods people say in demos first ("sad songs", not "angry songs").
        moods = tuple(sorted(moods, key=lambda m: (MOOD_ORDER.index(m) if m in MOOD_ORDER else len(MOOD_ORDER), m)))
        has_new = False
        if not tracks.empty and "release_date" in tracks:
            dates = pd.to_datetime(tracks["release_date"], errors="coerce").dropna()
            has_new = bool(len(dates)) and (dates >= dates.max() - pd.Timedelta(days=60)).sum() >= 10
        return cls(counts=counts, artists=artists[:30], genres=genres[:20], moods=moods, has_new=has_new,
                   titles=_by_popularity(tracks)[:30])


def _has_lexicon(engine: Any) -> bool:
    return hasattr(getattr(engine, "understander", None), "lexicon")


MOOD_ORDER = ("sad", "chill", "happy", "romantic", "energetic", "dark", "angry")


def demo_artist(artists: tuple[str, ...]) -> str | None:
    """The popular artist that makes the clearest typo demo: a word of 5+ letters to misspell."""
    def clear(name: str) -> bool:
        words = name.lower().split()
        return (len(words) == 2 and max(len(w) for w in words) >= 5
                and not set(words) & {"and", "the", "dj", "lil", "mc", "band", "of"})

    return next((a for a in artists if clear(a)), artists[0] if artists else None)


def _by_popularity(frame: pd.DataFrame) -> tuple[str, ...]:
    if frame is None or frame.empty:
        return ()
    frame = frame.sort_values("popularity", ascending=False, kind="stable")
    # Short plain names make readable demos ("Taylor Swift", not "Sam & The Womp feat. ...").
    names = [str(t) for t in frame["title"] if 4 <= len(str(t)) <= 24 and str(t).replace(" ", "").isalpha()]
    return tuple(dict.fromkeys(names))


_SWAP = {"o": "e", "e": "a", "a": "e", "i": "y", "u": "o", "y": "i"}


def misspell(name: str) -> str:
    """A plausible one-letter typo: the last vowel of the longest word changes.

    ``"Taylor Swift"`` -> ``"tayler swift"``. Deterministic; names without a
    vowel past the first letter get two letters swapped instead.
    """
    words = name.lower().split()
    if not words:
        return name
    i = max(range(len(words)), key=lambda j: len(words[j]))
    word = words[i]
    for j in range(len(word) - 1, 0, -1):
        if word[j] in _SWAP:
            words[i] = word[:j] + _SWAP[word[j]] + word[j + 1:]
            return " ".join(words)
    if len(word) >= 3:
        words[i] = word[0] + word[2] + word[1] + word[3:]
    return " ".join(words)


def examples(facts: CatalogFacts) -> list[str]:
    """Example queries for the Search page, only for what the catalog has."""
    out = []
    artist = demo_artist(facts.artists)
    if artist:
        out.append(misspell(artist))
    if facts.genres and facts.has("playlist"):
        out.append(f"{facts.genres[0]} playlist")
    elif facts.genres:
        out.append(f"{facts.genres[0]} songs")
    if facts.moods:
        out.append(f"{facts.moods[0]} songs")
    if len(facts.genres) > 1:
        out.append(f"90s {facts.genres[1]}")
    if facts.has_new:
        out.append("new releases")
    if facts.has("podcast"):
        out.append("history podcast")
    if facts.titles:
        out.append(facts.titles[0].lower())
    return list(dict.fromkeys(out))


# The broad-ask story (ltrr_app.broad runs it): a vague ask no arm understands, and who asks it last.
VAGUE_ASK = "tunes to unwind to"
FOURTH_USER = "u4"      # one of the Search page's users, so the person can be the fourth


@dataclass(frozen=True)
class BroadPlan:
    """What the broad story's listeners type: the vague ask and the more specific search they reword it to."""

    vague: str
    reworded: str


def broad_plan(facts: CatalogFacts) -> BroadPlan | None:
    """The vague ask and its rewording for this catalog: a mood word as playlists name it ("chill
    songs") when the catalog knows moods, else its most common genre; None when it knows neither."""
    if facts.moods:
        mood = "chill" if "chill" in facts.moods else facts.moods[0]
        return BroadPlan(VAGUE_ASK, f"{mood} songs")
    if facts.genres:
        return BroadPlan(VAGUE_ASK, f"{facts.genres[0]} songs")
    return None


def steps(key: str, facts: CatalogFacts) -> list[Step]:
    """The steps of one story for this catalog (empty when the catalog cannot tell it)."""
    artist = demo_artist(facts.artists)
    genre = facts.genres[0] if facts.genres else None
    if key == "typo" and artist:
        return [Step(f"Search the misspelt “{misspell(artist)}”", misspell(artist)),
                Step(f"Compare with the right spelling “{artist.lower()}”", artist.lower())]
    if key == "clicks":
        query = f"{genre} songs" if genre else (facts.titles[0].lower() if facts.titles else "")
        return [Step(f"Search “{query}”, then ▶ Play a result around #5 to #8", query)] if query else []
    if key == "context":
        first = Step(f"An artist: “{artist.lower()}”", artist.lower(), hour=9) if artist else None
        if facts.moods:
            second = Step(f"A mood: “{facts.moods[0]} songs”", f"{facts.moods[0]} songs", hour=23)
        elif genre and facts.has("playlist"):
            second = Step(f"A kind of list: “{genre} playlist”", f"{genre} playlist", hour=23)
        elif genre:
            second = Step(f"A genre and an era: “90s {genre}”", f"90s {genre}", hour=23)
        else:
            second = None
        return [s for s in (first, second) if s is not None]
    if key == "broad":
        told = broad_plan(facts)
        if told is None:
            return []
        # Short labels: the two sit side by side in half the panel (the caption above names the queries).
        return [Step("Ask it", told.vague, k=10),
                Step("Reword it, ▶ Play", told.reworded, k=10),
                Step(f"② A fourth user ({FOURTH_USER}) asks “{told.vague}”", told.vague, user=FOURTH_USER, k=10)]
    if key == "drift" and facts.has_new:
        return [Step("Ask for “new releases”", "new releases"),
                Step(f"Then something older: “80s {genre}”" if genre else "Then a classic", f"80s {genre}"
                     if genre else (facts.titles[0].lower() if facts.titles else "classics"))]
    return []


LOOK_FOR: dict[str, list[str]] = {
    "typo": ["The chips under the box read the typo as the right **artist**.",
             "The **fuzzy** (typo-tolerant) and **semantic** arms find the artist; word match alone finds little.",
             "The top results are by that artist, for both spellings."],
    "clicks": ["Press ▶ Play on a result that is not at the top, then **Search** again.",
               "The played result climbs: its rank trail (for example 8 → 4 → 1) is shown here.",
               "The **past clicks** (memory) arm now finds it, and the bandit's bar for the arms that found it rises."],
    "context": ["Run both queries: the table compares what each was understood as and which arms ran with "
                "what budget (candidates asked for).",
                "The bandit's context is the understood query plus user and hour, so an artist and a mood can get "
                "different arms. If both rows read the same, the policy has not yet seen clicks that tell these "
                "kinds apart: play a fitting result of each and run them again.",
                "On the Bandit page, the heatmap shows the same per kind of query, for every arm at once."],
    "cost": ["Press **Run simulation** with the default policies.",
             "The **cost vs quality** chart: left is cheaper (fewer candidates), up is better (success). The "
             "learning policy should sit well left of “all”; how close it gets in height is the price of that.",
             "The candidates-per-search line of the learning policy falls as it learns; longer runs (1,000+ "
             "searches) let its success catch up."],
    "drift": ["“new releases” is understood as a request for recent music (the “new releases” chip); the "
              "**fresh** arm is the one built for it.",
              "Play a new release: the bars show how the estimate of each arm that found it moved.",
              "Run the older query: what the bandit learned is tied to the kind of query, so its arms differ.",
              "For drift over many users, run the Simulator: its curves show the estimates settling."],
    "broad": ["At first the vague ask misses what the listeners want.",
              "Each play after rewording tells the memory what the vague ask meant; three different "
              "listeners make it sure.",
              "The fourth user's vague ask then shows that song in its top ten, and says where it came from.",
              "Like every story, this teaches the learning state you are using."],
}


def probe_queries(facts: CatalogFacts) -> dict[str, str]:
    """One typical query per kind the catalog can answer, to show what the bandit expects for each."""
    out: dict[str, str] = {}
    artist = demo_artist(facts.artists)
    if artist:
        out["artist"] = artist.lower()
        out["misspelt artist"] = misspell(artist)
    if facts.titles:
        out["song title"] = facts.titles[0].lower()
    if facts.genres:
        out["genre and era"] = f"90s {facts.genres[0]}"
        if facts.has("playlist"):
            out["playlist"] = f"{facts.genres[0]} playlist"
    if facts.moods:
        out["mood"] = f"{facts.moods[0]} songs"
    if facts.has_new:
        out["new"] = "new releases"
    if facts.has("podcast"):
        out["podcast"] = "history podcast"
    return out or {"free text": "love"}
