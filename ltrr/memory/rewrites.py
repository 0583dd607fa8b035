"""Query substitutions learned from reformulations: what a kind of vague ask was reworded into.

A user who got nothing from "easygoing rnb" and then clicked something for "rnb chill playlist"
says, in effect, that "easygoing" meant "chill playlist". The (failed query -> entity) evidence of
:mod:`ltrr.memory.reformulation` only helps the very same text again; most vague asks are new texts that
share their wording with earlier ones ("easygoing guitar rock"). Following Jones et al.
("Generating query substitutions", WWW 2006), a chain also teaches a *phrase substitution*: the
words the two searches share (the longest run of tokens common to both, here "rnb") become a slot,
so the chain teaches the pattern ``easygoing *`` -> ``* chill playlist``, and a later
"easygoing guitar rock" is searched again as "guitar rock chill playlist".

The rules, and why:

* **One slot, the longest shared run.** Asks are short; the shared run is the part the user kept
  (a genre, an artist), the rest is what they changed.
* **Else the asked genre.** With no shared run (the user spelled the genre another way, or dropped
  it: "rock to wind down" -> "soft playlist"), or when the shared run is the whole failed query
  (nothing changed, only added: "cruising pop" -> "cruising pop playlist"), the words query
  understanding read as the genre asked for (:func:`genre_words`, from the logged understanding)
  are the slot, kept in the replacement: where the follow-up names a genre its words are the slot
  there ("hip hop to wind down" -> "rap lush" teaches ``* to wind down`` -> ``* lush``), else the
  slot is appended (``* to wind down`` -> ``soft playlist *``): a later "rap to wind down" keeps
  its genre.
* **A rewording says something new, not a spelling.** The replacement must add a word the
  failed query does not have ("* playlist" -> "*" only drops one), and no changed word may be a
  near spelling of a word it became ("lossing *" -> "losing * fisher": a typo's correction, which
  the fuzzy arm and the pair memory already serve; rapidfuzz ratio >= :data:`SPELLING`).
* **A rewording that names an artist is one user's taste**, not what the ask means
  ("cruising pop" -> "def leppard" says what one person likes to drive to): it teaches no
  substitution (:func:`names_artist`, from the follow-up's logged understanding); its pair
  (failed query -> entity) is kept as evidence of one meaning among several.
* **No slot, no substitution.** With neither ("love" -> "love taylor swift", "out this week" ->
  a song's name), the chain teaches no substitution: the pair it shows (failed query -> entity)
  is what the reformulation evidence keeps for that very text, and searching the follow-up again
  for everybody who types it would answer a broad ask ("out this week") with one user's find (on
  dev seeds it cost asks for what just came out a fifth of their successes).
* **A pattern needs a word.** ``*`` alone would match every query.
* **Counted like reformulations** (:class:`ltrr.memory.reformulation.ReformulationMemory`, keyed by
  pattern instead of query and by replacement instead of entity): distinct users make the weight,
  it decays with searches, it is bounded, and several replacements per pattern are kept, so two
  users who meant different things keep both.

:func:`substitution` turns a chain into a (pattern, replacement) pair; :func:`patterns` lists the
patterns a query matches, with what fills the slot; :func:`fill` writes the reworded query.
"""
from __future__ import annotations

from typing import Mapping

from rapidfuzz import fuzz

SLOT = "*"
# Two words at least this similar (rapidfuzz ratio, 0-100) are one word spelled two ways.
SPELLING = 60.0
# The longest run of tokens a slot may stand for when a query is matched (a genre or an artist
# name: "rap and hip hop", "guns n roses").
MAX_SLOT_TOKENS = 4


def _common_run(a: list[str], b: list[str]) -> tuple[int, int, int]:
    """(start in a, start in b, length) of the longest run of tokens common to a and b (the first
    such run in a when several tie); length 0 when none."""
    best = (0, 0, 0)
    for i in range(len(a)):
        for j in range(len(b)):
            n = 0
            while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
                n += 1
            if n > best[2]:
                best = (i, j, n)
    return best


def substitution(failed: str, follow_up: str, asked: str | None = None,
                 answered: str | None = None, artist: bool = False) -> tuple[str, str] | None:
    """The (pattern, replacement) a chain teaches: ``failed`` (a normalised query that failed) was
    followed by ``follow_up`` (normalised), which satisfied the user; ``asked`` and ``answered``:
    the words of each read as a genre (:func:`genre_words`; None: none); ``artist``: whether the
    follow-up names an artist (:func:`names_artist`). None when nothing can be learned (an empty
    side, the same text, a slot token typed literally, no slot, an artist named).

    >>> substitution("easygoing rnb", "rnb chill playlist")
    ('easygoing *', '* chill playlist')
    >>> substitution("love", "love taylor swift") is None
    True
    >>> substitution("rock to wind down", "soft playlist", asked="rock")
    ('* to wind down', 'soft playlist *')
    >>> substitution("hip hop to wind down", "rap lush", asked="hip hop", answered="rap")
    ('* to wind down', '* lush')
    """
    a, b = str(failed).split(), str(follow_up).split()
    # A slot token typed literally is refused: no query is made of it.
    if artist or not a or not b or a == b or SLOT in a or SLOT in b:
        return None
    learned = _slotted(a, b, asked, answered)
    if learned is None:
        return None
    changed = [t for t in learned[0].split() if t != SLOT]
    added = [t for t in learned[1].split() if t != SLOT and t not in a]
    if not added or any(fuzz.ratio(x, y) >= SPELLING for x in changed for y in added):
        return None
    return learned


def _slotted(a: list[str], b: list[str], asked: str | None, answered: str | None) -> tuple[str, str] | None:
    """:func:`substitution`'s pattern and replacement before its checks (None: no slot)."""
    i, j, n = _common_run(a, b)
    if 0 < n < len(a) and n <= MAX_SLOT_TOKENS:
        return " ".join(a[:i] + [SLOT] + a[i + n:]), " ".join(b[:j] + [SLOT] + b[j + n:])
    at = _find(a, asked.split()) if asked else None
    if at is not None and 0 < len(asked.split()) < len(a):
        k = len(asked.split())
        pattern = a[:at] + [SLOT] + a[at + k:]
        # The follow-up's own genre words (or the asked ones, typed again) become the slot there.
        for words in (answered, asked):
            there = _find(b, words.split()) if words else None
            if there is not None:
                return " ".join(pattern), " ".join(b[:there] + [SLOT] + b[there + len(words.split()):])
        return " ".join(pattern), " ".join(b + [SLOT])
    return None


def _find(tokens: list[str], run: list[str]) -> int | None:
    """Where ``run`` first starts in ``tokens`` (None: nowhere, or ``run`` is empty or too long
    for a slot)."""
    if not run or len(run) > MAX_SLOT_TOKENS:
        return None
    for i in range(len(tokens) - len(run) + 1):
        if tokens[i:i + len(run)] == run:
            return i
    return None


def _top_spans(understanding: Mapping | None) -> list[Mapping]:
    """The spans of the most likely reading in a logged understanding (empty when malformed)."""
    try:
        spans = (understanding or {}).get("interpretations", [{}])[0].get("spans", ())
        return [span for span in spans if isinstance(span, Mapping)]
    except (AttributeError, IndexError, TypeError):
        return []


def names_artist(understanding: Mapping | None) -> bool:
    """Whether the most likely reading of a logged understanding names an artist."""
    return any(span.get("slot") == "artist" for span in _top_spans(understanding))


def genre_words(query: str, understanding: Mapping | None) -> str | None:
    """The run of ``query``'s tokens (normalised) its most likely reading takes as the genre asked
    for: from the first to the last word of its genre spans ("rap and hip hop"), None when it names
    no genre, the words are not found, or the run is longer than a slot.

    ``understanding`` is :meth:`ltrr.understanding_results.Understanding.to_dict`'s form, as searches log it.
    """
    spans = [span for span in _top_spans(understanding) if span.get("slot") == "genre"]
    tokens = str(query).split()
    bounds = []
    for span in spans:
        words = str(span.get("text", "")).split()
        at = _find(tokens, words)
        if at is None:
            return None
        bounds += [at, at + len(words)]
    if not bounds or max(bounds) - min(bounds) > MAX_SLOT_TOKENS:
        return None
    return " ".join(tokens[min(bounds):max(bounds)])


def patterns(query: str) -> list[tuple[str, str]]:
    """Every pattern ``query`` (normalised) matches, with the words its slot stands for: each run of
    up to :data:`MAX_SLOT_TOKENS` tokens replaced by the slot, leaving at least one word.

    >>> patterns("easygoing rnb")
    [('* rnb', 'easygoing'), ('easygoing *', 'rnb')]
    """
    tokens = str(query).split()
    out = []
    for i in range(len(tokens)):
        for n in range(1, min(MAX_SLOT_TOKENS, len(tokens) - i) + 1):
            if n == len(tokens):
                continue
            out.append((" ".join(tokens[:i] + [SLOT] + tokens[i + n:]), " ".join(tokens[i:i + n])))
    return out


def fill(replacement: str, slot: str) -> str:
    """The reworded query: ``replacement`` with its slot (if any) replaced by ``slot``'s words."""
    return " ".join(slot if t == SLOT else t for t in replacement.split()).strip()
