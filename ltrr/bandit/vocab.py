"""The catalog's word list: which query words name something in the catalog.

A query whose words are all catalog words is most likely an exact lookup; one
with unknown words is most likely misspelled. That one number
(``q_unknown_words`` in :mod:`ltrr.bandit.context`) is what lets the bandit
send typos to the fuzzy arm and exact titles to the cheap lexical one.

It also holds the catalog's playlist names, folded: a query that is mostly a
playlist's name ("rap gangsta songs", "whats on hip pop") asks for that
playlist or, with a word like "songs", for its tracks, which only the related
arm returns. Query shape and understanding read such a query as a track title
(``q_playlist_name`` in :mod:`ltrr.bandit.context` tells them apart).

A playlist is known by its whole name and by the part people type of a long
one: "Pop Latino 2019 - Mix Canciones Reggaeton..." is asked for as "pop latino
2019", "Progressive Rock / Metal - Rock /Metal Progresivo" as "progressive rock
metal" (:func:`playlist_names_of`). A name's share of a query counts content
words only ("whats on tropical": one of two, not one of three), so that a short
name asked with "everything in" is still most of the ask. A one-word name
("Electropop") counts only beside other words: typed alone it is a common word
first ("chill"), which the lexical arm finds as a title anyway.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ltrr import indexfiles
from ltrr.text import tokenize

INDEX_NAME = "vocab"
INDEX_VERSION = 3
# A one-word name ("Love", "Chill") is a common word first: alone, only names of two words or more
# count; a one-word name counts beside other words ("electropop songs").
MIN_NAME_TOKENS = 2
# Longer names are kept whole too (the shared catalog's longest has 21 words): a query is cut at
# 256 characters, so the search over runs stays small.
MAX_NAME_TOKENS = 32
# Words that say how something is asked, not what: a name's share of a query counts the others.
FUNCTION_WORDS = frozenset({"a", "an", "the", "of", "in", "on", "off", "to", "for", "from", "and", "by",
                            "with", "at"})
# Where a long playlist name's typed part ends: " - ", " | ", " // ", an opening bracket.
_NAME_CUT_RE = re.compile(r"\s+(?:[-–—|]|//)\s+|\s*[(\[]")


def playlist_names_of(title: object) -> list[str]:
    """The folded names a playlist is asked for by: its whole name, and the part before the first
    " - ", " | ", " // " or bracket when that differs and is two words or more ("Big Room EDM - by
    Spinnin' Records" -> "big room edm"). [] for an empty or non-string title."""
    if not isinstance(title, str):
        return []
    whole = " ".join(tokenize(title))
    part = " ".join(tokenize(_NAME_CUT_RE.split(title, maxsplit=1)[0]))
    # A one-word part is most often a genre ("Pop - Pop UK - 2019"): only the whole name may be one word.
    return [whole] * bool(whole) + [part] * (part != whole and len(part.split()) >= MIN_NAME_TOKENS)


def content_count(words: Sequence[str]) -> int:
    """How many of ``words`` are not function words (all of them when every one is)."""
    n = sum(w not in FUNCTION_WORDS for w in words)
    return n if n else len(words)


class CatalogVocabulary:
    """A sorted array of every token in the catalog's titles and subtitles, and the folded
    names of its playlists."""

    def __init__(self, tokens: np.ndarray, playlist_names: Sequence[str] = ()) -> None:
        self.tokens = np.asarray(tokens, dtype=object)
        self._set = frozenset(self.tokens.tolist())
        self.playlist_names = sorted({n for n in playlist_names if 1 <= len(n.split()) <= MAX_NAME_TOKENS})
        self._names = frozenset(self.playlist_names)
        self._longest = max((len(n.split()) for n in self.playlist_names), default=0)

    def __contains__(self, token: str) -> bool:
        return token in self._set

    def __len__(self) -> int:
        return len(self._set)

    def unknown_share(self, text: str | Sequence[str]) -> float:
        """Share of the query's tokens that are in no catalog title or subtitle (0 for none);
        ``text`` may be the tokens already (``ltrr.query.Query.tokens``)."""
        words = tokenize(text) if isinstance(text, str) else list(text)
        if not words:
            return 0.0
        return sum(w not in self._set for w in words) / len(words)

    def playlist_share(self, text: str | Sequence[str]) -> float:
        """Share of the query's content words (see the module docstring) in its longest run of
        words that is a playlist's name (0 when none is): "rap gangsta songs" -> 2/3 in a catalog
        with "RAP Gangsta"; ``text`` may be the tokens already."""
        words = tokenize(text) if isinstance(text, str) else list(text)
        name = self.playlist_name_in(words)
        return name_share(name, words) if name else 0.0

    def playlist_name_in(self, text: str | Sequence[str]) -> str | None:
        """The query's longest run of words that is a playlist's (folded) name, the first such
        run when several are as long; None when there is none. A one-word name counts only in a
        query of more words."""
        words = tokenize(text) if isinstance(text, str) else list(text)
        if not words or not self._names:
            return None
        shortest = 1 if len(words) > 1 else MIN_NAME_TOKENS
        for n in range(min(self._longest, len(words)), shortest - 1, -1):
            for start in range(len(words) - n + 1):
                run = " ".join(words[start:start + n])
                if run in self._names:
                    return run
        return None

    @classmethod
    def from_names(cls, names, playlist_names=()) -> "CatalogVocabulary":
        """Built from an iterable of titles/subtitles (and one of playlist names)."""
        seen: set[str] = set()
        for name in names:
            if isinstance(name, str) and name:
                seen.update(tokenize(name))
        folded = [name for title in playlist_names for name in playlist_names_of(title)]
        return cls(np.array(sorted(seen), dtype=object), folded)

    @classmethod
    def open(cls, catalog) -> "CatalogVocabulary":
        """The catalog's vocabulary, built once and persisted beside its other indexes."""
        def load(index_dir: Path) -> "CatalogVocabulary":
            text = (index_dir / "vocab.txt").read_text(encoding="utf-8")
            names = (index_dir / "vocab.playlists.txt").read_text(encoding="utf-8")
            return cls(np.array(text.split("\n") if text else [], dtype=object), names.split("\n") if names else [])

        def build(index_dir: Path) -> "CatalogVocabulary":
            ents = catalog.entities
            playlists = ents.titles[ents.types == "playlist"].tolist()
            made = cls.from_names(list(ents.titles) + list(ents.subtitles), playlists)
            for name, lines in (("vocab.playlists.txt", made.playlist_names), ("vocab.txt", made.tokens.tolist())):
                tmp = index_dir / f"{name}.tmp"
                tmp.write_text("\n".join(lines), encoding="utf-8")
                tmp.replace(index_dir / name)
            return made

        return indexfiles.shared(catalog, INDEX_NAME, lambda: indexfiles.load_or_build(
            catalog, INDEX_NAME, INDEX_VERSION, load, build, describe=lambda v: {"tokens": len(v), "playlist_names": len(v.playlist_names)}))


def name_share(name: str, words: Sequence[str]) -> float:
    """The share of a query's content words (``words``, its tokens) that ``name`` (a run of them)
    makes: "whats on hip pop" -> 2/3 of "whats", "hip", "pop"."""
    return min(1.0, content_count(name.split()) / content_count(words)) if words else 0.0
