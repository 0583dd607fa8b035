"""The simulated users' own language: how they ask for moods, activities,
genres and eras, and how they judge a playlist's name.

The simulator is a measuring instrument, so it must not speak the system's
language. Nothing here is imported from the system (query understanding's
``ltrr.vocabulary``, ``ltrr.understanding`` and ``ltrr.lexicon``, the synthetic catalog's
``ltrr.catalog.wordlists``, the structured arm, the memory seed), and what
users type is written differently from all of them; tests measure the
overlap with query understanding and the memory seed. Users phrase things the way people
do ("tunes to unwind to", "rap hits from the nineties", "something upbeat for
the gym"), and some of those phrasings the system will not parse: that is the
point, it shows what each arm really does on text it was not written for.

Three kinds of lists live here:

* **Asks** (:data:`MOOD_ASKS`, :data:`ACTIVITY_ASKS`, :data:`ERA_ASKS`,
  :data:`RELEASE_ASKS`) are
  query templates: what a user types. ``{g}`` is a genre phrasing from
  :data:`GENRE_PHRASES`, ``{era}`` a decade phrasing from :func:`era_phrases`.
* **Markers** (:data:`MOOD_MARKERS`, :data:`ACTIVITY_MARKERS`) are the words a
  person would accept, in a playlist's name, as saying the mood or activity:
  the simulated user's relevance judgement of catalog *data*. They were
  written by reading the catalogs' playlist names ("Sad Trap", "Beast Mode
  Rock", "Rap Workout"), as a human judge would, so they agree with those
  names and share the obvious words ("sad", "workout") with any system; the
  independence that matters is in the asks, which the system has to read.
* **Follow-ups** (:data:`MOOD_FOLLOW_UPS`, :data:`MOOD_ARTIST_FOLLOW_UPS`,
  :data:`AMBIGUOUS_FOLLOW_UPS`, :data:`ERA_FOLLOW_UPS`) are what a user types
  after a broad ask failed them: the same need, said more specifically, with a
  marker word from a playlist they would like, a genre, or an artist's name
  (see *Reformulations* in :mod:`ltrr.simulate.queries`).

Everything is plain lower-case text; :func:`words` splits text the way the
simulator reads it (folded, accents stripped, punctuation as separators).
"""
from __future__ import annotations

import re
import unicodedata

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents: "Beyoncé" -> "beyonce"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of `text`; punctuation and emoji separate words.

    >>> words("R&B: Lo-Fi Beats!")
    ['r', 'b', 'lo', 'fi', 'beats']
    """
    return _WORD_RE.findall(fold(text))


# --------------------------------------------------------------------------- asks (what users type)

# mood -> query templates. A template with {g} is asked with a genre phrasing.
MOOD_ASKS: dict[str, tuple[str, ...]] = {
    "sad": ("songs for when you're down", "music for a broken heart", "{g} for a lonely night",
            "songs that make me weep", "something to sob to", "sad songs"),
    "chill": ("tunes to unwind to", "{g} to wind down", "easygoing {g}", "something soothing",
              "low key {g} for a slow morning"),
    "happy": ("songs that put me in a good mood", "cheer me up {g}", "{g} to smile to",
              "singalong tunes that make you grin"),
    "romantic": ("songs for my girlfriend", "{g} for a candlelit evening", "songs about being in love",
                 "first dance wedding songs"),
    "energetic": ("something to get me going", "high octane {g}", "{g} bangers", "adrenaline tunes"),
    "dark": ("brooding {g}", "sinister tunes", "{g} for a stormy night", "haunting songs"),
    "angry": ("music to scream along to", "furious {g}", "{g} to vent to", "songs for when i'm mad"),
}

# activity -> query templates.
ACTIVITY_ASKS: dict[str, tuple[str, ...]] = {
    "workout": ("something upbeat for the gym", "{g} to lift weights to", "songs for a jog",
                "{g} for the treadmill", "spin class tunes", "leg day {g}"),
    "study": ("music to do homework to", "{g} to concentrate on revision", "background tunes for the library",
              "exam cramming music", "{g} for deep work"),
    "party": ("{g} for a house party", "songs to get the crowd moving", "{g} for the dancefloor",
              "birthday bash songs"),
    "sleep": ("songs to fall asleep to", "{g} for drifting off", "quiet tunes to doze off"),
    "driving": ("{g} for the highway", "songs for a long car ride", "cruising {g}", "music for the commute"),
    "cooking": ("{g} while i cook", "kitchen tunes", "songs for making a meal", "{g} for a weekend brunch"),
}

# Asking what has just come out, with no title or artist in mind (the drift event's
# new releases). People rarely say "newest" or "latest": they say when.
RELEASE_ASKS: tuple[str, ...] = (
    "just dropped", "out this week", "songs that just came out", "this week's releases",
    "hot off the press", "what came out today", "music released this month", "tracks out since friday",
    "new music friday", "anything good out lately",
)

# Genre + decade. {g} a genre phrasing, {era} a decade phrasing. Never the bare
# "{era} {g}": that exact form is what a catalog-derived seed would predict.
ERA_ASKS: tuple[str, ...] = (
    "{g} hits from the {era}", "{era} throwback {g}", "old school {g} {era}", "{g} that dropped in the {era}",
    "best {g} tunes of the {era}", "{era} {g} bangers", "{g} released in the {era}",
)

# catalog genre value -> how people type it; the first is the value itself. A genre
# missing here is typed as its catalog value.
GENRE_PHRASES: dict[str, tuple[str, ...]] = {
    "rap": ("rap", "hip-hop", "rap and hip-hop"),
    "r&b": ("r&b", "rnb", "rhythm & blues"),
    "edm": ("edm", "dance music", "club music"),
    "pop": ("pop", "chart pop", "top 40"),
    "rock": ("rock", "guitar rock", "rock n roll"),
    "latin": ("latin", "musica latina", "reggaeton"),
    "country": ("country", "country & western"),
    "jazz": ("jazz", "jazz standards"),
    "metal": ("metal", "heavy metal"),
    "folk": ("folk", "acoustic folk"),
    "classical": ("classical", "orchestral"),
    "reggae": ("reggae", "roots reggae"),
    "blues": ("blues", "the blues"),
}

_DECADE_NAMES = {1950: "fifties", 1960: "sixties", 1970: "seventies", 1980: "eighties", 1990: "nineties"}


def genre_phrases(genre: str) -> tuple[str, ...]:
    """How users type a catalog genre value (the value itself when this module has no phrasing)."""
    return GENRE_PHRASES.get(genre, (genre,))


def era_phrases(decade: int) -> tuple[str, ...]:
    """How users name a decade: ``1990`` -> ("90s", "'90s", "1990s", "nineties")."""
    short = f"{decade % 100:02d}s"
    out = (short, f"'{short}", f"{decade}s")
    return out + ((_DECADE_NAMES[decade],) if decade in _DECADE_NAMES else ())


def era_markers(decade: int) -> tuple[str, ...]:
    """Words in a playlist's name that place it in a decade ("90s", "1990s")."""
    return (f"{decade % 100:02d}s", f"{decade}s")


# --------------------------------------------------------------------------- markers (how users judge names)

# mood -> phrases that, in a playlist's name, say that mood to a listener.
MOOD_MARKERS: dict[str, tuple[str, ...]] = {
    "sad": ("sad", "crying", "cry", "tears", "heartbreak", "broken heart", "lonely", "breakup"),
    "chill": ("chill", "chillout", "lofi", "lo fi", "lush", "relax", "relaxing", "calm", "mellow", "lazy",
              "coffee", "lounge", "soft"),
    "happy": ("happy", "good vibes", "feel good", "sunny", "sunshine", "smile"),
    "romantic": ("love songs", "romantic", "romance", "ballads", "date night", "slow jams", "sexy"),
    "energetic": ("energy", "hype", "pump up", "beast mode", "power", "bangers", "adrenaline"),
    "dark": ("dark", "moody", "after dark", "gothic", "haunted"),
    "angry": ("angry", "rage", "aggressive", "badass", "furious"),
}

# activity -> phrases that, in a playlist's name, say that activity.
ACTIVITY_MARKERS: dict[str, tuple[str, ...]] = {
    "workout": ("workout", "gym", "cardio", "crossfit", "fitness", "training", "running", "beast mode"),
    "study": ("study", "studying", "focus", "concentration", "homework", "revision"),
    "party": ("party", "club", "pregame", "fiesta", "dancefloor", "festival", "keg"),
    "sleep": ("sleep", "sleeping", "bedtime", "lullaby", "lullabies"),
    "driving": ("drive", "driving", "road trip", "car music", "cruising", "highway"),
    "cooking": ("cooking", "kitchen", "dinner", "brunch", "bbq"),
}

# Words too grammatical to be a query on their own (or to make a partial title).
STOPWORDS: frozenset[str] = frozenset({
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with", "from", "is", "it",
    "i", "me", "my", "you", "your", "we", "our", "he", "she", "they", "them", "this", "that", "what", "who",
    "why", "how", "when", "all", "not", "are", "was", "be", "do", "don", "can", "its", "one", "but", "get",
    "got", "out", "let", "like", "just", "s", "t", "m", "ll", "re", "ve", "so", "up", "no", "oh",
    "feat", "ft", "remix", "edit", "version", "remastered", "remaster", "mix", "live", "original", "radio",
    "vol", "part", "deluxe", "edition", "extended", "el", "la", "los", "las", "del", "de", "que", "por",
    "para", "con", "una", "un", "y", "mi", "tu", "en",
})


def ask_carrier_words() -> set[str]:
    """The words of every ask template without its slots and stop words: the simulator's phrasing."""
    templates = [t for asks in (*MOOD_ASKS.values(), *ACTIVITY_ASKS.values()) for t in asks]
    templates += [*ERA_ASKS, *RELEASE_ASKS]
    out: set[str] = set()
    for template in templates:
        out.update(w for w in words(template.replace("{g}", " ").replace("{era}", " ")) if w not in STOPWORDS)
    return out


# --------------------------------------------------------------------------- follow-ups (what users type next)

# A broad ask that failed is followed by a more specific one, as people do ("tunes to unwind to" ->
# "chill rnb"). The slots are filled from what the user wanted, read as a person reads it:
# {marker} is a word from :data:`MOOD_MARKERS` or :data:`ACTIVITY_MARKERS` found in the name of a
# playlist they would like (the mood word as playlists name it), {g} a phrasing of that playlist's
# genre (:data:`GENRE_PHRASES`), {artist} the artist of a song they would like, {word} the
# ambiguous word they first typed, {era} a decade phrasing (:func:`era_phrases`).

# A mood or activity ask, named the way a playlist they like names it.
MOOD_FOLLOW_UPS: tuple[str, ...] = ("{marker} playlist", "{marker} {g}", "{g} {marker}", "{marker} {g} playlist")
# ... or by an artist whose songs would do; {marker} here is the ask's own first marker.
MOOD_ARTIST_FOLLOW_UPS: tuple[str, ...] = ("{artist}", "{artist} {marker}")
# An ambiguous word pinned to the artist of the title the user had in mind.
AMBIGUOUS_FOLLOW_UPS: tuple[str, ...] = ("{word} {artist}", "{artist} {word}", "{word} by {artist}")
# A genre and decade ask narrowed to an artist of that time.
ERA_FOLLOW_UPS: tuple[str, ...] = ("{artist} {era}", "{artist} {era} songs", "{artist} back in the {era}")


def follow_up_words() -> set[str]:
    """The words the follow-up templates add besides their slots (the simulator's own phrasing)."""
    out: set[str] = set()
    for template in (*MOOD_FOLLOW_UPS, *MOOD_ARTIST_FOLLOW_UPS, *AMBIGUOUS_FOLLOW_UPS, *ERA_FOLLOW_UPS):
        for slot in ("{marker}", "{g}", "{artist}", "{word}", "{era}"):
            template = template.replace(slot, " ")
        out.update(words(template))
    return out
