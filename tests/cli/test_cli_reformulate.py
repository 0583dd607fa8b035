"""``--reformulate-share`` on ``ltrr simulate`` and ``ltrr study`` (issue 27): the chance that a simulated
user a broad ask failed rewords it in the same session; the world's setting when absent, bad values
refused in one line with exit status 2."""
from __future__ import annotations

import re

import pytest

from ltrr.cli import main
from ltrr.simulate.world import get_world

SIM = ["--steps", "12", "--policy", "static:lexical", "--arms", "lexical,fuzzy,popular", "--window", "6"]


def _share_in(report: str) -> float:
    """The reformulate_share the report's settings line says the run used."""
    line = next(line for line in report.splitlines() if line.startswith("Settings:"))
    return float(re.search(r"reformulate_share = ([0-9.]+),", line).group(1))


@pytest.mark.parametrize("command", ["simulate", "study"])
@pytest.mark.parametrize("value, message", [("1.5", "must lie between 0 and 1"), ("-0.1", "must lie between 0 and 1"),
                                            ("often", "expected a number between 0 and 1")])
def test_a_bad_share_exits_2_in_one_plain_line(command, value, message, tiny_catalog_path, tmp_path, capsys):
    code = main([command, "--catalog", str(tiny_catalog_path), "--reformulate-share", value,
                 "--out", str(tmp_path / "out")])
    assert code == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out + err
    assert lines[0].startswith(f"ltrr {command}: error: argument --reformulate-share") and message in lines[0]
    assert not (tmp_path / "out").exists(), "nothing ran"


@pytest.mark.parametrize("given, world", [(["--reformulate-share", "0.7"], "default"), ([], "default"),
                                          ([], "second"), (["--reformulate-share", "0"], "second")])
def test_simulate_runs_with_the_given_share_or_the_worlds(given, world, tiny_catalog_path, tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["-q", "simulate", "--catalog", str(tiny_catalog_path), *SIM, "--out", str(out),
                 "--world", world, *given])
    assert code == 0
    expected = float(given[1]) if given else get_world(world).reformulate_share
    assert _share_in((out / "report.md").read_text()) == expected


def test_study_hands_the_share_to_its_settings(tiny_catalog_path, tmp_path, monkeypatch, capsys):
    import ltrr.simulate.study as study

    seen = []

    def fake_run_study(settings, out_dir, address=None, progress=None):
        seen.append(settings)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.md").write_text("report\n")
        return {}

    monkeypatch.setattr(study, "run_study", fake_run_study)
    for given, expected in ((["--reformulate-share", "0.25"], 0.25), ([], get_world("default").reformulate_share)):
        assert main(["study", "--catalog", str(tiny_catalog_path), "--out", str(tmp_path / "s"), *given]) == 0
        assert seen[-1].reformulate_share == expected


def test_the_option_is_described_in_the_help(capsys):
    main(["simulate", "--help"])
    assert "--reformulate-share" in capsys.readouterr().out
