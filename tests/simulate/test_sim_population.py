"""The simulated population: skewed activity, tastes from the catalog, contexts the app would send."""
from __future__ import annotations

import numpy as np

from ltrr.simulate.population import UserPopulation
from ltrr.simulate.stream import generate_stream


def test_population_is_skewed_and_contextual(view):
    population = UserPopulation.generate(view, 50, np.random.default_rng(0))
    assert np.isclose(population.activity.sum(), 1.0)
    assert population.activity.max() > 5 * population.activity.min()
    assert {u.taste for u in population.users} <= set(view.track_genres)
    stream = generate_stream(view, 500, seed=0, n_users=50)
    hours = np.array([it.context["hour"] for it in stream])
    assert hours.min() >= 0 and hours.max() <= 23
    assert all(set(it.context) == {"user_id", "hour", "weekday", "session_id"} for it in stream)
    # One session per step of this stream (seed 0): a follow-up search shares its step's.
    assert [it.context["session_id"] for it in stream] == [f"0-{it.step}" for it in stream]
