"""State commands: ``snapshot``, ``snapshots``, ``restore`` and ``reset`` of a learning-state folder.

Each opens an engine on the state folder and calls its public API
(:meth:`~ltrr.engine.Engine.snapshot`, ``snapshots``, ``restore``, ``reset``),
so the CLI keeps a state exactly as the app and the Python API do. Slow arms
(semantic) open in the background and are cancelled on close: these commands
never wait for an index they do not use.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ltrr.cli.common import EXIT_OK, CliError, command, default_state_dir, engine_arguments, open_engine


def _state_folder(args: argparse.Namespace) -> Path:
    """The --state folder (or the default), which must already hold a state: these commands
    never create an empty one by mistake (a typo in --state would otherwise 'succeed')."""
    state = Path(args.state or default_state_dir())
    if not (state / "log").is_dir():
        raise CliError(f"no learning state at {state}: search or run the app with --state {state} first "
                       "(or pass the --state folder that holds one)")
    return state


def _on_engine(args: argparse.Namespace, call):
    """The state folder ``args`` names, and ``call(engine)``'s result on an engine opened on it
    (closed afterwards, whatever happens)."""
    state = _state_folder(args)
    engine = open_engine(args, background=True)
    try:
        return state, call(engine)
    finally:
        engine.close()


def _name_arguments(what: str):
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", metavar="NAME", help=what)
        engine_arguments(parser)
    return add


@command("snapshot", "copy a state folder's learning state (log and ranker) to a named snapshot",
         _name_arguments("snapshot name: letters, digits, '-', '_' or '.'"))
def cmd_snapshot(args: argparse.Namespace) -> int:
    """Save the learning state as snapshots/NAME inside the state folder."""
    state, path = _on_engine(args, lambda engine: engine.snapshot(args.name))
    print(f"saved snapshot {path.name} of {state} in {path}")
    return EXIT_OK


@command("snapshots", "list a state folder's snapshots, newest first", engine_arguments)
def cmd_snapshots(args: argparse.Namespace) -> int:
    """One snapshot name a line, newest first (or a line saying there is none)."""
    state, found = _on_engine(args, lambda engine: engine.snapshots())
    if not found:
        print(f"no snapshots in {state} (save one with `python -m ltrr snapshot NAME --state {state}`)")
    for name in found:
        print(name)
    return EXIT_OK


@command("restore", "make a named snapshot the live learning state (the replaced state is kept as a snapshot)",
         _name_arguments("the snapshot to restore (see `python -m ltrr snapshots`)"))
def cmd_restore(args: argparse.Namespace) -> int:
    """Restore snapshots/NAME; the state it replaces is kept as a reset-... snapshot."""
    state, kept = _on_engine(args, lambda engine: engine.restore(args.name))
    print(f"restored snapshot {args.name} into {state}; the state it replaced is kept as snapshot {kept.name}")
    return EXIT_OK


@command("reset", "forget everything a state folder learned (the old state is kept as a snapshot)",
         engine_arguments)
def cmd_reset(args: argparse.Namespace) -> int:
    """Start the state empty; the old log and models move to a reset-... snapshot."""
    state, kept = _on_engine(args, lambda engine: engine.reset())
    print(f"reset {state}; the previous state is kept as snapshot {kept.name} "
          f"(undo with `python -m ltrr restore {kept.name} --state {state}`)")
    return EXIT_OK
