"""What every command shares: the registry, the one-line error, argument types
and the catalog/progress helpers.

Command modules import this module only; :mod:`ltrr.cli` imports the
command modules (which register themselves) and runs them, so nothing
imports back up the package.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ltrr.catalog.store import Catalog
from ltrr.config import default_catalog_path, default_state_dir, ensure_catalog
from ltrr.progress import ProgressFn, TqdmProgress, silent
from ltrr.simulate.world import DEFAULT as DEFAULT_WORLD, WORLDS

if TYPE_CHECKING:
    from ltrr.engine import Engine

EXIT_OK = 0
EXIT_FAILED = 1      # the command ran but could not do its job
EXIT_USAGE = 2       # bad arguments or unusable input


class CliError(Exception):
    """An expected failure, reported as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so every
    error reaches the user as the same single line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see `{self.prog} --help`)")


@dataclass(frozen=True)
class Command:
    """One subcommand: its help line, its arguments and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None):
    """Register the decorated ``run(args) -> exit code`` function as a subcommand."""

    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = Command(name, help, arguments, run)
        return run

    return register


# --------------------------------------------------------------------------- shared helpers


# What the README writes where the reader puts their own path ("--catalog ...").
PLACEHOLDERS = frozenset({"...", "\u2026"})
# Files people pass as a catalog that are tables to import, not catalogs.
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".parquet", ".json", ".jsonl", ".xlsx"})
DUCKDB_MAGIC = b"DUCK"          # bytes 8-11 of every DuckDB database file


def _path_argument(option: str, what: str, example: str, default: str):
    """An argparse type for a path option that refuses the README's ``...`` placeholder."""
    def parse(text: str) -> Path:
        if text.strip() in PLACEHOLDERS:
            raise argparse.ArgumentTypeError(
                f"{text!r} stands for your {what} in the README: give a path such as {example}, "
                f"or leave {option} out to use the default ({default})")
        return Path(text)
    return parse


# argparse types of ``--catalog`` (a file) and ``--state`` (a folder).
catalog_argument = _path_argument("--catalog", "catalog file", "data/catalog.duckdb", "$LTRR_CATALOG or data/catalog.duckdb")
state_argument = _path_argument("--state", "state folder", "data/state", "$LTRR_STATE or data/state")


def add_catalog_argument(parser: argparse.ArgumentParser) -> None:
    """``--catalog PATH``; when absent the command uses the configured default."""
    parser.add_argument("--catalog", type=catalog_argument, default=None, metavar="PATH",
                        help="catalog file (default: $LTRR_CATALOG or data/catalog.duckdb)")


def import_command(table: Path) -> str:
    """The command that turns a CSV/Parquet file into a catalog beside it."""
    return f"`python -m ltrr import {table} --catalog {table.with_suffix('.duckdb')}`"


def check_catalog(path: Path) -> Path:
    """`path` when it is a catalog file; otherwise a :class:`CliError` that says what to run:
    ``build`` for a synthetic catalog, ``import`` for a CSV or Parquet file."""
    is_table = path.suffix.lower() in TABLE_SUFFIXES
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a catalog file (a catalog is one .duckdb file)")
    if not path.is_file():
        if is_table:
            raise CliError(f"no catalog at {path} (and a {path.suffix} file is a table to import, not a catalog: "
                           f"import it with {import_command(path)})")
        raise CliError(f"no catalog at {path}: build a synthetic one with `python -m ltrr build --catalog {path}`, "
                       f"or import a CSV or Parquet file with `python -m ltrr import FILE --catalog {path}`")
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", EXIT_FAILED) from None
    if header[8:12] != DUCKDB_MAGIC:
        if is_table:
            raise CliError(f"{path} is a {path.suffix} file, not a catalog: import it first with "
                           f"{import_command(path)} and pass --catalog {path.with_suffix('.duckdb')}")
        raise CliError(f"{path} is not a catalog (not a DuckDB file): build one with `python -m ltrr build "
                       f"--catalog FILE.duckdb` or import a CSV or Parquet file with `python -m ltrr import`")
    return path


def progress_for(args: argparse.Namespace) -> ProgressFn:
    """Progress bars on stderr when it is a terminal and --quiet is not given."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return silent
    return TqdmProgress(sys.stderr)


def close_progress(progress: ProgressFn) -> None:
    """Finish a progress bar made by :func:`progress_for` (no-op for silent progress)."""
    if isinstance(progress, TqdmProgress):
        progress.close()


def open_catalog(args: argparse.Namespace) -> Catalog:
    """The catalog named by --catalog, or the default one (generated on first use)."""
    if args.catalog is not None:
        return Catalog.open(check_catalog(args.catalog))
    progress = progress_for(args)
    try:
        path = ensure_catalog(default_catalog_path(), progress)
    finally:
        close_progress(progress)
    return Catalog.open(path)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (underscores allowed, as in 50_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def share(text: str) -> float:
    """argparse type: a number between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1, got {value:g}")
    return value


def counts_line(counts: dict[str, int]) -> str:
    """``track 5,000, artist 417, ...`` for a catalog's counts per entity type."""
    return ", ".join(f"{kind} {n:,}" for kind, n in counts.items())


def catalog_path(args: argparse.Namespace) -> Path:
    """--catalog when given (it must exist), else the default catalog (generated on first use)."""
    if args.catalog is not None:
        return check_catalog(args.catalog)
    progress = progress_for(args)
    try:
        return ensure_catalog(default_catalog_path(), progress)
    finally:
        close_progress(progress)


def names(text: str | None) -> list[str] | None:
    """A comma-separated option as a list of names (None when absent or empty)."""
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def add_state_argument(parser: argparse.ArgumentParser) -> None:
    """``--state DIR``; when absent the command uses the configured default."""
    parser.add_argument("--state", type=state_argument, default=None, metavar="DIR",
                        help="learning-state folder (default: $LTRR_STATE or data/state)")


def engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every engine command takes: catalog, state, policy, seed, arms."""
    add_catalog_argument(parser)
    add_state_argument(parser)
    parser.add_argument("--policy", default="coverage", help="coverage[:cost=L] | linucb | lints | thompson | epsilon | all[:budget=N] | static:ARM[=N],...")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--arms", default=None, help="comma-separated arms to open (default: all)")


def open_engine(args: argparse.Namespace, background: bool = False) -> "Engine":
    """An engine for a command: default catalog generated on first use, slow arms opened in the foreground."""
    from ltrr.engine import Engine

    progress = progress_for(args)
    try:
        catalog = (check_catalog(args.catalog) if args.catalog is not None
                   else ensure_catalog(default_catalog_path(), progress))
        arms = names(getattr(args, "arms", None))
        return Engine.open(catalog=catalog, state=args.state or default_state_dir(), policy=args.policy,
                           seed=args.seed, progress=progress, arms=arms, background=background)
    finally:
        close_progress(progress)


def add_world_arguments(parser: argparse.ArgumentParser) -> None:
    """``--world``, ``--retry-share`` and ``--reformulate-share``, as ``simulate`` and ``study`` both take them."""
    parser.add_argument("--world", choices=tuple(WORLDS), default="default",
                        help="the simulated world: its users' intent mix, typing, typos, click model and "
                             "retries (default: default)")
    parser.add_argument("--retry-share", type=share, default=None, metavar="P",
                        help="chance that a user a search failed searches again by the target's name "
                             f"(default: the world's, {DEFAULT_WORLD.retry_share:g} in the default world)")
    parser.add_argument("--reformulate-share", type=share, default=None, metavar="P",
                        help="chance that a user a broad ask failed (a mood or activity, an ambiguous word) "
                             "rewords it more specifically in the same session, which teaches the memory what "
                             f"the ask meant (default: the world's, {DEFAULT_WORLD.reformulate_share:g} in the "
                             "default world)")
