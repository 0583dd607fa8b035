"""The query every arm, the ranker and the engine see: cleaned text, tokens,
the query-understanding output and the sanitised context.

It lives outside ``ltrr.strategies`` so that the ranker's features, the
engine and the arms all import it from below, and ``ltrr.strategies`` can
import query understanding without a cycle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from ltrr.text import clean, tokenize
from ltrr.understanding_results import Understanding


@dataclass(frozen=True)
class Query:
    """A query as every arm sees it."""

    raw: str                                   # cleaned, as typed
    text: str                                  # normalised (folded, tokens joined)
    tokens: tuple[str, ...]
    understanding: Understanding
    context: Mapping[str, Any] = field(default_factory=dict)
    # The searching user's lean per genre as they searched (normalised genre -> 0..1, see
    # ltrr.bandit.context.UserHistory.affinity); {} for an anonymous user or a new one. It travels
    # with the query so that the memory's list and the ranker's user_genre see the same lean live,
    # in the full-information rerun after a click and when a logged search is rebuilt.
    lean: Mapping[str, float] = field(default_factory=dict)

    def with_lean(self, lean: object) -> "Query":
        """This query as searched by a user with ``lean`` (a mapping genre -> share). A lean read
        back from a log is untrusted: non-string keys and non-numbers are dropped, NaN and infinities
        read 0 and anything else outside 0..1 is clipped into it, so a hostile export cannot swamp
        a ranking."""
        clean_lean: dict[str, float] = {}
        if isinstance(lean, Mapping):
            for genre, share in lean.items():
                if not isinstance(genre, str) or isinstance(share, bool):
                    continue
                try:
                    share = float(share)
                except (TypeError, ValueError):
                    continue
                clean_lean[genre] = min(1.0, max(0.0, share)) if math.isfinite(share) else 0.0
        return replace(self, lean=clean_lean)

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
