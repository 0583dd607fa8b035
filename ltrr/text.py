"""Text normalisation and tokenising shared by every arm, the query
understanding and the memory, so that one query means the same thing
everywhere."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

# Queries longer than this are cut: nothing in a music catalog needs more, and
# it bounds the work a hostile 10,000-character query can cause.
MAX_QUERY_CHARS = 256

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
# Control characters (NUL included) and unassigned/surrogate code points.
_BAD_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}


def clean(text: object, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Make any input a safe, printable, single-spaced string.

    Control characters (NUL included) become spaces, runs of white space
    collapse, and the result is cut to ``max_chars``. Non-string input
    (None, numbers) is converted rather than rejected.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = unicodedata.normalize("NFC", text[: max_chars * 4])
    text = "".join(" " if unicodedata.category(ch) in _BAD_CATEGORIES else ch for ch in text)
    return _SPACE_RE.sub(" ", text).strip()[:max_chars]


def fold(text: str) -> str:
    """Lower-case and strip accents: "Beyoncé" -> "beyonce", "Tiësto" -> "tiesto"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Folded word tokens; punctuation and emoji are separators."""
    return _TOKEN_RE.findall(fold(text))


def normalize_query(text: object) -> str:
    """The canonical form of a query: cleaned, folded, tokens joined by one space.

    This is the key of the query-to-entity memory, so "Tayler  Swift!" and
    "tayler swift" are the same query.
    """
    return " ".join(tokenize(clean(text)))


def normalize_each(values: Iterable[object]) -> list[str]:
    """:func:`normalize_query` of every value, computed once per distinct value (a catalog's
    genres repeat a lot); anything that is not a string (a missing value) reads ""."""
    known: dict[str, str] = {}
    out = []
    for value in values:
        key = value if isinstance(value, str) else ""
        norm = known.get(key)
        if norm is None:
            norm = known[key] = normalize_query(key)
        out.append(norm)
    return out
