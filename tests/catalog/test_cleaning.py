"""Cleaning fields: the release-date formats accepted, those rejected, and
missing dates that are not counted as bad."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ltrr.catalog.cleaning import parse_dates


@pytest.mark.parametrize("raw, expected", [
    ("2019-06-14", dt.date(2019, 6, 14)),
    ("14-06-2019", dt.date(2019, 6, 14)),
    ("14/06/2019", dt.date(2019, 6, 14)),
    ("2012", dt.date(2012, 1, 1)),
    ("1981-12", dt.date(1981, 12, 1)),
    ("2019-06-14T00:00:00", dt.date(2019, 6, 14)),
])
def test_parse_dates_formats(raw, expected):
    values, bad = parse_dates(pd.Series([raw]))
    assert not bad.iloc[0]
    assert values.iloc[0].date() == expected


@pytest.mark.parametrize("raw", ["yesterday", "2019-13-01", "31-02-2019", "99", "0000", "12-2019-01"])
def test_parse_dates_rejects_garbage(raw):
    values, bad = parse_dates(pd.Series([raw]))
    assert bad.iloc[0] and pd.isna(values.iloc[0])


def test_parse_dates_empty_is_missing_not_bad():
    values, bad = parse_dates(pd.Series(["", None]))
    assert not bad.any() and values.isna().all()
