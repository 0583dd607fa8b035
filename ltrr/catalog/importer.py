"""Importing a real catalog from a CSV or Parquet file.

One row of the input is one track, possibly repeated once per playlist it
belongs to (the "30000 Spotify Songs" layouts are track x playlist
memberships). The importer reads the file (:mod:`ltrr.catalog.reading`),
maps its columns to the catalog's fields (:mod:`ltrr.catalog.columns`: a
preset recognised from the header, a generic guess, or ``--map
FIELD=COLUMN``), cleans every field (:mod:`ltrr.catalog.cleaning`, which
counts every value it sets to NULL and every row it drops), de-duplicates
tracks and builds artists, albums, playlists and memberships
(:mod:`ltrr.catalog.tables`), then publishes the catalog atomically through
:class:`CatalogWriter`. What it did is returned as an :class:`ImportReport`.
"""
from __future__ import annotations

from pathlib import Path

from ltrr.catalog.cleaning import clean_rows
from ltrr.catalog.columns import resolve_mapping
from ltrr.catalog.import_report import ImportReport
from ltrr.catalog.reading import is_parquet, read_csv, read_parquet
from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.catalog.tables import assign_ids, build_tables
from ltrr.catalog.writer import CatalogWriter
from ltrr.errors import CatalogImportError
from ltrr.progress import ProgressFn, silent


# --------------------------------------------------------------------------- destination


def check_replaceable(dest: Path, src: Path | None = None) -> None:
    """Refuse to write a catalog over the input or over a file that is not a
    DuckDB database: a slip in ``--catalog`` must not destroy someone's data."""
    if src is not None and dest.exists() and dest.resolve() == src.resolve():
        raise CatalogImportError(f"the catalog path {dest} is the file being imported")
    if dest.is_dir():
        raise CatalogImportError(f"the catalog path {dest} is a directory")
    if dest.exists() and dest.stat().st_size > 0:
        with dest.open("rb") as handle:
            if handle.read(12)[8:12] != b"DUCK":
                raise CatalogImportError(f"refusing to replace {dest}: it is not a DuckDB catalog")


# --------------------------------------------------------------------------- entry point


def import_file(src: str | Path, dest: str | Path, mapping: dict[str, str] | None = None,
                progress: ProgressFn = silent) -> ImportReport:
    """Import a CSV or Parquet catalog file into a new catalog at `dest`.

    `mapping` (field -> column) overrides or supplies the column mapping; see
    :data:`ltrr.catalog.columns.FIELDS`. Raise CatalogImportError, with a
    one-line message, when the file cannot be imported at all; row-level
    problems are counted in the report.
    The catalog at `dest` is replaced only when the import succeeds.
    """
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise CatalogImportError(f"no such file: {src}")
    check_replaceable(dest, src)
    steps = 5
    label = f"importing {src.name}"
    progress(0, steps, label)

    if is_parquet(src):
        frame, encoding, broken, malformed = read_parquet(src), "parquet", 0, 0
    else:
        frame, encoding, broken, malformed = read_csv(src)
    frame.columns = [str(c) for c in frame.columns]
    progress(1, steps, label)

    try:
        fields, preset = resolve_mapping(list(frame.columns), mapping)
    except CatalogImportError as exc:
        raise CatalogImportError(f"{src}: {exc}") from None
    report = ImportReport(source=src, dest=dest, layout=preset.name if preset else "generic",
                          encoding=encoding, mapping=fields)
    report.rows_read = len(frame) + malformed
    report.count("wrong number of fields (row dropped)", malformed)
    report.count("broken encoding (line decoded as cp1252, kept)", broken)
    if len(frame) == 0:
        raise CatalogImportError(f"{src} has a header but no rows")

    rows = clean_rows(frame, fields, report)
    if rows.empty:
        raise CatalogImportError(f"{src}: none of its {len(frame):,} rows has both a title and an artist")
    rows = assign_ids(rows)
    report.rows_imported = len(rows)
    progress(2, steps, label)

    tables = build_tables(rows, preset.curator if preset else None, report)
    progress(3, steps, label)

    with CatalogWriter(dest) as writer:
        for table, data in tables.items():
            writer.append(table, data)
        writer.finish(source=f"import:{src.name}", layout=report.layout, encoding=encoding,
                      rows_read=report.rows_read, rows_imported=report.rows_imported)
    progress(4, steps, label)

    counts = {"track": len(tables["tracks"]), "artist": len(tables["artists"]),
              "album": len(tables["albums"]), "playlist": len(tables["playlists"])}
    report.entities = {t: counts.get(t, 0) for t in ENTITY_TYPES}
    report.memberships = len(tables["playlist_tracks"])
    progress(steps, steps, label)
    return report

