"""Bad input from the command line: one plain line naming the command, exit status 2, and a hint
that names the command that would help (build or import)."""
from __future__ import annotations

import pytest

from ltrr.cli import main


def _fails(capsys, argv: list[str], code: int = 2) -> str:
    assert main(argv) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture()
def songs(tmp_path):
    path = tmp_path / "songs.csv"
    path.write_text("track_name,artist\nHalo,Beyoncé\n")
    return path


def test_a_csv_passed_as_catalog_suggests_import(songs, tmp_path, capsys):
    line = _fails(capsys, ["info", "--catalog", str(songs)])
    assert line.startswith("ltrr info: error:")
    assert f"python -m ltrr import {songs} --catalog {songs.with_suffix('.duckdb')}" in line
    assert "DuckDB" not in line.split("import")[0] and "read-only" not in line
    missing = tmp_path / "other.parquet"
    line = _fails(capsys, ["info", "--catalog", str(missing)])
    assert "no catalog at" in line and f"python -m ltrr import {missing}" in line


def test_a_missing_catalog_names_both_build_and_import(tmp_path, capsys):
    line = _fails(capsys, ["info", "--catalog", str(tmp_path / "mine.duckdb")])
    assert "no catalog at" in line and "python -m ltrr build" in line and "python -m ltrr import" in line


def test_a_file_that_is_not_duckdb_and_a_folder(tmp_path, capsys):
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"not a database at all")
    assert "is not a catalog (not a DuckDB file)" in _fails(capsys, ["info", "--catalog", str(notes)])
    assert "is a folder, not a catalog file" in _fails(capsys, ["info", "--catalog", str(tmp_path)])


@pytest.mark.parametrize("argv, what", [
    (["info", "--catalog", "..."], "stands for your catalog file"),
    (["search", "x", "--state", "..."], "stands for your state folder"),
    (["simulate", "--catalog", "\u2026"], "stands for your catalog file"),
])
def test_the_readme_placeholder_is_explained(argv, what, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)         # nothing may be created under a folder called "..."
    line = _fails(capsys, argv)
    assert what in line and "leave --" in line
    assert not any(tmp_path.iterdir())


def test_an_empty_query_is_refused_and_not_logged(tiny_catalog_path, tmp_path, capsys):
    state = tmp_path / "state"
    for query in ("", "   "):
        line = _fails(capsys, ["search", query, "--catalog", str(tiny_catalog_path), "--state", str(state)])
        assert line.startswith("ltrr search: error: empty query")
    assert not (state / "log" / "events.jsonl").exists()


@pytest.mark.parametrize("argv, message", [
    (["search", "halo", "--policy", "coverage:cost=abc"], "cost='abc' is not a number"),
    (["search", "halo", "--policy", "greedy"], "unknown policy 'greedy'"),
    (["search", "halo", "-k", "0"], "must be at least 1"),
])
def test_bad_values_exit_2_like_bad_arguments(argv, message, tiny_catalog_path, tmp_path, capsys):
    line = _fails(capsys, argv + ["--catalog", str(tiny_catalog_path), "--state", str(tmp_path / "s"),
                                  "--arms", "lexical"])
    assert line.startswith("ltrr search: error:") and message in line


@pytest.mark.parametrize("argv, prefix", [
    (["simulate", "--steps", "-5"], "ltrr simulate: error: argument --steps: must be at least 1"),
    (["-q", "study", "--seeds", "x"], "ltrr study: error: argument --seeds"),
    (["ope"], "ltrr ope: error:"),
    (["frobnicate"], "ltrr: error:"),
])
def test_argument_errors_name_the_command(argv, prefix, capsys):
    assert _fails(capsys, argv).startswith(prefix)


def test_ope_rejects_a_foreign_file_in_one_line(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    line = _fails(capsys, ["ope", "--log", str(notes)])
    assert "expected an exported log" in line and ".ndjson" in line
