"""The app must not build Python ast objects on every page run.

CPython 3.11.7 raises "SystemError: AST constructor recursion depth mismatch"
at random when two threads build ast objects at once (fixed in 3.11.8), and
the semantic arm's background open builds them while importing torch.
Streamlit's "magic" was the page-run side of that race; it is switched off in
``.streamlit/config.toml``. ``ast_race_stress.py`` beside this file shows the
race with magic on and none with the repo's config.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit import config
from streamlit.runtime.scriptrunner.script_cache import ScriptCache

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


@pytest.fixture
def repo_config(monkeypatch):
    """Streamlit options as `streamlit run app.py` reads them from the repo root."""
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    yield
    config.get_config_options(force_reparse=True)


def test_magic_is_off_in_the_repo_config(repo_config):
    assert config.get_option("runner.magicEnabled") is False


def test_pages_compile_without_building_ast_objects(repo_config, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a page run built Python ast objects (Streamlit magic is on?)")

    monkeypatch.setattr(ast, "parse", refuse)
    cache = ScriptCache()
    for page in PAGES:
        assert cache.get_bytecode(str(page)) is not None


def test_the_guard_can_fail(monkeypatch, repo_config):
    """With magic on, the same compile does call ast.parse: the test above would fail."""
    config.set_option("runner.magicEnabled", True)
    calls = []
    real = ast.parse
    monkeypatch.setattr(ast, "parse", lambda *a, **k: calls.append(1) or real(*a, **k))
    ScriptCache().get_bytecode(str(PAGES[0]))
    assert calls


def test_pages_do_not_rely_on_magic():
    """Magic would write bare expressions; the pages have none but docstrings."""
    for page in PAGES:
        tree = ast.parse(page.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and not isinstance(node.value, (ast.Call, ast.Await)):
                assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str), \
                    f"{page.name}:{node.lineno} is a bare expression that only magic would display"
