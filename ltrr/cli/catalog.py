"""Catalog commands: ``build`` (synthetic), ``import`` (a real file), ``info``."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from ltrr.catalog.columns import FIELDS, parse_map_args
from ltrr.catalog.importer import check_replaceable, import_file
from ltrr.catalog.store import Catalog
from ltrr.cli.common import (EXIT_OK, add_catalog_argument, close_progress, command, counts_line, non_negative_int,
                             open_catalog, positive_int, progress_for)
from ltrr.config import default_catalog_path


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    from ltrr.catalog.synthetic import DEFAULT_TRACKS

    parser.add_argument("--tracks", type=positive_int, default=DEFAULT_TRACKS, metavar="N",
                        help=f"number of tracks (default {DEFAULT_TRACKS:,})")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
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
        print(f"built {path} in {elapsed:.1f}s: {counts_line(catalog.counts())}")
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
