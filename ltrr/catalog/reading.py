"""Reading a CSV or Parquet file into a DataFrame: encodings, separators, binary files.

This module's one job is turning the input file into a frame of strings (CSV)
or of the stored types (Parquet), with the encoding it used and the lines it
had to repair or skip; mapping and cleaning the columns is the importer's.
"""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from ltrr.errors import CatalogImportError


def _decode(raw: bytes) -> tuple[str, str, int]:
    """Bytes -> (text, encoding used, lines that had to be decoded on their own).

    UTF-8 (BOM or not) first; a file that is mostly UTF-8 but has a few lines
    in a legacy encoding (typical of concatenated exports) keeps UTF-8 and
    decodes only those lines as cp1252/latin-1; otherwise the whole file is
    cp1252, or latin-1 which accepts any byte.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", 0
        except UnicodeDecodeError:
            raise CatalogImportError("starts like UTF-16 text but does not decode as UTF-16") from None
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n")
    utf8_lines = broken = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            broken += 1
    # Valid multi-byte UTF-8 almost never happens by accident in a legacy file.
    if utf8_lines and utf8_lines >= broken:
        return "\n".join(_decode_line(line) for line in lines), "utf-8 (some lines cp1252)", broken
    try:
        return raw.decode("cp1252"), "cp1252", 0
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1", 0


def _decode_line(line: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return line.decode("latin-1")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > max(2, len(sample) // 100)


def _sniff_separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(path: Path) -> tuple[pd.DataFrame, str, int, int]:
    """Read a CSV as strings; returns (frame, encoding, lines decoded as
    cp1252 in a UTF-8 file, malformed lines skipped)."""
    raw = path.read_bytes()
    if not raw.strip():
        raise CatalogImportError(f"{path} is empty")
    try:
        text, encoding, broken = _decode(raw)
    except CatalogImportError as exc:
        raise CatalogImportError(f"{path} {exc}") from None
    if _looks_binary(text):
        raise CatalogImportError(f"{path} is a binary file, not a CSV or Parquet catalog")
    sep = _sniff_separator(text)
    options = dict(sep=sep, dtype=str, keep_default_na=False, na_filter=False, skipinitialspace=True)
    malformed = 0

    def skip(bad_line: list[str]) -> None:
        nonlocal malformed
        malformed += 1
        return None

    try:
        try:
            frame = pd.read_csv(io.StringIO(text), **options)
        except pd.errors.ParserError:
            # Only the python engine can count and skip malformed lines.
            frame = pd.read_csv(io.StringIO(text), engine="python", on_bad_lines=skip, **options)
    except pd.errors.EmptyDataError:
        raise CatalogImportError(f"{path} has no header row") from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise CatalogImportError(f"{path} is not a readable CSV: {one_line(exc)}") from None
    return frame, encoding, broken, malformed


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file into a DataFrame with the types it stores."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise CatalogImportError(f"{path} is not a readable Parquet file: {one_line(exc)}") from None


def is_parquet(path: Path) -> bool:
    """True for a .parquet/.pq name or a file that starts with the Parquet magic bytes."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with path.open("rb") as handle:
        return handle.read(4) == b"PAR1"


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    return " ".join(str(exc).split())[:200]
