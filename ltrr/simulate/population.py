"""The simulated users: each with a taste genre, a personal mix of query types, a typo
habit and a peak hour; a few search a lot, most rarely.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.query_types import QUERY_TYPES, available_query_types
from ltrr.simulate.world import DEFAULT, World, get_world

# The default world's base mix over query types (renormalised over the types the catalog
# supports); kept here for callers that read it, the world is what the stream uses.
BASE_TYPE_WEIGHTS: dict[str, float] = dict(DEFAULT.weights)


@dataclass(frozen=True)
class SimUser:
    """One simulated user: their taste genre, query habits and when they listen."""

    user_id: str
    taste: str
    type_weights: tuple[float, ...]     # over :attr:`UserPopulation.query_types`
    typo_rate: float                    # chance of a second slip in a misspelled query
    peak_hour: int


class UserPopulation:
    """Users with a taste genre, a personal mix of query types, a typo habit and a peak hour.

    Activity is Zipf-like: a few users search a lot, most rarely, as in real logs.
    """

    def __init__(self, users: list[SimUser], query_types: tuple[str, ...], activity: np.ndarray,
                 world: World = DEFAULT) -> None:
        self.users = users
        self.world = world
        self.query_types = query_types
        self.activity = activity / activity.sum()

    @classmethod
    def generate(cls, view: CatalogView, n_users: int, rng: np.random.Generator,
                 query_types: Sequence[str] | None = None, world: World | str | None = None) -> "UserPopulation":
        """Draw `n_users` users over the query types the catalog supports and the world asks (or
        `query_types`), with the world's mix of types, taste and typo habits (default: the default world)."""
        world = get_world(world)
        if isinstance(n_users, bool) or not isinstance(n_users, (int, np.integer)) or n_users < 1:
            raise ValueError(f"n_users must be a positive integer, got {n_users!r}")
        supported = available_query_types(view)
        if query_types is None:
            types = tuple(t for t in supported if world.weight(t) > 0)
        else:
            unknown = [t for t in query_types if t not in QUERY_TYPES]
            if unknown:
                raise ValueError(f"unknown query type(s) {', '.join(map(repr, unknown))}; "
                                 f"known: {', '.join(QUERY_TYPES)}")
            unsupported = [t for t in query_types if t not in supported]
            if unsupported:
                raise ValueError(f"this catalog cannot satisfy query type(s) {', '.join(unsupported)}; "
                                 f"it supports: {', '.join(supported)}")
            never = [t for t in query_types if world.weight(t) <= 0]
            if never:
                raise ValueError(f"the {world.name} world never asks query type(s) {', '.join(never)}; "
                                 f"it asks: {', '.join(t for t, _ in world.type_weights)}")
            types = tuple(dict.fromkeys(query_types))
        if not types:
            raise ValueError("this catalog supports no query type (it needs tracks with titles)")
        base = np.array([world.weight(t) for t in types])
        base = base / base.sum()
        genres = view.track_genres or [""]
        counts = Counter(view.genres[view.rows_of("track")])
        genre_p = np.array([counts.get(g, 0) + 1.0 for g in genres])
        genre_p /= genre_p.sum()
        users = []
        for i in range(int(n_users)):
            mix = rng.dirichlet(base * world.mix_concentration) if len(types) > 1 else np.ones(1)
            users.append(SimUser(
                user_id=f"sim{i:04d}",
                taste=str(genres[int(rng.choice(len(genres), p=genre_p))]),
                type_weights=tuple(float(w) for w in mix),
                typo_rate=float(rng.uniform(*world.typo_rate)),
                peak_hour=int(rng.integers(24)),
            ))
        activity = 1.0 / np.arange(1, int(n_users) + 1) ** 0.8
        activity = activity[rng.permutation(int(n_users))]
        return cls(users, types, activity, world)

    def draw(self, rng: np.random.Generator) -> SimUser:
        """One user, in proportion to activity."""
        return self.users[int(rng.choice(len(self.users), p=self.activity))]
