"""A reproducible stream of simulated searches (:func:`generate_stream`), with repetition
and drift, and its table form.

**Repetition** (:class:`~ltrr.simulate.demand.QueryPool`). Real query logs
repeat: a few queries are typed by many people, most once. A share
``repeat_share`` of searches re-issues a query instance from a pool of
``query_pool`` instances drawn from the same population before the stream
starts, instance ``r`` (1 = most popular) with probability proportional to
``1 / r ** zipf_exponent``; the rest are fresh.
A repeated instance keeps its text and intent, and its relevance is worked
out again for the user and hour at hand (a mood query is personal).
``Interaction.instance`` is the rank, ``None`` for a fresh query.

**Drift** (:class:`~ltrr.simulate.demand.DriftPlan`). The catalog is
read-only, so drift is in the demand: from step
``drift_step`` on, a share ``drift_share`` of searches asks for the trending
set, the catalog's ``drift_new_releases`` newest tracks (by release date) and
one mid-popularity artist (and their tracks), typed with the user's usual
title and artist query types (:data:`~ltrr.simulate.query_types.DRIFT_TYPES`);
a share ``drift_release_share``
of those searches names nothing and asks what just came out (``new_releases``,
phrased from :data:`~ltrr.simulate.vocab.RELEASE_ASKS`), a kind of query that
did not exist before the event. ``Interaction.phase`` is
``"before"`` or ``"after"`` the event and ``Interaction.trending`` marks the
searches for the trending set; :func:`~ltrr.simulate.demand.plan_drift` says what trends.

**World** (:class:`~ltrr.simulate.world.World`). Who the users are, which
query types they ask and how often, how they type and misspell, and the
share of trending searches asking what just came out are the world's
(``world``: "default" or "second"); the default world is the stream as it
was before worlds existed.

**Sessions and follow-ups.** Each interaction's context names its session
(``session_id``, ``"<seed>-<step>"``), and a broad ask carries the more
specific search its user would follow it with if it failed them
(``Interaction.follow_up``; see *Reformulations* in
:mod:`ltrr.simulate.queries`), drawn from a generator of the seed and step
alone: the users, queries and intents are the same as without them.

Everything random comes from numpy generators seeded by the caller:
the same catalog and arguments give the same stream.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.clicks import check_probability
from ltrr.simulate.demand import QueryPool, plan_drift
from ltrr.simulate.population import UserPopulation
from ltrr.simulate.queries import Interaction, QueryGenerator
from ltrr.simulate.world import World, get_world


def _check_int(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def generate_stream(view: CatalogView, steps: int, seed: int, n_users: int = 100,
                    query_types: Sequence[str] | None = None, *,
                    repeat_share: float = 0.3, zipf_exponent: float = 1.0, query_pool: int = 500,
                    drift_step: int | None = None, drift_share: float = 0.5,
                    drift_new_releases: int = 50, drift_release_share: float | None = None,
                    world: World | str | None = None) -> list[Interaction]:
    """`steps` interactions, reproducible from `seed` (the same catalog, seed and settings give
    the same stream). See the module docstring for repetition and drift.

    ``repeat_share``: share of searches that re-issue a popular instance (0 turns repetition
    off); ``zipf_exponent``: the popularity exponent over the ``query_pool`` instances;
    ``drift_step``: the first step of the drift event (None: no drift); ``drift_share``:
    the share of searches after it that ask for the trending set; ``drift_new_releases``:
    how many of the newest tracks trend; ``drift_release_share``: the share of trending
    searches that ask what just came out (None: the world's, 0.4 in the default world);
    ``world``: the simulated world, a :class:`~ltrr.simulate.world.World` or its name
    (None: the default world).
    """
    world = get_world(world)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    repeat_share = check_probability("repeat_share", repeat_share)
    if isinstance(zipf_exponent, bool) or not isinstance(zipf_exponent, (int, float, np.floating)) or \
            not math.isfinite(zipf_exponent) or zipf_exponent < 0:
        raise ValueError(f"zipf_exponent must be a finite number >= 0, got {zipf_exponent!r}")
    query_pool = _check_int("query_pool", query_pool, 1)
    if drift_step is not None:
        drift_step = _check_int("drift_step", drift_step, 1)
    drift_share = check_probability("drift_share", drift_share)
    drift_new_releases = _check_int("drift_new_releases", drift_new_releases, 1)
    drift_release_share = check_probability(
        "drift_release_share", world.release_share if drift_release_share is None else drift_release_share)
    rng = np.random.default_rng([int(seed), 0x5EED])
    population = UserPopulation.generate(view, n_users, rng, query_types, world=world)
    drift = None if drift_step is None else plan_drift(view, drift_step, drift_share, drift_new_releases, seed,
                                                       drift_release_share)
    generator = QueryGenerator(view, population, drift, seed=int(seed))
    if repeat_share > 0:
        # Its own generator: the pool's size never changes which users the stream draws.
        pool_rng = np.random.default_rng([int(seed), 0x5EED, 0x9001])
        generator.pool = QueryPool.generate(generator.draw_fresh, query_pool, zipf_exponent, repeat_share, pool_rng)
    return [generator.interaction(step, rng) for step in range(1, int(steps) + 1)]


STREAM_COLUMNS = ["step", "user_id", "query_type", "query", "intent", "intent_kind", "hour", "weekday",
                  "n_relevant", "phase", "trending", "instance"]


def stream_frame(stream: Sequence[Interaction]) -> pd.DataFrame:
    """The stream as a table (step, user, type, query, intent, context, number of relevant
    entities, drift phase, trending, repeated instance rank or <NA>)."""
    frame = pd.DataFrame([{
        "step": it.step, "user_id": it.user_id, "query_type": it.query_type, "query": it.query,
        "intent": it.intent.description, "intent_kind": it.intent.kind, "hour": it.context["hour"],
        "weekday": it.context["weekday"], "n_relevant": len(it.relevant), "phase": it.phase,
        "trending": it.trending, "instance": it.instance,
    } for it in stream], columns=STREAM_COLUMNS)
    frame["instance"] = frame["instance"].astype("Int64")
    return frame


def type_counts(stream: Sequence[Interaction]) -> Mapping[str, int]:
    """How many interactions of each query type a stream holds."""
    return dict(Counter(it.query_type for it in stream))
