"""A query that names a playlist, read as that playlist and what is on it.

"classic rock drive songs" holds the whole name of the playlist Classic Rock
Drive: the structured arm lists the playlist, then its tracks, most popular
first. Whoever typed the name wants the list or its songs; which one, the
ranker and the clicks decide. Before this the tracks came only from the
related arm (a playlist's tracks, seeded by the lexical arm's top three), so a
policy that stopped running it lost every such ask, and a policy learning from
clicks rarely heard what it had lost (its misses arrive as skips).

A name counts by the catalog word list's rules
(:class:`ltrr.bandit.vocab.CatalogVocabulary`: a long name also by the part
people type, a one-word name only beside other words) when it makes at least
half of the query's content words: "love songs" names nothing unless a playlist
is called that, and a long title that happens to contain a two-word playlist
name is left alone.

Several playlists may answer to one name (seven are called "Post Teen Pop" in
some spelling): their tracks are dealt in turns, the most popular playlist's
best track, then the next playlist's, so that a short list holds a track of
each rather than the most popular one's alone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ltrr.bandit.vocab import CatalogVocabulary, name_share, playlist_names_of

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog

# The share of the query's words the name must make (the coverage learner's playlist-name
# shape cell uses the same half).
MIN_NAME_SHARE = 0.5


class NamedPlaylists:
    """Folded playlist name -> the playlists so named, and each playlist's tracks."""

    def __init__(self, vocabulary: CatalogVocabulary, named: dict[str, list[int]],
                 members: dict[int, np.ndarray]) -> None:
        """``named``: folded name -> playlist rows, most popular first; ``members``: playlist row ->
        its track rows, most popular first."""
        self.vocabulary = vocabulary
        self._named = named
        self._members = members

    @classmethod
    def open(cls, catalog: "Catalog") -> "NamedPlaylists":
        """Built from the catalog's entities and its playlist_tracks table (0.1-0.3 s for the
        shared catalog's 32,000 memberships)."""
        ents = catalog.entities
        vocabulary = CatalogVocabulary.open(catalog)
        popularity = ents.frame["popularity"].to_numpy(dtype=np.float64, na_value=0.0)
        named: dict[str, list[int]] = {}
        for row in np.flatnonzero(ents.types == "playlist").tolist():
            for name in playlist_names_of(ents.titles[row]):
                named.setdefault(name, []).append(int(row))
        for rows in named.values():
            rows.sort(key=lambda r: (-np.nan_to_num(popularity[r]), r))
        links = catalog.query_df("SELECT playlist_id, track_id FROM playlist_tracks")
        # Vectorised: a large catalog holds millions of memberships. Each playlist's tracks most
        # popular first (ties by row), the order `reading` deals them in.
        row_of = pd.Series(ents.row_of, dtype=np.float64)
        popularity01 = np.nan_to_num(ents.popularity01)
        links = pd.DataFrame({"playlist": links["playlist_id"].map(row_of),
                              "track": links["track_id"].map(row_of)}).dropna().astype(np.int64)
        links = links.drop_duplicates()
        links["pop"] = popularity01[links["track"].to_numpy()]
        links = links.sort_values(["playlist", "pop", "track"], ascending=[True, False, True], kind="stable")
        members = {int(p): group.to_numpy(dtype=np.int64)
                   for p, group in links.groupby("playlist", sort=False)["track"]}
        return cls(vocabulary, named, members)

    def named(self, tokens: Sequence[str]) -> tuple[list[int], float] | None:
        """(the playlists so named, most popular first; the name's share of the query's content
        words) when the query names a playlist, else None: the check ``reading`` lists from, and
        a probe can read without listing."""
        name = self.vocabulary.playlist_name_in(tokens) if tokens else None
        if name is None:
            return None
        share = name_share(name, tokens)
        playlists = self._named.get(name, [])
        return (playlists, share) if share >= MIN_NAME_SHARE and playlists else None

    def reading(self, tokens: Sequence[str], limit: int) -> dict[int, float]:
        """Row -> score for a query whose words name a playlist (empty when they name none): the
        most popular playlist of that name at 1 + share (share: the name's part of the query's
        content words), then the tracks of every playlist so named, dealt in turns (see the module
        docstring), from 1 + share * 0.95 down to just above 1 + share * 0.5, then its namesakes at
        1 + share * 0.5: all above anything a query-understanding reading scores (at most 1). At
        most ``limit`` rows, best first."""
        named = self.named(tokens) if limit > 0 else None
        if named is None:
            return {}
        playlists, share = named
        scores: dict[int, float] = {playlists[0]: 1.0 + share}
        # All of them, whatever the limit: a row's score must not depend on how deep the list goes.
        dealt = _in_turns([self._members.get(row, _NONE) for row in playlists])
        for i, track in enumerate(dealt):
            scores.setdefault(track, 1.0 + share * (0.5 + 0.45 * (1.0 - i / len(dealt))))
        # Namesakes of the most popular one (six playlists are called "Permanent Wave") list after
        # the tracks: they would otherwise fill a short list with lists.
        for row in playlists[1:]:
            scores.setdefault(row, 1.0 + share * 0.5)
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(best)


_NONE = np.zeros(0, dtype=np.int64)


def _in_turns(lists: Sequence[np.ndarray]) -> list[int]:
    """The distinct rows of ``lists`` taken in turns (the first of each list, then the second of
    each...)."""
    out: list[int] = []
    seen: set[int] = set()
    depth = max((len(x) for x in lists), default=0)
    rows_of = [rows.tolist() for rows in lists]
    for i in range(depth):
        for rows in rows_of:
            if i < len(rows) and rows[i] not in seen:
                seen.add(rows[i])
                out.append(rows[i])
    return out
