"""Cleaning an input file's mapped columns into the catalog's fields.

Text is normalised (NFC, no control characters, single spaces), numbers are
parsed and range-checked, flags and release dates are parsed. Nothing is
dropped silently: a row loses an optional field that cannot be parsed (the
field becomes NULL) and is dropped only when it has no title or no artist;
both are counted by reason in the :class:`ImportReport`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ltrr.catalog.import_report import ImportReport
from ltrr.catalog.reading import one_line
from ltrr.errors import CatalogImportError


_NUMERIC_FIELDS = ("popularity", "duration_sec", "duration_ms", "danceability", "energy",
                   "valence", "tempo")
_TEXT_FIELDS = ("title", "artist", "album", "genre", "subgenre", "playlist",
                "track_id", "album_id", "playlist_id")
# Plausible ranges: a value outside is treated like an unparseable one.
_RANGES = {"popularity": (0, 100), "duration_sec": (0, 24 * 3600), "duration_ms": (0, 24 * 3600 * 1000),
           "danceability": (0, 1), "energy": (0, 1), "valence": (0, 1), "tempo": (0, 400)}
_CONTROL_RE = r"[\x00-\x1f\x7f-\x9f]"


def _text(series: pd.Series) -> pd.Series:
    """NFC, control characters to spaces, single spaces, stripped; '' when missing."""
    s = series.astype("string").fillna("")
    s = s.str.normalize("NFC").str.replace(_CONTROL_RE, " ", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip().astype(object)


def _number(series: pd.Series, name: str, report: ImportReport) -> pd.Series:
    """Floats; unparseable or out-of-range values become NaN and are counted."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype(float)
        present = values.notna()
    else:
        raw = _text(series)
        present = raw.ne("")
        values = pd.to_numeric(raw.where(present, None), errors="coerce").astype(float)
    bad = present & values.isna()
    report.count(f"{name}: not a number (set to NULL)", bad.sum())
    low, high = _RANGES.get(name, (-np.inf, np.inf))
    out_of_range = values.notna() & ((values < low) | (values > high))
    report.count(f"{name}: outside {low:g}..{high:g} (set to NULL)", out_of_range.sum())
    return values.mask(out_of_range)


def _boolean(series: pd.Series, report: ImportReport) -> pd.Series:
    raw = _text(series).str.lower()
    truth = {"true": True, "1": True, "yes": True, "y": True, "t": True,
             "false": False, "0": False, "no": False, "n": False, "f": False}
    values = raw.map(truth)
    report.count("explicit: not a boolean (set to NULL)", (raw.ne("") & values.isna()).sum())
    return values.astype(object).where(values.notna(), None)


def parse_dates(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse release dates; returns (datetime64 series, mask of unparseable values).

    Accepted: ``YYYY-MM-DD``, ``DD-MM-YYYY`` (``-``, ``/`` or ``.``), ``YYYY-MM``
    and a bare year (``2012`` -> 2012-01-01); a trailing time is ignored.
    Years outside 1000..2999 are unparseable.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series, errors="coerce")
        if values.dt.tz is not None:
            values = values.dt.tz_localize(None)
        return values.astype("datetime64[ns]"), pd.Series(False, index=series.index)
    s = _text(series)
    present = s.ne("")
    parts = pd.DataFrame(index=s.index, columns=["year", "month", "day"], dtype=object)
    patterns = (
        (r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?:[ T].*)?$", None),
        (r"^(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})(?:[ T].*)?$", None),
        (r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})$", {"day": "1"}),
        (r"^(?P<year>\d{4})(?:\.0)?$", {"month": "1", "day": "1"}),
    )
    for pattern, defaults in patterns:
        todo = parts["year"].isna() & present
        if not todo.any():
            break
        found = s[todo].str.extract(pattern)
        found = found.dropna(subset=["year"])
        for col, value in (defaults or {}).items():
            found[col] = value
        parts.loc[found.index, ["year", "month", "day"]] = found[["year", "month", "day"]].to_numpy()
    numbers = parts.apply(pd.to_numeric, errors="coerce")
    numbers = numbers.where((numbers["year"] >= 1000) & (numbers["year"] <= 2999))
    values = pd.to_datetime(numbers, errors="coerce")
    return values.astype("datetime64[ns]"), present & values.isna()


def clean_rows(frame: pd.DataFrame, mapping: dict[str, str], report: ImportReport) -> pd.DataFrame:
    """Input rows -> one clean row per input row that has a title and an artist.

    `mapping` is field -> column of `frame` (see
    :func:`ltrr.catalog.columns.resolve_mapping`); every value set to NULL and
    every row dropped is counted by reason in `report`. Raise
    CatalogImportError when a mapped column cannot be read at all.
    """
    try:
        return _clean_fields(frame, mapping, report)
    except (TypeError, ValueError, ArithmeticError) as exc:
        # Parquet can hold nested or binary columns that no field can use.
        raise CatalogImportError(f"a mapped column cannot be read: {one_line(exc)}") from None


def _clean_fields(frame: pd.DataFrame, mapping: dict[str, str], report: ImportReport) -> pd.DataFrame:
    rows = pd.DataFrame(index=frame.index)
    for fld in _TEXT_FIELDS:
        rows[fld] = _text(frame[mapping[fld]]) if fld in mapping else ""
    for fld in _NUMERIC_FIELDS:
        if fld in mapping:
            rows[fld] = _number(frame[mapping[fld]], fld, report)
    if "duration_ms" in rows:
        seconds = rows["duration_ms"] / 1000.0
        rows["duration_sec"] = rows["duration_sec"].fillna(seconds) if "duration_sec" in rows else seconds
        rows = rows.drop(columns="duration_ms")
    rows["explicit"] = _boolean(frame[mapping["explicit"]], report) if "explicit" in mapping else None
    if "release_date" in mapping:
        rows["release_date"], bad = parse_dates(frame[mapping["release_date"]])
        report.count("release_date: unparseable (set to NULL)", bad.sum())
    else:
        rows["release_date"] = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")

    damaged = pd.Series(False, index=rows.index)
    for fld in ("title", "artist", "album", "playlist"):
        damaged |= rows[fld].str.contains("\ufffd", regex=False)
    report.count("text damaged before import (U+FFFD replacement characters, kept)", damaged.sum())

    no_title = rows["title"].eq("")
    no_artist = rows["artist"].eq("") & ~no_title
    report.count("missing title (row dropped)", no_title.sum())
    report.count("missing artist (row dropped)", no_artist.sum())
    return rows[~(no_title | no_artist)].reset_index(drop=True)
