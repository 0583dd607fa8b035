"""A query that names a playlist, read as that playlist and what is on it.

"classic rock drive songs" holds the whole name of the playlist Classic Rock
Drive: the structured arm lists the playlist, then its tracks, most popular
first. Whoever typed the name wants the list or its songs; which one, the
ranker and the clicks decide. Before this the tracks came only from the
related arm (a playlist's tracks, seeded by the lexical arm's top three), so a
policy that stopped running it lost every such ask, and a policy learning from
clicks rarely heard what it had lost (its misses arrive as skips).

A name counts when it is two words or more (the catalog word list's rule,
:class:`ltrr.bandit.vocab.CatalogVocabulary`) and makes at least half of the
query's words: "love songs" names nothing unless a playlist is called that, and
a long title that happens to contain a two-word playlist name is left alone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ltrr.bandit.vocab import CatalogVocabulary
from ltrr.text import tokenize

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog

# The share of the query's words the name must make (the coverage learner's playlist-name
# shape cell uses the same half).
MIN_NAME_SHARE = 0.5


class NamedPlaylists:
    """Folded playlist name -> the playlists so named, and each playlist's tracks."""

    def __init__(self, vocabulary: CatalogVocabulary, named: dict[str, list[int]],
                 members: dict[int, np.ndarray], popularity: np.ndarray) -> None:
        """``popularity``: every entity's, scaled to 0..1 (``EntityTable.popularity01``)."""
        self.vocabulary = vocabulary
        self._named = named
        self._members = members
        self._popularity = popularity

    @classmethod
    def open(cls, catalog: "Catalog") -> "NamedPlaylists":
        """Built from the catalog's entities and its playlist_tracks table (0.1-0.3 s for the
        shared catalog's 32,000 memberships)."""
        ents = catalog.entities
        vocabulary = CatalogVocabulary.open(catalog)
        popularity = ents.frame["popularity"].to_numpy(dtype=np.float64, na_value=0.0)
        named: dict[str, list[int]] = {}
        for row in np.flatnonzero(ents.types == "playlist").tolist():
            title = ents.titles[row]
            name = " ".join(tokenize(title)) if isinstance(title, str) else ""
            if name:
                named.setdefault(name, []).append(int(row))
        for rows in named.values():
            rows.sort(key=lambda r: (-np.nan_to_num(popularity[r]), r))
        links = catalog.query_df("SELECT playlist_id, track_id FROM playlist_tracks")
        # Vectorised: a large catalog holds millions of memberships. In no order: `reading` ranks
        # the tracks by their own score.
        row_of = pd.Series(ents.row_of, dtype=np.float64)
        links = pd.DataFrame({"playlist": links["playlist_id"].map(row_of),
                              "track": links["track_id"].map(row_of)}).dropna().astype(np.int64)
        members = {int(p): group.to_numpy(dtype=np.int64)
                   for p, group in links.groupby("playlist", sort=False)["track"]}
        return cls(vocabulary, named, members, np.nan_to_num(ents.popularity01))

    def reading(self, tokens: Sequence[str], limit: int) -> dict[int, float]:
        """Row -> score for a query whose words name a playlist (empty when they name none): the
        most popular playlist of that name at 1 + share (share: the name's part of the query's
        words), then the tracks of every playlist so named at 1 + share * (0.5 + 0.45 *
        popularity), then its namesakes at 1 + share * 0.5: all above anything a
        query-understanding reading scores (at most 1). At most ``limit`` rows, best first."""
        if limit <= 0 or not tokens:
            return {}
        name = self.vocabulary.playlist_name_in(tokens)
        if name is None:
            return {}
        share = len(name.split()) / len(tokens)
        if share < MIN_NAME_SHARE:
            return {}
        playlists = self._named.get(name, [])
        if not playlists:
            return {}
        scores: dict[int, float] = {playlists[0]: 1.0 + share}
        for row in playlists:
            for track in self._members.get(row, np.zeros(0, dtype=np.int64)).tolist():
                scores.setdefault(track, 1.0 + share * (0.5 + 0.45 * float(self._popularity[track])))
        # Namesakes of the most popular one (six playlists are called "Permanent Wave") list after
        # the tracks: they would otherwise fill a short list with lists.
        for row in playlists[1:]:
            scores.setdefault(row, 1.0 + share * 0.5)
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(best)
