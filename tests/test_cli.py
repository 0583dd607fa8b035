"""The command line through `main([...])`: the happy paths, and every
expected failure as one line on stderr with a non-zero exit code."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ltrr import cli, config
from ltrr.catalog import synthetic
from ltrr.catalog.store import Catalog

ROOT = Path(__file__).resolve().parents[1]


def _one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error:" in lines[0]
    return lines[0]


@pytest.fixture()
def song_csv(tmp_path) -> Path:
    path = tmp_path / "songs.csv"
    path.write_text("track_name,artist,album,album_release,playlist,genres\n"
                    "Halo,Beyoncé,I Am,2008,Love Songs,r&b\n"
                    "Yellow,Coldplay,Parachutes,10-07-2000,Love Songs,rock\n")
    return path


# ---------------------------------------------------------------- happy paths


def test_build_then_info(tmp_path, capsys):
    path = tmp_path / "cat.duckdb"
    assert cli.main(["build", "--tracks", "600", "--seed", "3", "--catalog", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"built {path}" in out and "track 600" in out
    assert cli.main(["info", "--catalog", str(path)]) == 0
    out = capsys.readouterr().out
    assert "synthetic" in out and "built_at" in out
    cat = Catalog.open(path)
    try:
        counts = cat.counts()
    finally:
        cat.close()
    for kind, n in counts.items():
        assert f"{kind:<14}{n:>12,}" in out


def test_import_prints_the_report(tmp_path, song_csv, capsys):
    path = tmp_path / "cat.duckdb"
    assert cli.main(["import", str(song_csv), "--catalog", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows read 2, imported 2, dropped 0" in out
    assert "problems: none" in out
    cat = Catalog.open(path)
    try:
        assert cat.counts()["playlist"] == 1
        assert cat.meta()["source"] == "import:songs.csv"
    finally:
        cat.close()


def test_import_with_map(tmp_path, capsys):
    src = tmp_path / "mine.csv"
    src.write_text("Song,Band\nYellow,Coldplay\n")
    path = tmp_path / "cat.duckdb"
    assert cli.main(["import", str(src), "--catalog", str(path), "--map", "title=Song",
                     "--map", "artist=Band"]) == 0
    assert "imported 1" in capsys.readouterr().out


def test_info_without_catalog_builds_the_default(tmp_path, monkeypatch, capsys):
    target = tmp_path / "default.duckdb"
    monkeypatch.setenv("LTRR_CATALOG", str(target))
    monkeypatch.setattr(synthetic, "DEFAULT_TRACKS", 400)
    assert cli.main(["info"]) == 0
    assert target.is_file()
    assert str(target) in capsys.readouterr().out


def test_help_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("build", "import", "info"):
        assert name in out


# ---------------------------------------------------------------- error paths


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02garbage" * 100, b"a,b\n1,2\n"])
def test_import_not_a_catalog(tmp_path, capsys, content):
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    assert cli.main(["import", str(src), "--catalog", str(tmp_path / "c.duckdb")]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("ltrr import: error:") and "bad.csv" in line
    assert not (tmp_path / "c.duckdb").exists()


def test_import_missing_file(tmp_path, capsys):
    assert cli.main(["import", str(tmp_path / "nope.csv"), "--catalog", str(tmp_path / "c.duckdb")]) == 2
    assert "no such file" in _one_error_line(capsys)


@pytest.mark.parametrize("mapping, expected", [
    ("colour=red", "unknown field 'colour'"),
    ("title=nope", "no column 'nope'"),
    ("title", "FIELD=COLUMN"),
    ("=Song", "FIELD=COLUMN"),
])
def test_import_bad_map(tmp_path, song_csv, capsys, mapping, expected):
    code = cli.main(["import", str(song_csv), "--catalog", str(tmp_path / "c.duckdb"), "--map", mapping])
    assert code == 2
    assert expected in _one_error_line(capsys)


def test_info_on_missing_and_non_catalog_files(tmp_path, song_csv, capsys):
    assert cli.main(["info", "--catalog", str(tmp_path / "none.duckdb")]) == 2
    assert "no catalog at" in _one_error_line(capsys)
    assert cli.main(["info", "--catalog", str(song_csv)]) == 2
    line = _one_error_line(capsys)
    # A CSV is a table to import: the line says so and names the command, never DuckDB's internals.
    assert "is a .csv file, not a catalog" in line and f"python -m ltrr import {song_csv}" in line
    assert "in-memory" not in line


@pytest.mark.parametrize("argv, expected", [
    ([], "no command given"),
    (["frobnicate"], "invalid choice"),
    (["build", "--tracks", "0"], "must be at least 1"),
    (["build", "--tracks", "many"], "expected a whole number"),
    (["build", "--seed", "-1"], "must be 0 or more"),
    (["import"], "required"),
    (["info", "--bogus"], "unrecognized arguments"),
])
def test_bad_arguments(argv, expected, capsys):
    assert cli.main(argv) == 2
    assert expected in _one_error_line(capsys)


def test_unexpected_errors_are_one_line(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "info", cli.Command("info", "x", cli.add_catalog_argument, broken))
    monkeypatch.delenv("LTRR_DEBUG", raising=False)
    assert cli.main(["info"]) == 1
    line = _one_error_line(capsys)
    assert "internal error: RuntimeError: boom second line" in line


def test_module_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ltrr", "info", "--catalog", str(tmp_path / "x.duckdb")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("ltrr info: error: no catalog at")
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- config


def test_config_defaults_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("LTRR_CATALOG", raising=False)
    monkeypatch.delenv("LTRR_STATE", raising=False)
    assert config.default_catalog_path() == ROOT / "data" / "catalog.duckdb"
    assert config.default_state_dir() == ROOT / "data" / "state"
    monkeypatch.setenv("LTRR_CATALOG", str(tmp_path / "c.duckdb"))
    monkeypatch.setenv("LTRR_STATE", str(tmp_path / "state"))
    assert config.default_catalog_path() == tmp_path / "c.duckdb"
    assert config.default_state_dir() == tmp_path / "state"
    monkeypatch.setenv("LTRR_CATALOG", "  ")
    assert config.default_catalog_path() == ROOT / "data" / "catalog.duckdb"


def test_ensure_catalog_builds_once(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "DEFAULT_TRACKS", 300)
    target = tmp_path / "sub" / "c.duckdb"
    calls = []
    assert config.ensure_catalog(target, progress=lambda d, t, m: calls.append(m)) == target
    assert target.is_file() and calls
    stamp = target.stat().st_mtime_ns
    calls.clear()
    assert config.ensure_catalog(target, progress=lambda d, t, m: calls.append(m)) == target
    assert target.stat().st_mtime_ns == stamp and not calls


def test_build_refuses_to_replace_a_non_catalog(tmp_path, capsys):
    notes = tmp_path / "notes.csv"
    notes.write_text("keep me")
    assert cli.main(["build", "--tracks", "10", "--catalog", str(notes)]) == 2
    assert "not a DuckDB catalog" in _one_error_line(capsys)
    assert notes.read_text() == "keep me"


# ---------------------------------------------------------------- export, layout


def _write_log(state: Path) -> None:
    from tests.test_log import _click, _search

    (state / "log").mkdir(parents=True)
    lines = [json.dumps(ev) for ev in (_search(1), _click(1), _search(2))]
    (state / "log" / "events.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("fmt, name", [("ubi", "interactions.ubi.ndjson"), ("jsonl", "interactions.jsonl"),
                                       ("csv", "interactions.csv")])
def test_export_writes_each_format_and_reads_back(tmp_path, capsys, fmt, name):
    from ltrr.log_export import load_exported

    _write_log(tmp_path / "state")
    assert cli.main(["export", "--state", str(tmp_path / "state"), "--format", fmt, "--out", str(tmp_path / "x")]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'x' / name}"
    events = load_exported(tmp_path / "x" / name)
    assert [e.get("id") or e["search_id"] for e in events] == ["s1", "s1", "s2"]


def test_export_without_a_log_is_one_line(tmp_path, capsys):
    assert cli.main(["export", "--state", str(tmp_path / "none"), "--format", "ubi", "--out", str(tmp_path)]) == 2
    assert "no interaction log" in _one_error_line(capsys)


def test_export_unknown_format_is_refused(tmp_path, capsys):
    assert cli.main(["export", "--state", str(tmp_path), "--format", "xml", "--out", str(tmp_path)]) == 2
    assert "invalid choice" in _one_error_line(capsys)


def test_command_modules_import_only_common_from_the_cli_package():
    """The CLI package has no cycle: command groups never import `ltrr.cli` itself."""
    package = ROOT / "ltrr" / "cli"
    for module in package.glob("*.py"):
        if module.name == "__init__.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not {m for m in imported if m == "ltrr.cli" or (m.startswith("ltrr.cli.") and m != "ltrr.cli.common")}, \
            module.name
    assert {"build", "import", "info", "search", "export", "replay", "simulate", "ope", "bench"} <= set(cli.COMMANDS)
