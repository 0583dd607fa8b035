"""One small simulation shared by the runner, report and CLI tests (tiny catalog, three fast arms)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ltrr.simulate import run_simulation
from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.population import SimUser, UserPopulation
from ltrr.simulate.queries import QueryGenerator

ARMS = ["lexical", "fuzzy", "popular"]
POLICIES = ["linucb", "static:lexical", "all"]
STEPS = 40


@pytest.fixture(scope="session")
def sim_settings() -> SimpleNamespace:
    """What `tiny_simulation` ran (tests import nothing from conftest modules)."""
    return SimpleNamespace(arms=ARMS, policies=POLICIES, steps=STEPS)


@pytest.fixture(scope="session")
def tiny_simulation(tiny_catalog_path, tmp_path_factory):
    calls = []
    state_root = tmp_path_factory.mktemp("sim-states")
    result = run_simulation(tiny_catalog_path, POLICIES, STEPS, seed=0, state_root=state_root, arms=ARMS,
                            on_step=lambda policy, step, record: calls.append((policy, step, record)))
    return result, calls, state_root


@pytest.fixture(scope="module")
def view(tiny_catalog_path):
    """The simulator's view of the tiny catalog (what simulated users may know of it)."""
    from ltrr.catalog.store import Catalog

    catalog = Catalog.open(tiny_catalog_path)
    try:
        return CatalogView.from_catalog(catalog)
    finally:
        catalog.close()


@pytest.fixture()
def sim_user():
    """A factory: ``sim_user(view, taste)`` gives a user of that taste (at noon, no typo habit) and a
    query generator over a small population of `view`."""
    def make(view: CatalogView, taste: str = "r&b") -> tuple[SimUser, QueryGenerator]:
        population = UserPopulation.generate(view, 3, np.random.default_rng(0))
        user = SimUser("u1", taste, population.users[0].type_weights, 0.0, 12)
        return user, QueryGenerator(view, population)
    return make
