"""Query understanding (QU): what a query is probably asking for.

:class:`QueryUnderstander` parses query text into the result types of
``ltrr.understanding_results`` (:class:`Understanding`), matching it against a
catalog's :class:`~ltrr.lexicon.Lexicon` and the phrases of ``ltrr.vocabulary``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
from rapidfuzz import fuzz

from ltrr import indexfiles
from ltrr import vocabulary as vocab
from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.fuzzyindex import FuzzyIndex
from ltrr.lexicon import Lexicon, canonical_map
from ltrr.progress import ProgressFn, silent
from ltrr.text import clean, tokenize
from ltrr.understanding_results import Interpretation, Span, Understanding

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog


EMPTY_TYPE_SCORES = {t: 0.0 for t in ENTITY_TYPES}


INDEX_NAME = "qu"
INDEX_VERSION = 3

MAX_TOKENS = 32            # longer queries are free text; this bounds the n-gram work
MAX_PHRASE_TOKENS = 4      # longest vocabulary phrase ("electronic dance music")
MAX_ARTIST_TOKENS = 6      # longest artist name matched exactly as an n-gram
MAX_FUZZY_SEGMENT = 6      # leftover runs longer than this are not artist-searched
MAX_SPANS_ENUMERATED = 6   # 2**6 readings at most
MAX_INTERPRETATIONS = 4
EXACT_ARTIST_CONF = 0.95
# A fuzzy artist window must be this close (rapidfuzz ratio) to the whole name:
# "tayler swift"/"taylor swift" is 92, "beyonse"/"beyonce" 86. One word must be
# closer: "tayler"/"stayer" (83) is noise. Real words never count as typos (see
# _fuzzy_artist_spans), which keeps "love" from becoming the artist "LOVER" (89).
FUZZY_MIN_RATIO = 83.0
FUZZY_MIN_RATIO_ONE_WORD = 85.0
# Titles containing a name's rarest word make the name ambiguous: "love" is in
# hundreds of titles and is rarely meant as the band Love; "drake" in a few.
AMBIGUITY_HALF = 20.0
MAX_FUZZY_CHARS = 60       # no artist name is longer; longer text is not fuzzy-searched


@dataclass(frozen=True)
class _Reading:
    """One possible slot reading of a phrase (internal to the parser)."""

    slot: str
    values: tuple[str, ...]
    confidence: float
    names: tuple[str, ...] = ()     # artist display names, parallel to values


@dataclass(frozen=True)
class _Found:
    start: int
    end: int                        # exclusive token index
    reading: _Reading

    @property
    def length(self) -> int:
        return self.end - self.start


class QueryUnderstander:
    """Turns query text into an :class:`Understanding` in about a millisecond.

    >>> qu = QueryUnderstander.open(catalog)                    # doctest: +SKIP
    >>> qu.understand("90s rap").best.genres, qu.understand("90s rap").best.year_from
    (('rap',), 1990)
    """

    def __init__(self, lexicon: Lexicon, artist_index: FuzzyIndex | None = None) -> None:
        self.lexicon = lexicon
        self._artist_index = artist_index or FuzzyIndex(lexicon.artist_names)
        self._phrases = self._phrase_table(lexicon)
        self._artist_rows: dict[str, list[int]] = {}
        for row, name in enumerate(lexicon.artist_folded):
            if name:
                self._artist_rows.setdefault(name, []).append(row)
        for rows in self._artist_rows.values():
            rows.sort(key=lambda r: -lexicon.artist_popularity[r])
        self._artist_words = {w for name in self._artist_rows for w in name.split()}
        self._unmatched_moods = self._unmatched_mood_phrases(lexicon)

    # --- building and loading --------------------------------------------

    @classmethod
    def open(cls, catalog: "Catalog", progress: ProgressFn = silent) -> "QueryUnderstander":
        """Load the understander for `catalog`, building (and persisting) it when stale.

        Opened understanders are shared per catalog file and content, so the
        arms that each need one do not each pay for loading it.
        """
        def load(index_dir: Path) -> "QueryUnderstander":
            lexicon = Lexicon.from_json((index_dir / "qu.lexicon.json").read_text())
            return cls(lexicon, FuzzyIndex.load(index_dir / "qu.artists.npz"))

        def build(index_dir: Path) -> "QueryUnderstander":
            made = cls(Lexicon.from_entities(catalog.entities.frame, progress))
            (index_dir / "qu.lexicon.json").write_text(made.lexicon.to_json())
            made._artist_index.save(index_dir / "qu.artists.npz")
            return made

        return indexfiles.shared(catalog, INDEX_NAME, lambda: indexfiles.load_or_build(
            catalog, INDEX_NAME, INDEX_VERSION, load, build,
            describe=lambda made: {"artists": len(made.lexicon.artist_ids)}))

    @staticmethod
    def _phrase_table(lexicon: Lexicon) -> dict[str, list[_Reading]]:
        table: dict[str, list[_Reading]] = {}

        def add(phrase: str, reading: _Reading) -> None:
            table.setdefault(phrase, []).append(reading)

        for word, (kind, conf) in vocab.TYPE_WORDS.items():
            add(word, _Reading("entity_type", (kind,), conf))
        for phrase, (values, conf) in canonical_map(vocab.GENRE_GROUPS, lexicon.genres, 0.9, 0.85).items():
            add(phrase, _Reading("genre", values, conf))
        # A subgenre spelled like a genre is read as the genre (the broader, safer filter).
        genre_folded = {" ".join(tokenize(g)) for g in lexicon.genres}
        sub = [s for s in lexicon.subgenres if " ".join(tokenize(s)) not in genre_folded]
        # 0.88: a catalog's own subgenre ("trap") beats a genre synonym of it (0.85).
        for phrase, (values, conf) in canonical_map((), sub, 0.88, 0.88).items():
            add(phrase, _Reading("subgenre", values, conf))
        for phrase, (values, conf) in canonical_map(vocab.MOOD_GROUPS, lexicon.moods, 0.8, 0.75).items():
            add(phrase, _Reading("mood", values, conf))
        mood_of = {" ".join(tokenize(m)): m for m in lexicon.moods}
        for phrase, moods in vocab.MOOD_PHRASES.items():
            present = tuple(mood_of[m] for m in moods if m in mood_of)
            if present:
                add(phrase, _Reading("mood", present, 0.7))
        for word, (activity, conf) in vocab.ACTIVITY_WORDS.items():
            add(word, _Reading("activity", (activity,), conf))
        for phrase, conf in vocab.NEW_WORDS.items():
            add(phrase, _Reading("new", ("true",), conf))
        for phrase in vocab.DECADE_WORDS:
            era = vocab.era_range(phrase)
            if era is not None:
                add(phrase, _Reading("era", (f"{era[0]}-{era[1]}",), era[2]))
        # "new songs" is both a type and a "new" phrase: the longer match wins anyway.
        for readings in table.values():
            readings.sort(key=lambda r: -r.confidence)
        return table

    @staticmethod
    def _unmatched_mood_phrases(lexicon: Lexicon) -> frozenset[str]:
        """Mood phrases none of whose moods the catalog labels (all of them in a catalog without moods)."""
        known = {" ".join(tokenize(m)) for m in lexicon.moods}
        phrases = {p: group for group in vocab.MOOD_GROUPS for p in group}
        phrases.update(vocab.MOOD_PHRASES)
        return frozenset(p for p, moods in phrases.items() if not known.intersection(moods))

    # --- parsing ---------------------------------------------------------

    def understand(self, text: object) -> Understanding:
        """All readings of `text`, most likely first. Never raises; empty text -> empty Understanding."""
        return self.understand_tokens(tokenize(clean(text)))

    def understand_tokens(self, tokens: Sequence[str]) -> Understanding:
        """:meth:`understand` of a query already tokenised (``ltrr.query.Query.tokens``: cleaned and
        folded once, where the Query is made)."""
        tokens = list(tokens)[:MAX_TOKENS]
        query = " ".join(tokens)
        if not tokens:
            return Understanding(query="")
        vocabulary = self._select(self._vocabulary_spans(tokens))
        # Fuzzy search ignores exact artist matches so that "selena gomes" can
        # beat the exact one-word artist "Selena": longer spans win in _select.
        found = self._select(vocabulary + self._exact_artist_spans(tokens)
                             + self._fuzzy_artist_spans(tokens, vocabulary))
        interpretations = self._interpretations(tokens, found)
        return Understanding(
            query=query,
            interpretations=interpretations,
            type_scores=_type_scores(interpretations),
            slot_confidence=_slot_confidence(found),
            unmatched_moods=self._unmatched_in(tokens),
        )

    def _unmatched_in(self, tokens: list[str]) -> tuple[str, ...]:
        """Mood phrases of the query the catalog has no mood for, longest match first ("rainy day", not "rainy")."""
        out: list[str] = []
        start = 0
        while start < len(tokens):
            for n in range(min(MAX_PHRASE_TOKENS, len(tokens) - start), 0, -1):
                phrase = " ".join(tokens[start:start + n])
                if phrase in self._unmatched_moods:
                    out.append(phrase)
                    start += n
                    break
            else:
                start += 1
        return tuple(dict.fromkeys(out))

    def _vocabulary_spans(self, tokens: list[str]) -> list[_Found]:
        out = []
        for start in range(len(tokens)):
            for n in range(1, min(MAX_PHRASE_TOKENS, len(tokens) - start) + 1):
                phrase = " ".join(tokens[start:start + n])
                for reading in self._phrases.get(phrase, ()):
                    out.append(_Found(start, start + n, reading))
                if n == 1:
                    era = vocab.era_range(phrase)
                    if era is not None:
                        out.append(_Found(start, start + 1, _Reading("era", (f"{era[0]}-{era[1]}",), era[2])))
        return out

    def _artist_reading(self, rows: list[int], match_conf: float, window: list[str]) -> _Reading:
        lex = self.lexicon
        rows = rows[:3]
        rarest = min(lex.title_df.get(w, 0) for w in window) if window else 0
        ambiguity = rarest / (rarest + AMBIGUITY_HALF)
        popularity = max(lex.artist_popularity[r] for r in rows)
        conf = match_conf * (1.0 - 0.9 * ambiguity) * (0.7 + 0.3 * min(max(popularity, 0.0), 100.0) / 100.0)
        return _Reading("artist", tuple(lex.artist_ids[r] for r in rows), round(conf, 4),
                        tuple(lex.artist_names[r] for r in rows))

    def _exact_artist_spans(self, tokens: list[str]) -> list[_Found]:
        out = []
        for start in range(len(tokens)):
            for n in range(1, min(MAX_ARTIST_TOKENS, len(tokens) - start) + 1):
                window = tokens[start:start + n]
                phrase = " ".join(window)
                rows = self._artist_rows.get(phrase)
                # One-letter names ("-M-" folds to "m") would match any stray letter.
                if rows and len(phrase) >= 2:
                    out.append(_Found(start, start + n, self._artist_reading(rows, EXACT_ARTIST_CONF, window)))
        return out

    def _fuzzy_artist_spans(self, tokens: list[str], found: list[_Found]) -> list[_Found]:
        """Misspelt artist names in the runs of words no other slot explained."""
        covered = np.zeros(len(tokens), dtype=bool)
        for f in found:
            covered[f.start:f.end] = True
        out = []
        for start, end in _runs(~covered)[:2]:
            # Filler words at the edges of a run ("songs by tayler swift") are not the name.
            while start < end and tokens[start] in vocab.FILLER_WORDS:
                start += 1
            while end > start and tokens[end - 1] in vocab.FILLER_WORDS:
                end -= 1
            segment = tokens[start:end]
            chars = len(" ".join(segment))
            if not segment or end - start > MAX_FUZZY_SEGMENT or not 4 <= chars <= MAX_FUZZY_CHARS:
                continue
            hits = self._artist_index.search(" ".join(segment), k=3, min_score=70.0)
            best = None
            known = self.lexicon.title_df
            artist_words = self._artist_words
            for row, _ in hits:
                name = self.lexicon.artist_folded[row]
                # The fuzzy index forgives partial matches; the span must be the whole name.
                for i in range(len(segment)):
                    for j in range(i + 1, len(segment) + 1):
                        # A misspelling needs a word the catalog does not know: "monkey"
                        # is a title word, so it is not a typo of the artist "Moonkey".
                        if all(w in known or w in artist_words for w in segment[i:j]):
                            continue
                        window = " ".join(segment[i:j])
                        ratio = fuzz.ratio(window, name)
                        floor = FUZZY_MIN_RATIO_ONE_WORD if j - i == 1 else FUZZY_MIN_RATIO
                        if ratio < floor or len(window) < 4:
                            continue
                        # Between close spellings the popular artist is the likelier intent
                        # ("eminen": Eminem over Eminence).
                        rank = ratio + 10.0 * self.lexicon.artist_popularity[row] / 100.0
                        if best is None or rank > best[0]:
                            best = (rank, ratio, start + i, start + j, row)
            if best is not None:
                _, ratio, i, j, row = best
                rows = self._artist_rows.get(self.lexicon.artist_folded[row], [row])
                match_conf = 0.55 + 0.35 * (ratio - FUZZY_MIN_RATIO) / (100.0 - FUZZY_MIN_RATIO)
                out.append(_Found(i, j, self._artist_reading(rows, min(match_conf, 0.9), tokens[i:j])))
        return out

    @staticmethod
    def _select(found: list[_Found]) -> list[_Found]:
        """Non-overlapping spans: longer first, then more confident, then earlier."""
        chosen: list[_Found] = []
        taken: set[int] = set()
        for f in sorted(found, key=lambda f: (-f.length, -f.reading.confidence, f.start)):
            span = set(range(f.start, f.end))
            if span & taken:
                continue
            chosen.append(f)
            taken |= span
        return sorted(chosen, key=lambda f: f.start)

    def _interpretations(self, tokens: list[str], found: list[_Found]) -> tuple[Interpretation, ...]:
        """Each span is independently a constraint (p = confidence) or plain words (1 - p).

        A reading takes a subset of spans as constraints; its likelihood is the
        product, so all readings sum to 1 and a query with no spans has exactly
        one reading, free text, with likelihood 1.
        """
        spans = sorted(found, key=lambda f: -f.reading.confidence)[:MAX_SPANS_ENUMERATED]
        readings = []
        for taken in itertools.product((True, False), repeat=len(spans)):
            likelihood = 1.0
            for is_taken, f in zip(taken, spans):
                likelihood *= f.reading.confidence if is_taken else 1.0 - f.reading.confidence
            chosen = [f for is_taken, f in zip(taken, spans) if is_taken]
            readings.append((likelihood, chosen))
        readings.sort(key=lambda r: (-r[0], len(r[1])))
        out = []
        for likelihood, chosen in readings[:MAX_INTERPRETATIONS]:
            if likelihood <= 0.0:
                continue
            out.append(_interpretation(tokens, sorted(chosen, key=lambda f: f.start), likelihood))
        return tuple(out)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in `mask`, longest first."""
    runs, start = [], None
    for i, value in enumerate(list(mask) + [False]):
        if value and start is None:
            start = i
        elif not value and start is not None:
            runs.append((start, i))
            start = None
    return sorted(runs, key=lambda r: (r[0] - r[1], r[0]))


def _interpretation(tokens: list[str], chosen: list[_Found], likelihood: float) -> Interpretation:
    fields: dict = {"genres": [], "subgenres": [], "moods": [], "activities": [], "artist_ids": [],
                    "artist_names": []}
    entity_type = year_from = year_to = None
    new_release = False
    covered = np.zeros(len(tokens), dtype=bool)
    spans = []
    for f in chosen:
        r = f.reading
        covered[f.start:f.end] = True
        text = " ".join(tokens[f.start:f.end])
        for value in r.values:
            spans.append(Span(text=text, slot=r.slot, value=value, confidence=r.confidence))
        if r.slot == "entity_type" and entity_type is None:
            entity_type = r.values[0]
        elif r.slot == "era" and year_from is None:
            year_from, year_to = (int(y) for y in r.values[0].split("-"))
        elif r.slot == "new":
            new_release = True
        elif r.slot == "artist":
            fields["artist_ids"].extend(r.values)
            fields["artist_names"].extend(r.names)
        elif r.slot in ("genre", "subgenre", "mood", "activity"):
            key = {"genre": "genres", "subgenre": "subgenres", "mood": "moods", "activity": "activities"}[r.slot]
            fields[key].extend(v for v in r.values if v not in fields[key])
    if chosen:
        free = [t for t, c in zip(tokens, covered) if not c and t not in vocab.FILLER_WORDS]
    else:
        free = tokens
    return Interpretation(
        likelihood=round(likelihood, 6), entity_type=entity_type,
        genres=tuple(fields["genres"]), subgenres=tuple(fields["subgenres"]),
        moods=tuple(fields["moods"]), activities=tuple(fields["activities"]),
        year_from=year_from, year_to=year_to,
        artist_ids=tuple(dict.fromkeys(fields["artist_ids"])),
        artist_names=tuple(dict.fromkeys(fields["artist_names"])),
        new_release=new_release, free_text=" ".join(free), spans=tuple(spans),
    )


def _type_scores(interpretations: tuple[Interpretation, ...]) -> dict[str, float]:
    """P(entity type asked for): explicit type words, else a prior by what the reading names."""
    scores = dict(EMPTY_TYPE_SCORES)
    for interp in interpretations:
        if interp.entity_type:
            dist = {interp.entity_type: 1.0}
        elif interp.artist_ids:
            dist = vocab.TYPE_PRIORS["artist"]
        elif interp.activities:
            dist = vocab.TYPE_PRIORS["activity"]
        elif interp.has_constraints:
            dist = vocab.TYPE_PRIORS["descriptive"]
        else:
            dist = vocab.TYPE_PRIORS["free_text"]
        for kind, p in dist.items():
            scores[kind] = scores.get(kind, 0.0) + interp.likelihood * p
    total = sum(scores.values())
    return {k: round(v / total, 4) for k, v in scores.items()} if total > 0 else scores


def _slot_confidence(found: list[_Found]) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in found:
        out[f.reading.slot] = max(out.get(f.reading.slot, 0.0), f.reading.confidence)
    return out
