"""Fixtures for the app tests: a tiny catalog and a state folder in tmp, wired
through LTRR_CATALOG / LTRR_STATE exactly as a user would configure the app."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

@pytest.fixture(scope="session")
def app_catalog(tiny_catalog_path, tmp_path_factory) -> Path:
    """A private copy of the tiny catalog: the Catalog page writes new catalogs next to it."""
    dest = tmp_path_factory.mktemp("app-catalog") / "catalog.duckdb"
    shutil.copyfile(tiny_catalog_path, dest)
    return dest


def _close_engines() -> None:
    from ltrr_app.shared import engine_hub

    # Let background arm builds finish: exiting while one runs inside torch aborts the process.
    engine_hub().close_all(wait_s=120)


@pytest.fixture(scope="module")
def shared_state(app_catalog, tmp_path_factory) -> Path:
    """A state root shared by a module's tests (they assert changes, not absolute counts)."""
    state = tmp_path_factory.mktemp("app-state")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LTRR_CATALOG", str(app_catalog))
        mp.setenv("LTRR_STATE", str(state))
        yield state
    _close_engines()


@pytest.fixture()
def fresh_state(app_catalog, tmp_path, monkeypatch) -> Path:
    """A state root of its own, for tests that need an untouched engine."""
    state = tmp_path / "state"
    monkeypatch.setenv("LTRR_CATALOG", str(app_catalog))
    monkeypatch.setenv("LTRR_STATE", str(state))
    yield state
    _close_engines()
