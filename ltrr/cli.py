"""The command line: ``python -m ltrr <command> ...``.

Each command is one function registered in :data:`COMMANDS` with
:func:`command`; adding ``search``, ``export`` or ``bench`` later means
adding one more decorated function. Expected failures (a missing file, a
file that is not a catalog, a bad argument) print one line on stderr and
return a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ltrr.catalog.importer import FIELDS, CatalogImportError, check_replaceable, import_file, parse_map_args
from ltrr.catalog.store import Catalog, CatalogError
from ltrr.config import default_catalog_path, ensure_catalog
from ltrr.errors import LtrrError
from ltrr.progress import ProgressFn, TqdmProgress, silent

EXIT_OK = 0
EXIT_FAILED = 1      # the command ran but could not do its job
EXIT_USAGE = 2       # bad arguments or unusable input


class CliError(Exception):
    """An expected failure, reported as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
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


def add_catalog_argument(parser: argparse.ArgumentParser) -> None:
    """``--catalog PATH``; when absent the command uses the configured default."""
    parser.add_argument("--catalog", type=Path, default=None, metavar="PATH",
                        help="catalog file (default: $LTRR_CATALOG or data/catalog.duckdb)")


def progress_for(args: argparse.Namespace) -> ProgressFn:
    """Progress bars on stderr when it is a terminal and --quiet is not given."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return silent
    return TqdmProgress(sys.stderr)


def close_progress(progress: ProgressFn) -> None:
    if isinstance(progress, TqdmProgress):
        progress.close()


def open_catalog(args: argparse.Namespace) -> Catalog:
    """The catalog named by --catalog, or the default one (generated on first use)."""
    if args.catalog is not None:
        return Catalog.open(args.catalog)
    progress = progress_for(args)
    try:
        path = ensure_catalog(default_catalog_path(), progress)
    finally:
        close_progress(progress)
    return Catalog.open(path)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n:,}" for kind, n in counts.items())


# --------------------------------------------------------------------------- commands


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    from ltrr.catalog.synthetic import DEFAULT_TRACKS

    parser.add_argument("--tracks", type=_positive_int, default=DEFAULT_TRACKS, metavar="N",
                        help=f"number of tracks (default {DEFAULT_TRACKS:,})")
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                        help="random seed; the same seed gives the same catalog (default 0)")
    add_catalog_argument(parser)


@command("build", "generate a synthetic catalog", _build_arguments)
def cmd_build(args: argparse.Namespace) -> int:
    """Generate a synthetic catalog, replacing any catalog at the path."""
    from ltrr.catalog.synthetic import generate

    path = args.catalog or default_catalog_path()
    check_replaceable(path)
    progress = progress_for(args)
    started = time.perf_counter()
    try:
        generate(path, tracks=args.tracks, seed=args.seed, progress=progress)
    finally:
        close_progress(progress)
    elapsed = time.perf_counter() - started
    catalog = Catalog.open(path)
    try:
        print(f"built {path} in {elapsed:.1f}s: {_counts_line(catalog.counts())}")
    finally:
        catalog.close()
    return EXIT_OK


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a .csv or .parquet file")
    add_catalog_argument(parser)
    parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                        help="use COLUMN for FIELD (repeatable); fields: " + ", ".join(FIELDS))


@command("import", "import a CSV or Parquet catalog file", _import_arguments)
def cmd_import(args: argparse.Namespace) -> int:
    """Import a real catalog file and print what was kept, repaired and dropped."""
    mapping = parse_map_args(args.map)
    path = args.catalog or default_catalog_path()
    progress = progress_for(args)
    try:
        report = import_file(args.file, path, mapping=mapping or None, progress=progress)
    finally:
        close_progress(progress)
    print(report.summary())
    return EXIT_OK


@command("info", "show a catalog's counts and metadata", add_catalog_argument)
def cmd_info(args: argparse.Namespace) -> int:
    """Counts per entity type plus the catalog's metadata (source, built_at, ...)."""
    catalog = open_catalog(args)
    try:
        meta = catalog.meta()
        counts = catalog.counts()
    finally:
        catalog.close()
    size_mb = catalog.path.stat().st_size / 1e6
    print(f"{'catalog':<16}{catalog.path} ({size_mb:,.1f} MB)")
    for key in ("source", "built_at", "seed", "tracks", "layout", "encoding", "rows_read",
                "rows_imported", "reference_date", "schema_version", "catalog_uid"):
        if key in meta:
            print(f"{key:<16}{meta[key]}")
    print("entities")
    for kind, n in counts.items():
        print(f"  {kind:<14}{n:>12,}")
    print(f"  {'total':<14}{sum(counts.values()):>12,}")
    return EXIT_OK


# --------------------------------------------------------------------------- simulate, ope, bench


def _catalog_path(args: argparse.Namespace) -> Path:
    """--catalog when given (it must exist), else the default catalog (generated on first use)."""
    if args.catalog is not None:
        if not args.catalog.is_file():
            raise CliError(f"no catalog at {args.catalog}: build one with "
                           f"`python -m ltrr build --catalog {args.catalog}`")
        return args.catalog
    progress = progress_for(args)
    try:
        return ensure_catalog(default_catalog_path(), progress)
    finally:
        close_progress(progress)


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def _simulate_arguments(parser: argparse.ArgumentParser) -> None:
    add_catalog_argument(parser)
    parser.add_argument("--steps", type=_positive_int, default=2000, metavar="N",
                        help="simulated interactions per policy (default 2000)")
    parser.add_argument("--policy", default="linucb", metavar="SPEC",
                        help="the policy under test (default linucb)")
    parser.add_argument("--compare", action="append", default=[], metavar="SPECS",
                        help="policies to compare with, comma separated, e.g. static:lexical,static:semantic,all "
                             "(repeatable)")
    parser.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                        help="report folder; engine states go to DIR/states/<policy> (default reports/)")
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--users", type=_positive_int, default=100, metavar="N", help="simulated users (default 100)")
    parser.add_argument("--arms", default=None, metavar="A,B", help="restrict the engine's arms (default: all)")
    parser.add_argument("--types", default=None, metavar="T,U", help="restrict the query types (default: all the "
                                                                     "catalog supports)")
    parser.add_argument("--click-model", choices=("pbm", "cascade"), default="pbm",
                        help="position-based (default) or cascade click model")
    parser.add_argument("--window", type=_positive_int, default=500, metavar="N",
                        help="steps in the 'last window' of the summary (default 500)")


@command("simulate", "run simulated users through policies and write learning curves", _simulate_arguments)
def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate users against the policy and the comparison policies; write CSVs, PNGs and report.md."""
    from ltrr.simulate import make_click_model, run_simulation, summary_table, target_checks, write_report
    from ltrr.simulate.runner import split_policies

    policies = split_policies(args.policy) + [p for text in args.compare for p in split_policies(text)]
    catalog = _catalog_path(args)
    progress = progress_for(args)
    try:
        result = run_simulation(catalog, policies, args.steps, args.seed, args.out / "states", progress=progress,
                                arms=_names(args.arms), n_users=args.users, query_types=_names(args.types),
                                click_model=make_click_model(args.click_model))
    finally:
        close_progress(progress)
    report = write_report(result, args.out, window=args.window)
    summary = summary_table(result.records, args.window)
    print(f"{result.steps:,} steps x {len(policies)} policies; last {min(args.window, result.steps)} steps:")
    for row in summary.itertuples(index=False):
        print(f"  {row.policy:<28} success@10 {100 * row.success_last:5.1f}%  MRR {row.mrr_last:.3f}  "
              f"candidates {row.candidates_last:5.1f}  arms {row.arms_last:.2f}  cum. regret {row.cum_regret:7.1f}")
    for check in target_checks(summary):
        print(f"  [{'ok' if check['passed'] else '--'}] {check['target']}: {check['value']}")
    print(f"report: {report}")
    return EXIT_OK


def _ope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", type=Path, required=True, metavar="FILE",
                        help="an exported log (.jsonl, .parquet, .csv) or a state folder")
    parser.add_argument("--policy", action="append", default=[], metavar="SPEC",
                        help="target arm set: all or static:ARM[,ARM...] (repeatable; default: each arm and all)")
    parser.add_argument("--confidence", type=float, default=0.95, metavar="C", help="interval level (default 0.95)")
    parser.add_argument("--ci", choices=("normal", "bootstrap"), default="normal", help="interval method")
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                        help="seed of the bootstrap and of DR's cross-fitting folds")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.md", help="also write a Markdown table")


@command("ope", "estimate arm sets' click success from a logged policy (off-policy evaluation)", _ope_arguments)
def cmd_ope(args: argparse.Namespace) -> int:
    """Replay, IPS, SNIPS and doubly robust estimates with confidence intervals."""
    from ltrr.evaluate.ope import OPEError, evaluate_log

    try:
        results = evaluate_log(args.log, args.policy or None, confidence=args.confidence, ci=args.ci, seed=args.seed)
    except OPEError as exc:
        raise CliError(str(exc)) from None
    lines = [f"Off-policy estimates from {args.log} ({results[0].n:,} searches, logging click rate "
             f"{results[0].logging_value:.3f}; {int(100 * args.confidence)}% {args.ci} intervals)", "",
             "| target | estimator | value | interval | searches with the set | ESS |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        for e in r.estimates:
            lines.append(f"| {r.target} | {e.estimator} | {e.value:.3f} | [{e.ci_low:.3f}, {e.ci_high:.3f}] | "
                         f"{r.matched:,} | {r.ess:,.1f} |")
    notes = [f"{r.target}: {w}" for r in results for w in r.warnings]
    text = "\n".join(lines + ([""] + [f"* {n}" for n in notes] if notes else []))
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return EXIT_OK


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    add_catalog_argument(parser)
    parser.add_argument("--queries", type=_positive_int, default=200, metavar="N",
                        help="measured searches (default 200, after 20 warm-up)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.md", help="also write the Markdown report")
    parser.add_argument("--arms", default=None, metavar="A,B", help="restrict the arms (default: all)")
    parser.add_argument("--policy", default="linucb", metavar="SPEC", help="engine policy (default linucb)")
    parser.add_argument("--cached-arms", default="semantic", metavar="A,B",
                        help="arms timed on their existing index instead of a fresh build (default semantic)")
    parser.add_argument("--no-builds", action="store_true", help="skip the index build timings")
    parser.add_argument("--ranker-training", choices=("background", "sync", "off"), default="background",
                        help="when the engine retrains its ranker during the run (default background, as in the app)")
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="S", help="random seed (default 0)")


@command("bench", "benchmark search latency, index builds, memory and library choices", _bench_arguments)
def cmd_bench(args: argparse.Namespace) -> int:
    """Print (and optionally write) the benchmark's Markdown report."""
    from ltrr.evaluate.bench import run_bench

    catalog = _catalog_path(args)
    progress = progress_for(args)
    try:
        result = run_bench(catalog, queries=args.queries, seed=args.seed, arms=_names(args.arms), policy=args.policy,
                           cached_arms=_names(args.cached_arms) or (), measure_builds=not args.no_builds,
                           ranker_training=args.ranker_training, progress=progress)
    finally:
        close_progress(progress)
    text = result.markdown()
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return EXIT_OK


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered command."""
    parser = _Parser(prog="python -m ltrr", description="ltrr: learning to rank and retrieve, for music search")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        cmd.add_arguments(sub.add_parser(cmd.name, help=cmd.help, description=cmd.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status (0 on success)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = "ltrr"
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
    except (ValueError, OSError) as exc:
        return _fail(name, _one_line(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail(name, "interrupted", 130)
    except Exception as exc:  # noqa: BLE001 (a bug: still one line, unless debugging)
        if os.environ.get("LTRR_DEBUG"):
            raise
        return _fail(name, f"internal error: {type(exc).__name__}: {_one_line(exc)} "
                           "(set LTRR_DEBUG=1 for the traceback)", EXIT_FAILED)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _fail(name: str, message: str, code: int) -> int:
    print(f"{name}: error: {' '.join(message.split())}", file=sys.stderr)
    return code


# Engine commands register themselves into COMMANDS on import.
from ltrr import cli_engine  # noqa: E402,F401
