"""One small simulation shared by the runner, report and CLI tests (tiny catalog, three fast arms)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ltrr.simulate import run_simulation
from ltrr.simulate.users import CatalogView

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
