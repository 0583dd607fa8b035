"""What the simulated users ask for over time: repeated popular queries and a drift event.

* :class:`QueryPool`: real query logs repeat; a few queries are typed by
  many people, most once. The pool holds query instances drawn once from the
  population; instance ``r`` (1 = most popular) is re-issued with
  probability proportional to ``1 / r ** exponent`` (Zipf's law), and a
  share of the searches are re-issues.
* :class:`DriftPlan`: the catalog is read-only, so drift is in the demand.
  From a step on, a share of the searches asks for the *trending set*: the
  catalog's newest tracks (by release date) and one mid-popularity artist
  with their tracks. :func:`plan_drift` chooses them from catalog data.

:func:`ltrr.simulate.stream.generate_stream` uses both; this module
only needs the catalog view's arrays (``ids``, ``types``, ``popularity``,
``release_days``, ``artist_ids``, ``rows_of``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ltrr.simulate.catalog_view import CatalogView

# The trending artist is drawn among artists with at least this many tracks whose
# popularity lies between these quantiles of those artists' popularity.
TRENDING_MIN_TRACKS = 3
TRENDING_BAND = (0.4, 0.6)
PHASES = ("before", "after")


@dataclass(frozen=True)
class DriftPlan:
    """The drift event: from `step` on, a share `share` of the searches asks for the trending set.

    ``new_rows``: the catalog's newest tracks (release date, then popularity);
    ``artist_row``: the trending artist (None when the catalog has no artist with
    tracks) and ``artist_track_rows`` their tracks. A trending track search goes
    to a new release or to a track of the trending artist with equal chance.
    ``release_share``: the share of trending searches that name nothing and ask
    what has just come out (any new release satisfies them): a kind of query
    nobody typed before the event.
    """

    step: int
    share: float
    new_rows: np.ndarray
    artist_row: int | None
    artist_track_rows: np.ndarray
    release_share: float = 0.0

    def phase(self, step: int) -> str:
        """``"before"`` or ``"after"`` the event."""
        return PHASES[int(step >= self.step)]

    def pick(self, entity_type: str, view: CatalogView, rng: np.random.Generator) -> int | None:
        """A trending row of `entity_type`: a new release or the artist's track, or the artist."""
        if entity_type == "artist":
            return self.artist_row
        if entity_type != "track":
            return None
        own = self.artist_track_rows
        if len(own) and (not len(self.new_rows) or rng.random() < 0.5):
            # The artist's better-known tracks are asked for more, as everywhere in the stream.
            w = (view.popularity[own] + 1.0) ** 1.5
            return int(own[int(rng.choice(len(own), p=w / w.sum()))])
        if not len(self.new_rows):
            return None
        # New releases have no popularity yet: each is as likely as the next.
        return int(self.new_rows[int(rng.integers(len(self.new_rows)))])

    def release_rows(self, view: CatalogView) -> np.ndarray:
        """What satisfies a search asking what just came out: the new releases, and the albums
        released no earlier than the oldest of them (an album out this week is news too)."""
        if not len(self.new_rows):
            return self.new_rows
        albums = view.rows_of("album")
        albums = albums[view.release_days[albums] >= self.release_since(view)]
        return np.union1d(self.new_rows, albums).astype(np.int64)

    def release_since(self, view: CatalogView) -> int:
        """The release day of the oldest new release: what counts as just out starts there."""
        return int(view.release_days[self.new_rows].min())

    def entity_ids(self, view: CatalogView) -> dict[str, Any]:
        """What trends, as ids: ``{"step", "share", "release_share", "new_releases", "artist",
        "artist_tracks"}``."""
        return {"step": self.step, "share": self.share, "release_share": self.release_share,
                "new_releases": view.ids[self.new_rows].tolist(),
                "artist": None if self.artist_row is None else str(view.ids[self.artist_row]),
                "artist_tracks": view.ids[self.artist_track_rows].tolist()}


def plan_drift(view: CatalogView, step: int, share: float, new_releases: int, seed: int,
               release_share: float = 0.0) -> DriftPlan:
    """The trending set of a stream: the `new_releases` newest tracks, and an artist drawn
    (from `seed`) among those with at least :data:`TRENDING_MIN_TRACKS` tracks and a
    popularity between the :data:`TRENDING_BAND` quantiles: known, not a star.
    `release_share` of the trending searches ask what just came out."""
    tracks = view.rows_of("track")
    dated = tracks[view.release_days[tracks] >= 0]
    # Newest first; ties by popularity, then id, so the batch is the same on every run.
    order = np.lexsort((view.ids[dated], -view.popularity[dated], -view.release_days[dated]))
    new_rows = dated[order][:new_releases].astype(np.int64)
    artist_row, own = None, np.zeros(0, dtype=np.int64)
    artists = view.rows_of("artist")
    if len(artists) and len(tracks):
        by_artist = pd.Series(tracks).groupby(view.artist_ids[tracks]).agg(list)
        n_tracks = np.array([len(by_artist.get(view.ids[a], [])) for a in artists])
        candidates = artists[n_tracks >= TRENDING_MIN_TRACKS]
        if not len(candidates):
            candidates = artists[n_tracks >= 1]
        if len(candidates):
            pop = view.popularity[candidates]
            lo, hi = np.quantile(pop, TRENDING_BAND)
            band = candidates[(pop >= lo) & (pop <= hi)]
            band = np.sort(band if len(band) else candidates)
            rng = np.random.default_rng([int(seed), 0xD21F7])
            artist_row = int(band[int(rng.integers(len(band)))])
            own = np.array(sorted(by_artist.get(view.ids[artist_row], [])), dtype=np.int64)
    return DriftPlan(int(step), float(share), new_rows, artist_row, own, float(release_share))


class QueryPool:
    """Popular query instances: instance ``r`` (from 1) is re-issued with probability
    proportional to ``1 / r ** exponent``; `share` of the searches are re-issues.

    ``entries`` are whatever the stream's generator made: ``(query type, draft)`` pairs.
    """

    def __init__(self, entries: list[Any], exponent: float, share: float) -> None:
        if not entries:
            raise ValueError("a query pool needs at least one query instance")
        self.entries = entries
        self.exponent = float(exponent)
        self.share = float(share)
        weights = 1.0 / np.arange(1, len(entries) + 1, dtype=float) ** self.exponent
        self.probabilities = weights / weights.sum()
        self._cdf = np.cumsum(self.probabilities)

    def draw(self, rng: np.random.Generator) -> int:
        """A Zipf-distributed instance rank, from 1."""
        return min(int(np.searchsorted(self._cdf, rng.random(), side="right")), len(self.entries) - 1) + 1

    @classmethod
    def generate(cls, draw: Callable[[np.random.Generator], Any], size: int, exponent: float, share: float,
                 rng: np.random.Generator) -> "QueryPool":
        """`size` instances from `draw(rng)` (None when a draw found nothing), ranked in the order
        drawn: popularity is assigned at random, independently of what the query asks."""
        entries = []
        for _ in range(size * 3):
            made = draw(rng)
            if made is not None:
                entries.append(made)
                if len(entries) == size:
                    break
        if not entries:
            raise ValueError("this catalog produced no query for the repetition pool")
        return cls(entries, exponent, share)
