"""The query every arm, the ranker and the engine see: cleaned text, tokens,
the query-understanding output and the sanitised context.

It lives outside ``ltrr.strategies`` so that the ranker's features, the
engine and the arms all import it from below, and ``ltrr.strategies`` can
import query understanding without a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ltrr.text import clean, tokenize
from ltrr.understanding import Understanding


@dataclass(frozen=True)
class Query:
    """A query as every arm sees it."""

    raw: str                                   # cleaned, as typed
    text: str                                  # normalised (folded, tokens joined)
    tokens: tuple[str, ...]
    understanding: Understanding
    context: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, raw: object, understanding: Understanding | None = None,
             context: Mapping[str, Any] | None = None) -> "Query":
        """Build a Query from any user input; QU defaults to 'nothing understood'.

        The text is cleaned and tokenised here, once: understanding, the bandit's context and the
        memory take this Query (its ``tokens`` and ``text``) rather than cleaning the string again.
        """
        cleaned = clean(raw)
        tokens = tuple(tokenize(cleaned))
        text = " ".join(tokens)        # normalize_query(cleaned), without cleaning it twice
        return cls(
            raw=cleaned,
            text=text,
            tokens=tokens,
            understanding=understanding or Understanding(query=text),
            context=dict(context or {}),
        )
