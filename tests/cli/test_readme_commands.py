"""Every ``python -m ltrr ...`` line of README.md's "## Command line" block, run as written
(placeholders filled, sizes shrunk), so that the README cannot drift from the code.

Two tests: a fast one parses every README line with the real argument parser (an option the
README shows and the CLI lacks fails here) and checks that each command is mapped below; a slow
one runs them all in a fresh folder, in README order, on a small synthetic catalog built by the
README's own `build` line: export in every format, then ope and replay on each export.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Callable

import pytest

from ltrr import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FAST_ARMS = "lexical,fuzzy,popular"      # the semantic arm would load a transformer model
EXPORT_FORMATS = ("parquet", "csv", "jsonl", "ubi")
EXPORT_NAMES = {"parquet": "interactions.parquet", "csv": "interactions.csv", "jsonl": "interactions.jsonl",
                "ubi": "interactions.ubi.ndjson"}
CATALOG, STATE = "data/catalog.duckdb", "data/state"     # what `...` stands for in the README
NAN = re.compile(r"\bnan\b", re.IGNORECASE)


def readme_commands() -> list[list[str]]:
    """The README's command lines as argv lists (after ``python -m ltrr``): comments dropped, and
    the optional ``[...]`` parts, which the reader may leave out, left out."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Command line", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's '## Command line' section has no ```bash block"
    commands = []
    for line in block.group(1).splitlines():
        if not line.startswith("python -m ltrr "):
            continue
        words, depth = [], 0
        for word in shlex.split(line, comments=True)[3:]:
            opened = depth > 0 or word.startswith("[")
            depth += word.count("[") - word.count("]")
            if not opened:
                words.append(word)
        commands.append(words)
    assert commands, "no `python -m ltrr ...` line in README's command block"
    return commands


def fill_placeholders(argv: list[str]) -> list[str]:
    """``--catalog ...`` / ``--state ...`` -> the catalog the README's build line makes and the
    default state folder (the README's export line names data/state explicitly)."""
    out = list(argv)
    for i, word in enumerate(out):
        if word == "..." and i > 0:
            out[i] = {"--catalog": CATALOG, "--state": STATE}.get(out[i - 1], word)
        if word == "NAME":
            out[i] = "before-demo"
    assert "..." not in out, f"a `...` the test does not know how to fill: {argv}"
    return out


def option(argv: list[str], name: str, value: str) -> list[str]:
    """`argv` with option `name` set to `value` (replaced where the README gives it, else added)."""
    out = list(argv)
    if name in out:
        out[out.index(name) + 1] = value
    else:
        out += [name, value]
    return out


def _small(argv: list[str], **sizes: str) -> list[str]:
    for name, value in sizes.items():
        argv = option(argv, "--" + name.replace("_", "-"), value)
    return argv


# How each README command is run here, and why it differs from the README's line (if it does).
# Each returns the argv to run; a README command missing here fails the fast test.
ADAPT: dict[str, Callable[[list[str]], list[str]]] = {
    # 50,000 tracks take a minute; 2,000 exercise the same code.
    "build": lambda a: option(a, "--tracks", "2000"),
    # The README's file is the public Spotify CSV the reader downloads; the test writes a small file
    # in the same layout at the path the line names (spotify_csv below), so the line runs unchanged.
    "import": lambda a: a,
    "info": lambda a: a,
    # Fast arms only: the semantic arm would download and load a model.
    "search": lambda a: option(a, "--arms", FAST_ARMS),
    "export": lambda a: a,
    "replay": lambda a: option(a, "--arms", FAST_ARMS),
    "ope": lambda a: a,
    "simulate": lambda a: _small(a, steps="30", users="20", arms=FAST_ARMS),
    # One seed also shows the one-seed report (no interval, said in words); 40 steps, no drift.
    "study": lambda a: _small(a, seeds="1", steps="40", tune_steps="40", arms=FAST_ARMS),
    "bench": lambda a: _small(a, queries="20", arms=FAST_ARMS) + ([] if "--no-builds" in a else ["--no-builds"]),
    # The state commands, should the README show them.
    "snapshot": lambda a: option(a, "--arms", FAST_ARMS),
    "snapshots": lambda a: option(a, "--arms", FAST_ARMS),
    "restore": lambda a: option(a, "--arms", FAST_ARMS),
    "reset": lambda a: option(a, "--arms", FAST_ARMS),
}


def with_every_format(commands: list[list[str]]) -> list[list[str]]:
    """The README's commands, plus (right after the README's last line of that command) an export,
    an ope and a replay for each format the README leaves out: the README promises that ope and
    replay read every export, so the test runs them all even where the README shows one."""
    out = [list(c) for c in commands]
    for name in ("export", "replay", "ope"):
        lines = [c for c in out if c[0] == name]
        assert lines, f"README shows no `{name}` line"
        if name == "export":
            done = {c[c.index("--format") + 1] if "--format" in c else "parquet" for c in lines}
            extra = [option(lines[0], "--format", fmt) for fmt in EXPORT_FORMATS if fmt not in done]
        else:
            done = {Path(c[c.index("--log") + 1]).name for c in lines if "--log" in c}
            missing = [fmt for fmt in EXPORT_FORMATS if EXPORT_NAMES[fmt] not in done]
            extra = [option(lines[0], "--log", f"exports/{EXPORT_NAMES[fmt]}") for fmt in missing]
            if name == "replay":    # each into its own new state: replay needs an empty one
                extra = [option(c, "--state", f"new-state-{fmt}") for c, fmt in zip(extra, missing)]
        at = max(i for i, c in enumerate(out) if c[0] == name) + 1
        out[at:at] = extra
    return out


def test_every_readme_command_parses_and_is_mapped():
    """Fast: each README line is a valid command line for the real parser, as written."""
    parser = cli.build_parser()
    for argv in with_every_format(readme_commands()):
        assert argv[0] in cli.COMMANDS, f"README shows an unknown command: {argv}"
        assert argv[0] in ADAPT, f"README command {argv[0]!r} is not run by tests/cli/test_readme_commands.py"
        try:
            parser.parse_args(fill_placeholders(argv))
        except cli.CliError as exc:
            pytest.fail(f"README line `python -m ltrr {' '.join(argv)}` does not parse: {exc}")


def spotify_csv(path: Path, rows: int = 40) -> Path:
    """A small file in the layout of the public Spotify CSV (the columns the README lists)."""
    import pandas as pd

    frame = pd.DataFrame({
        "track_id": [f"t{i}" for i in range(rows)], "track_name": [f"Song {i}" for i in range(rows)],
        "track_artist": [f"Artist {i % 7}" for i in range(rows)], "track_popularity": [i % 100 for i in range(rows)],
        "track_album_id": [f"a{i % 9}" for i in range(rows)], "track_album_name": [f"Album {i % 9}" for i in range(rows)],
        "track_album_release_date": ["2019-06-01"] * rows, "playlist_name": [f"Mix {i % 3}" for i in range(rows)],
        "playlist_id": [f"p{i % 3}" for i in range(rows)], "playlist_genre": ["pop", "rock", "rap"] * (rows // 3)
        + ["pop"] * (rows % 3), "playlist_subgenre": ["indie"] * rows,
    })
    frame.to_csv(path, index=False)
    return path


def _learn_something(catalog: Path, state: Path, searches: int = 40) -> None:
    """Searches with clicks through the Engine API, so the exports hold feedback for ope and
    replay (the CLI's search prints results but gives no feedback)."""
    from ltrr.engine import Engine

    words = ["love", "night", "song", "blue", "fire", "heart", "dream", "rain", "gold", "wild"]
    engine = Engine.open(catalog=catalog, state=state, arms=FAST_ARMS.split(","), background=False)
    try:
        for i in range(searches):
            resp = engine.search(words[i % len(words)] + ("" if i < len(words) else f" {i}"),
                                 context={"user_id": f"u{i % 5}"}, k=10)
            if resp.results:
                engine.feedback(resp.id, resp.results[i % min(3, len(resp.results))].entity_id, action="click")
            else:
                engine.feedback(resp.id, action="skip")
    finally:
        engine.close()


@pytest.mark.slow
def test_every_readme_command_runs(tmp_path, monkeypatch, capsys):
    """Slow (a study and a bench, a minute or two): every README command in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LTRR_CATALOG", str(tmp_path / CATALOG))
    monkeypatch.setenv("LTRR_STATE", str(tmp_path / STATE))
    ran: list[list[str]] = []
    learned = False
    for readme_argv in with_every_format([fill_placeholders(a) for a in readme_commands()]):
        name = readme_argv[0]
        if name == "import":
            Path(readme_argv[1]).parent.mkdir(parents=True, exist_ok=True)
            spotify_csv(Path(readme_argv[1]))
        if name == "export" and not learned:
            state = Path(readme_argv[readme_argv.index("--state") + 1]) if "--state" in readme_argv else Path(STATE)
            _learn_something(tmp_path / CATALOG, state)
            learned = True
        argv = ADAPT[name](readme_argv)
        code = cli.main(["-q", *argv])
        out, err = capsys.readouterr()
        assert code == 0, f"`python -m ltrr {' '.join(argv)}` exited {code}: {err.strip()}"
        assert not NAN.search(out), f"`python -m ltrr {' '.join(argv)}` printed nan:\n{out}"
        assert "Traceback" not in out + err
        ran.append(argv)
    for fmt in EXPORT_FORMATS:
        assert (tmp_path / "exports" / EXPORT_NAMES[fmt]).is_file()
        for name in ("ope", "replay"):
            assert any(a[0] == name and a[a.index("--log") + 1].endswith(EXPORT_NAMES[fmt]) for a in ran), (name, fmt)
    replayed = [Path(a[a.index("--state") + 1]) for a in ran if a[0] == "replay"]
    assert all((p / "log" / "events.jsonl").stat().st_size > 0 for p in replayed)
    assert {"build", "search", "simulate", "study", "bench"} <= {a[0] for a in ran}
