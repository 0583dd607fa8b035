"""The Catalog page's import helpers: a preview read exactly as the importer reads, and plain errors.

No Streamlit here. The preview uses the importer's own reader (its encoding
detection and separator sniffing), so a UTF-16 or cp1252 file previews with
the same column names the import will see.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

PREVIEW_ROWS = 5


def preview(src: Path, display_name: str) -> tuple[list[str] | str, pd.DataFrame | None, str]:
    """(column names, first rows, encoding) of an uploaded file, or (error text, None, "").

    The error text names the file as the user called it, never the temp path.
    """
    from ltrr.catalog import reading
    from ltrr.errors import CatalogImportError

    try:
        if reading.is_parquet(src):   # the importer's own detection, so preview and import agree
            frame, encoding = reading.read_parquet(src), ""
        else:
            frame, encoding, _, _ = reading.read_csv(src)
    except CatalogImportError as exc:
        return plain_error(exc, src, display_name), None, ""
    columns = [str(c) for c in frame.columns]
    head = frame.head(PREVIEW_ROWS).copy()
    head.columns = columns
    return columns, head, encoding


def default_name(file_name: str) -> str:
    """A catalog name suggested from the uploaded file's name ("My Songs (2).csv" -> "my-songs-2")."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", Path(file_name).stem.lower()).strip("-_")[:64]
    return slug or "imported"


# Importer messages written for the command line, and what they mean on a page.
_CLI_WORDS = [
    (re.compile(r";?\s*name it with --map (\w+)=COLUMN"), r"; choose the column that holds the \1 below"),
    (re.compile(r"--map (\w+)=([^:]+): "), r"the \1 column “\2”: "),
    (re.compile(r" in --map"), ""),
]


def plain_error(exc: BaseException, src: Path, display_name: str) -> str:
    """An import error for people: the user's file name instead of the temp path, no CLI flags."""
    text = str(exc) or type(exc).__name__
    for path in {str(src), str(Path(src).resolve())}:
        text = text.replace(path, f"“{display_name}”")
    for pattern, replacement in _CLI_WORDS:
        text = pattern.sub(replacement, text)
    return text
