"""The vocabulary query understanding matches against, as one catalog spells it.

:class:`Lexicon` is what the understander keeps (and persists) about a catalog:
its genres, subgenres, moods, artists and how common each title word is.
:func:`canonical_map` maps the phrases of ``ltrr.vocabulary`` onto the values
that catalog actually has.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd

from ltrr.progress import ProgressFn, silent
from ltrr.text import tokenize

# Where the credits part of a title starts: " - Remix", "(feat. X)", "[Live]", "ft. X".
_CREDITS_RE = re.compile(r"\s+-\s+|\s*[\(\[]|\s+(?:feat|ft|featuring)\b", re.IGNORECASE)


@dataclass
class Lexicon:
    """What the understander knows about one catalog.

    Genres, subgenres and moods keep the catalog's spelling ("r&b"); the
    parser matches their folded forms ("r b"). ``artist_*`` lists are parallel;
    ``title_df`` counts, for every title word, how many track/album/playlist
    titles (credits left out) contain it.
    """

    genres: list[str]
    subgenres: list[str]
    moods: list[str]
    artist_ids: list[str]
    artist_names: list[str]            # display names
    artist_folded: list[str]
    artist_popularity: list[float]
    title_df: dict[str, int]

    @classmethod
    def from_entities(cls, frame: pd.DataFrame, progress: ProgressFn = silent) -> "Lexicon":
        """Derive the lexicon from a catalog's entity frame (``catalog.entities.frame``)."""
        music = frame[frame["entity_type"].isin(["track", "artist", "album", "playlist"])]

        def distinct(col: str) -> list[str]:
            # Catalog spellings ("r&b"): the structured arm filters on these exact values.
            values = music[col].dropna().astype(str).unique().tolist()
            return sorted(v for v in values if tokenize(v))

        artists = frame[frame["entity_type"] == "artist"]
        names = artists["title"].astype(str).tolist()
        folded = [" ".join(tokenize(n)) for n in names]
        titles = frame.loc[frame["entity_type"].isin(["track", "album", "playlist"]), "title"]
        df: Counter[str] = Counter()
        total = len(titles)
        for i, title in enumerate(titles.astype(str).tolist()):
            # Credits ("(feat. Drake)") name artists, so they do not make a name ambiguous.
            df.update(set(tokenize(_CREDITS_RE.split(title, maxsplit=1)[0])))
            if i % 50_000 == 0:
                progress(i, total, "query understanding: title words")
        progress(total, total, "query understanding: title words")
        return cls(
            genres=distinct("genre"), subgenres=distinct("subgenre"), moods=distinct("mood"),
            artist_ids=artists["entity_id"].astype(str).tolist(), artist_names=names,
            artist_folded=folded,
            artist_popularity=artists["popularity"].fillna(0.0).astype(float).tolist(),
            title_df=dict(df),
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Lexicon":
        return cls(**json.loads(text))


def canonical_map(groups: Iterable[tuple[str, ...]], known: list[str], base_conf: float,
                  synonym_conf: float) -> dict[str, tuple[tuple[str, ...], float]]:
    """folded phrase -> (catalog values, confidence), for the groups the catalog knows.

    A phrase that folds to a catalog value maps to that value ("r&b" and "R & B"
    -> "r&b"); a synonym maps to every catalog value of its group ("hip hop" ->
    "rap" when the catalog says rap).
    """
    by_folded: dict[str, list[str]] = {}
    for value in known:
        by_folded.setdefault(" ".join(tokenize(value)), []).append(value)
    out: dict[str, tuple[tuple[str, ...], float]] = {
        phrase: (tuple(values), base_conf) for phrase, values in by_folded.items()}
    for group in groups:
        present = tuple(v for phrase in group for v in by_folded.get(phrase, ()))
        if not present:
            continue
        for phrase in group:
            out.setdefault(phrase, (present, synonym_conf))
    return out

