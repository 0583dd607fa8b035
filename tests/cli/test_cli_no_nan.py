"""No command prints "nan" on small inputs: a tiny catalog, one search, a short simulation, OPE
on a log of a few searches (fast; the README test runs every README line on a bigger run)."""
from __future__ import annotations

import json
import re

from ltrr.cli import main

NAN = re.compile(r"\bnan\b", re.IGNORECASE)
ARMS = "lexical,fuzzy,popular"


def _out(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert not NAN.search(out), f"{argv} printed nan:\n{out}"
    return out


def test_small_inputs_print_no_nan(tiny_catalog_path, tmp_path, capsys):
    where = ["--catalog", str(tiny_catalog_path), "--state", str(tmp_path / "state"), "--arms", ARMS]
    _out(capsys, "info", "--catalog", str(tiny_catalog_path))
    _out(capsys, "search", "halo", *where)
    # Before any feedback the arms have no expectation: JSON null, never NaN (which is not JSON).
    response = json.loads(_out(capsys, "search", "kill bill", *where, "--json"),
                          parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(c)))
    assert response["query"] == "kill bill" and response["selection"]
    for fmt, name in (("parquet", "interactions.parquet"), ("ubi", "interactions.ubi.ndjson")):
        _out(capsys, "export", "--state", str(tmp_path / "state"), "--format", fmt, "--out", str(tmp_path / "x"))
        for ci in ("normal", "bootstrap"):
            printed = _out(capsys, "ope", "--log", str(tmp_path / "x" / name), "--ci", ci)
            assert "2 searches: too few for an interval" in printed
    _out(capsys, "simulate", "--catalog", str(tiny_catalog_path), "--steps", "8", "--policy", "coverage",
         "--compare", "static:lexical,all", "--arms", ARMS, "--out", str(tmp_path / "r"))
    _out(capsys, "snapshots", *where)
