"""What query understanding (QU) read a query as: the result types.

An :class:`Understanding` is a frozen, public object: the structured arm turns
each interpretation into a parameterized DuckDB query, the bandit uses it as
context, and the app shows it as chips. They are kept apart from the parser
(``ltrr.understanding``) so that their many readers depend on the data, not on
how it is made.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Span:
    """One piece of the query recognised as a slot value."""

    text: str          # the query words that matched, as typed (folded)
    slot: str          # entity_type | genre | subgenre | mood | activity | era | artist | new
    value: str         # canonical value: "playlist", "rap", "1990-1999", "artist:ar00012", "true"
    confidence: float  # 0..1


@dataclass(frozen=True)
class Interpretation:
    """One reading of the query as constraints plus leftover free text."""

    likelihood: float
    entity_type: str | None = None
    genres: tuple[str, ...] = ()
    subgenres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    artist_ids: tuple[str, ...] = ()
    artist_names: tuple[str, ...] = ()
    new_release: bool = False
    free_text: str = ""
    spans: tuple[Span, ...] = ()

    @property
    def has_constraints(self) -> bool:
        return bool(
            self.entity_type or self.genres or self.subgenres or self.moods or self.activities
            or self.year_from is not None or self.artist_ids or self.new_release
        )


@dataclass(frozen=True)
class Understanding:
    """All interpretations of one query, most likely first."""

    query: str                                   # the normalised query
    interpretations: tuple[Interpretation, ...] = ()
    type_scores: dict[str, float] = field(default_factory=dict)       # P(entity type asked for)
    slot_confidence: dict[str, float] = field(default_factory=dict)   # best confidence per slot
    # Mood words of the query ("rainy day") whose moods this catalog has no label for:
    # they stay free text, and the app can say "no mood match" instead of pretending.
    unmatched_moods: tuple[str, ...] = ()

    @property
    def best(self) -> Interpretation:
        """The most likely interpretation (an unconstrained one when there is none)."""
        return self.interpretations[0] if self.interpretations else Interpretation(1.0, free_text=self.query)

    @property
    def intent(self) -> str:
        """The entity type most likely asked for, or "any"."""
        if not self.type_scores:
            return "any"
        kind, score = max(self.type_scores.items(), key=lambda kv: kv[1])
        return kind if score >= 0.5 else "any"

    def to_dict(self) -> dict:
        """JSON-ready form for logs and the app."""
        return {
            "query": self.query,
            "intent": self.intent,
            "type_scores": dict(self.type_scores),
            "slot_confidence": dict(self.slot_confidence),
            "interpretations": [asdict(i) for i in self.interpretations],
            "unmatched_moods": list(self.unmatched_moods),
        }
