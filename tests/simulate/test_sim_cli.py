"""`python -m ltrr simulate`: writes the report, prints the summary, fails in one line on bad input."""
from __future__ import annotations

import pytest

from ltrr.cli import main
from ltrr.state import policy_folder


def test_simulate_writes_a_report(tiny_catalog_path, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["simulate", "--catalog", str(tiny_catalog_path), "--steps", "12", "--policy", "linucb",
                 "--compare", "static:lexical,all", "--arms", "lexical,fuzzy,popular", "--out", str(out),
                 "--window", "6", "--click-model", "cascade"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "12 steps x 3 policies; last 6 steps:" in printed
    for policy in ("linucb", "static:lexical", "all"):
        assert policy in printed
    assert (out / "report.md").is_file() and (out / "curves.png").is_file()
    assert sorted(p.name for p in (out / "states").iterdir()) == sorted(
        policy_folder(p) for p in ("linucb", "static:lexical", "all"))
    assert "CascadeClicks" in (out / "report.md").read_text()


def test_simulate_bad_input_is_one_line(tiny_catalog_path, tmp_path, capsys):
    cases = [
        (["--catalog", str(tmp_path / "missing.duckdb")], 2, "no catalog at"),
        (["--catalog", str(tiny_catalog_path), "--steps", "0"], 2, "must be at least 1"),
        (["--catalog", str(tiny_catalog_path), "--policy", "greedy"], 2, "unknown policy 'greedy'"),
        (["--catalog", str(tiny_catalog_path), "--types", "lyrics"], 2, "unknown query type"),
        (["--catalog", str(tiny_catalog_path), "--world", "fifth"], 2, "invalid choice: 'fifth'"),
        (["--catalog", str(tiny_catalog_path), "--types", "playlist_tracks"], 2,
         "the default world never asks query type(s) playlist_tracks"),
    ]
    for args, code, message in cases:
        assert main(["simulate", "--out", str(tmp_path / "r"), *args]) == code
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("option", ["--release-share", "--retry-share"])
def test_study_rejects_a_share_outside_0_1_in_one_line(tiny_catalog_path, tmp_path, capsys, option):
    for value, message in (("1.5", "must lie between 0 and 1"), ("lots", "expected a number between 0 and 1")):
        code = main(["study", "--catalog", str(tiny_catalog_path), option, value, "--out", str(tmp_path)])
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
    assert not any(tmp_path.iterdir())


def test_simulate_runs_in_the_second_world(tiny_catalog_path, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["simulate", "--catalog", str(tiny_catalog_path), "--steps", "12", "--policy", "static:lexical",
                 "--arms", "lexical,fuzzy,popular", "--out", str(out), "--window", "6", "--world", "second",
                 "--types", "playlist_tracks,artist_title"])
    assert code == 0
    report = (out / "report.md").read_text()
    # The second world's click model and its intent nobody asks in the default world.
    assert "CascadeClicks(p_relevant=0.88" in report and "'world': 'second'" in report
    assert "retry_share = 0.3" in report
    assert "playlist_tracks" in report


def test_study_names_its_world_choices(tiny_catalog_path, tmp_path, capsys):
    assert main(["study", "--catalog", str(tiny_catalog_path), "--world", "fifth", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'fifth' (choose from 'default', 'second', 'third', 'fourth')" in err[0]
    assert not any(tmp_path.iterdir())
