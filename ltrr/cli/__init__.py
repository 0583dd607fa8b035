"""The command line: ``python -m ltrr <command> ...``.

Each command is one function registered in :data:`COMMANDS` with
:func:`~ltrr.cli.common.command`, in one module per command group
(:mod:`~ltrr.cli.catalog`, :mod:`~ltrr.cli.engine`, :mod:`~ltrr.cli.state`,
:mod:`~ltrr.cli.simulate`, :mod:`~ltrr.cli.study`, :mod:`~ltrr.cli.bench`); the groups import only :mod:`ltrr.cli.common`, and
this module imports the groups, so there is no import cycle. Expected
failures (a missing file, a file that is not a catalog, a bad argument) print
one line on stderr, ``ltrr COMMAND: error: ...``, and return a non-zero exit
code, never a traceback: 2 for bad input (arguments, values, files that are
not what the command needs), 1 when the command could not do its job.
"""
from __future__ import annotations

import argparse
import os
import sys

from ltrr.catalog.store import CatalogError
from ltrr.cli import bench, catalog, engine, simulate, state, study  # noqa: F401  (each registers its commands)
from ltrr.cli.common import (COMMANDS, EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, Command, Parser,
                             add_catalog_argument, command)
from ltrr.errors import CatalogImportError, LtrrError

__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "CliError", "Command", "add_catalog_argument",
           "build_parser", "command", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered command."""
    parser = Parser(prog="python -m ltrr", description="ltrr: learning to rank and retrieve, for music search")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        cmd.add_arguments(sub.add_parser(cmd.name, help=cmd.help, description=cmd.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status (0 on success)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Named before parsing, so that a bad argument reads "ltrr simulate: error: ..." too.
    name = f"ltrr {_command_in(argv)}" if _command_in(argv) else "ltrr"
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise CliError("no command given; commands: " + ", ".join(COMMANDS)
                           + " (see `python -m ltrr --help`)")
        name = f"ltrr {args.command}"
        return COMMANDS[args.command].run(args)
    except SystemExit as exc:          # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except CliError as exc:
        return _fail(name, str(exc), exc.code)
    except (CatalogImportError, CatalogError, LtrrError) as exc:
        return _fail(name, str(exc), EXIT_USAGE)
    except BrokenPipeError:
        return _closed_stdout()
    except ValueError as exc:
        # The library raises ValueError for a value it cannot use (a policy spec, a query type, an
        # arm name), each naming what would be valid: bad input, the same status as argparse's.
        return _fail(name, _one_line(exc), EXIT_USAGE)
    except OSError as exc:
        return _fail(name, _one_line(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail(name, "interrupted", 130)
    except Exception as exc:  # noqa: BLE001 (a bug: still one line, unless debugging)
        if os.environ.get("LTRR_DEBUG"):
            raise
        return _fail(name, f"internal error: {type(exc).__name__}: {_one_line(exc)} "
                           "(set LTRR_DEBUG=1 for the traceback)", EXIT_FAILED)


def _command_in(argv: list[str]) -> str | None:
    """The command named in `argv` (the first word that is one), or None."""
    for word in argv:
        if word in COMMANDS:
            return word
        if not word.startswith("-"):
            return None
    return None


def _closed_stdout() -> int:
    """The reader of stdout went away (``... | head``): stop quietly, as other tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())   # Python's flush at exit would fail again
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_FAILED


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _fail(name: str, message: str, code: int) -> int:
    print(f"{name}: error: {' '.join(message.split())}", file=sys.stderr)
    return code
