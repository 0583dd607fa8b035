"""`snapshot`, `snapshots`, `restore` and `reset`: the Engine's state API from the command line."""
from __future__ import annotations

from pathlib import Path

from ltrr.log import read_events
from tests.cli.commands import run as _run

ARMS = "lexical,fuzzy,popular"


def _searches(state: Path) -> list[str]:
    return [e["query"] for e in read_events(state / "log" / "events.jsonl") if e.get("kind") == "search"]


def test_snapshot_reset_restore_round_trip(tiny_catalog_path, tmp_path, capsys):
    state = tmp_path / "state"
    where = ["--catalog", str(tiny_catalog_path), "--state", str(state), "--arms", ARMS]
    assert _run(capsys, "search", "halo", *where)[0] == 0
    assert _searches(state) == ["halo"]

    code, out, _ = _run(capsys, "snapshots", *where)
    assert code == 0 and out.startswith("no snapshots in")
    code, out, _ = _run(capsys, "snapshot", "before-demo", *where)
    assert code == 0 and "saved snapshot before-demo" in out
    assert _run(capsys, "snapshots", *where)[1].split() == ["before-demo"]

    assert _run(capsys, "search", "kill bill", *where)[0] == 0
    code, out, _ = _run(capsys, "reset", *where)
    assert code == 0 and "previous state is kept as snapshot reset-" in out
    assert _searches(state) == []                      # forgotten ...
    kept = out.split("kept as snapshot ")[1].split()[0]
    assert kept in _run(capsys, "snapshots", *where)[1].split()   # ... but kept

    code, out, _ = _run(capsys, "restore", "before-demo", *where)
    assert code == 0 and "restored snapshot before-demo" in out
    assert _searches(state) == ["halo"]                # the state as it was at the snapshot


def test_state_commands_fail_in_one_line(tiny_catalog_path, tmp_path, capsys):
    state = tmp_path / "state"
    where = ["--catalog", str(tiny_catalog_path), "--state", str(state), "--arms", ARMS]
    # No state yet: nothing is created by mistake.
    code, _, err = _run(capsys, "reset", *where)
    assert code == 2 and err.startswith("ltrr reset: error: no learning state at") and not state.exists()
    assert _run(capsys, "search", "halo", *where)[0] == 0
    for argv, message in ((["restore", "nope"], "no snapshot named 'nope'"),
                          (["snapshot", "../escape"], "looks like a path"),
                          (["snapshot"], "required")):
        code, _, err = _run(capsys, *argv, *where)
        assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert _run(capsys, "snapshot", "one", *where)[0] == 0
    code, _, err = _run(capsys, "snapshot", "one", *where)
    assert code == 2 and "already exists" in err
