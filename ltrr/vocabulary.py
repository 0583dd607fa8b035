"""The fixed words of query understanding: entity types, genre synonyms, moods,
activities, eras and "new".

Everything here is written in folded, tokenised form (``ltrr.text.tokenize``
joined by one space): "R&B" is ``"r b"``, "'90s" is ``"90s"``. Genres, subgenres
and moods are *canonicalised against the catalog* by the understander (a
synonym only counts when the catalog has one of its group's values), while
entity types, activities, eras and "new" are recognised everywhere.
"""
from __future__ import annotations

import re

# Words that name what kind of thing is wanted -> entity type, with confidence.
# "mix" and "radio" usually mean a playlist but also occur in track titles.
TYPE_WORDS: dict[str, tuple[str, float]] = {
    **{w: ("playlist", 0.95) for w in ("playlist", "playlists")},
    **{w: ("playlist", 0.6) for w in ("mix", "mixes", "radio", "mixtape")},
    **{w: ("podcast", 0.95) for w in ("podcast", "podcasts", "show", "shows")},
    **{w: ("episode", 0.95) for w in ("episode", "episodes")},
    **{w: ("album", 0.95) for w in ("album", "albums", "lp", "lps")},
    **{w: ("album", 0.7) for w in ("ep", "eps", "record", "records")},
    **{w: ("track", 0.9) for w in ("song", "songs", "track", "tracks", "tune", "tunes")},
    **{w: ("track", 0.6) for w in ("single", "singles", "hits")},
    **{w: ("artist", 0.9) for w in ("artist", "artists", "band", "bands", "singer", "singers",
                                    "rapper", "rappers", "musician", "musicians", "group", "dj")},
}

# Synonym groups: if the catalog has any member as a genre (or subgenre), every
# member maps to that catalog value. First members are the usual spellings.
GENRE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("rap", "hip hop", "hiphop", "hip hop music", "rap music", "trap", "gangsta rap"),
    ("r b", "rnb", "r n b", "randb", "rhythm and blues", "r and b", "soul"),
    ("edm", "electronic", "electronic dance", "electronic dance music", "electro", "dance",
     "house", "techno", "electronica"),
    ("pop", "pop music"),
    ("rock", "rock music", "rock n roll", "rock and roll"),
    ("latin", "latino", "latin music", "reggaeton", "latin pop"),
    ("country", "country music"),
    ("jazz",),
    ("classical", "classical music"),
    ("metal", "heavy metal"),
    ("indie", "indie rock", "indie pop"),
    ("folk",),
    ("reggae",),
    ("blues",),
    ("k pop", "kpop"),
)

# Mood synonym groups, canonicalised against the catalog like genres. A phrase
# may evoke several moods ("rainy day" is sad or chill); "love" alone is
# deliberately absent: it is far more often a title word than a mood.
MOOD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("sad", "melancholy", "melancholic", "heartbreak", "heartbroken", "breakup", "crying",
     "tears", "depressing"),
    ("happy", "feel good", "feelgood", "upbeat", "cheerful", "joyful", "sunny", "good vibes"),
    ("chill", "chillout", "chill out", "relax", "relaxing", "mellow", "calm", "lofi", "lo fi",
     "laid back", "chilled"),
    ("energetic", "energy", "hype", "pump up", "pumped", "intense"),
    ("romantic", "love songs", "romance", "date night"),
    ("dark", "moody", "gloomy"),
    ("angry", "rage", "aggressive"),
)

# Phrases that evoke more than one mood, with the moods in order of likelihood.
MOOD_PHRASES: dict[str, tuple[str, ...]] = {
    "rainy day": ("sad", "chill"),
    "rainy": ("sad", "chill"),
    "rainy night": ("sad", "chill"),
    "stormy": ("dark", "sad"),
    "thunderstorm": ("dark", "sad"),
    "cloudy": ("chill", "sad"),
    "grey day": ("chill", "sad"),
    "gray day": ("chill", "sad"),
    "snowy": ("chill", "romantic"),
    "cozy": ("chill", "romantic"),
    "sunshine": ("happy",),
    "sunny day": ("happy", "energetic"),
    "sunday morning": ("chill", "happy"),
    "late night": ("chill", "dark"),
    "summer": ("happy", "energetic"),
}

# Activities are recognised whatever the catalog holds: they select playlists
# by their activity column or by the activity's words in their name. Words that
# are also common in titles ("run", "drive") get a lower confidence.
ACTIVITY_WORDS: dict[str, tuple[str, float]] = {
    **{w: ("workout", 0.9) for w in ("workout", "workouts", "gym", "training", "exercise",
                                     "fitness", "running", "cardio")},
    **{w: ("study", 0.9) for w in ("study", "studying", "concentration", "homework")},
    **{w: ("party", 0.9) for w in ("party", "partying", "clubbing", "dance party", "pregame")},
    **{w: ("sleep", 0.9) for w in ("sleep", "sleeping", "bedtime", "lullaby", "lullabies")},
    **{w: ("driving", 0.85) for w in ("driving", "road trip", "roadtrip")},
    **{w: ("cooking", 0.85) for w in ("cooking",)},
    "run": ("workout", 0.5), "focus": ("study", 0.7), "reading": ("study", 0.6),
    "club": ("party", 0.6), "nap": ("sleep", 0.6), "drive": ("driving", 0.5),
    "dinner": ("cooking", 0.5),
}

# Words a playlist name may use for each activity (matched as whole words).
ACTIVITY_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "workout": ("workout", "gym", "training", "fitness", "running", "cardio"),
    "study": ("study", "studying", "focus", "concentration"),
    "party": ("party", "club"),
    "sleep": ("sleep", "sleeping", "bedtime"),
    "driving": ("drive", "driving", "road trip"),
    "cooking": ("cooking", "dinner"),
}

# Words that ask for recent releases; "new" alone is weaker ("New Rules" is a title).
NEW_WORDS: dict[str, float] = {
    "new": 0.7, "newest": 0.85, "latest": 0.85, "recent": 0.75, "fresh": 0.6,
    "new releases": 0.95, "new release": 0.95, "new music": 0.9, "just released": 0.95,
    "brand new": 0.9, "released this week": 0.95, "new songs": 0.9,
}

# Spelled-out decades. Two-digit decades ("90s", "'90s" folds to "90s") and
# four-digit ones ("1990s") are parsed by ERA_RE below.
DECADE_WORDS: dict[str, int] = {
    "fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990,
    "noughties": 2000, "aughts": 2000, "twenty tens": 2010,
}

ERA_RE = re.compile(r"^(?:(?P<century>19|20)?(?P<decade>\d)0s|(?P<year>(?:19|20)\d\d))$")

# Filler words dropped from the free text left over once slots are recognised:
# in "songs by drake" the "by" carries nothing for retrieval.
FILLER_WORDS: frozenset[str] = frozenset({
    "a", "an", "the", "by", "from", "of", "for", "to", "with", "in", "on", "and", "some", "me",
    "play", "music", "my", "s",
})


def era_range(phrase: str) -> tuple[int, int, float] | None:
    """Year range and confidence of an era phrase, or None.

    "90s" -> (1990, 1999, 0.9); "1990s" -> (1990, 1999, 0.95); "2019" -> (2019, 2019, 0.6)
    (a bare year is often a title: "1989"); "nineties" -> (1990, 1999, 0.95).
    """
    if phrase in DECADE_WORDS:
        start = DECADE_WORDS[phrase]
        return start, start + 9, 0.95
    match = ERA_RE.match(phrase)
    if match is None:
        return None
    if match.group("year"):
        year = int(match.group("year"))
        return year, year, 0.6
    decade = int(match.group("decade")) * 10
    century = match.group("century")
    if century:
        start = int(century) * 100 + decade
        return start, start + 9, 0.95
    # Two-digit decades: "00s".."20s" are this century, the rest the last one.
    start = (2000 if decade <= 20 else 1900) + decade
    return start, start + 9, 0.9


# How likely each entity type is when the query names none, by what it does name.
# Used only for Understanding.type_scores (the bandit's context), never to filter.
TYPE_PRIORS: dict[str, dict[str, float]] = {
    "artist": {"artist": 0.5, "track": 0.4, "album": 0.1},
    "activity": {"playlist": 0.7, "track": 0.3},
    "descriptive": {"track": 0.55, "playlist": 0.35, "album": 0.1},   # genre/mood/era/new
    "free_text": {"track": 0.6, "artist": 0.1, "album": 0.1, "playlist": 0.1, "podcast": 0.05,
                  "episode": 0.05},
}
