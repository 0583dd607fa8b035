"""The catalog's word list: which query words name something in the catalog.

A query whose words are all catalog words is most likely an exact lookup; one
with unknown words is most likely misspelled. That one number
(``q_unknown_words`` in :mod:`ltrr.bandit.context`) is what lets the bandit
send typos to the fuzzy arm and exact titles to the cheap lexical one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ltrr import indexfiles
from ltrr.text import tokenize

INDEX_NAME = "vocab"
INDEX_VERSION = 1


class CatalogVocabulary:
    """A sorted array of every token in the catalog's titles and subtitles."""

    def __init__(self, tokens: np.ndarray) -> None:
        self.tokens = np.asarray(tokens, dtype=object)
        self._set = frozenset(self.tokens.tolist())

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

    @classmethod
    def from_names(cls, names) -> "CatalogVocabulary":
        """Built from an iterable of titles/subtitles."""
        seen: set[str] = set()
        for name in names:
            if isinstance(name, str) and name:
                seen.update(tokenize(name))
        return cls(np.array(sorted(seen), dtype=object))

    @classmethod
    def open(cls, catalog) -> "CatalogVocabulary":
        """The catalog's vocabulary, built once and persisted beside its other indexes."""
        def load(index_dir: Path) -> "CatalogVocabulary":
            text = (index_dir / "vocab.txt").read_text(encoding="utf-8")
            return cls(np.array(text.split("\n") if text else [], dtype=object))

        def build(index_dir: Path) -> "CatalogVocabulary":
            ents = catalog.entities
            made = cls.from_names(list(ents.titles) + list(ents.subtitles))
            tmp = index_dir / "vocab.txt.tmp"
            tmp.write_text("\n".join(made.tokens.tolist()), encoding="utf-8")
            tmp.replace(index_dir / "vocab.txt")
            return made

        return indexfiles.shared(catalog, INDEX_NAME, lambda: indexfiles.load_or_build(
            catalog, INDEX_NAME, INDEX_VERSION, load, build, describe=lambda v: {"tokens": len(v)}))
