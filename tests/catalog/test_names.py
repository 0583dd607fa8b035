"""What titles and playlist names say: featured credits, versions, eras;
missing (None or NaN) where they say nothing."""
from __future__ import annotations

import pandas as pd
import pytest

from ltrr.catalog import names


@pytest.mark.parametrize("title, expected", [
    ("Song (feat. A & B) - X Remix", "A, B"),
    ("I Don't Care (with Justin Bieber) - Loud Luxury Remix", "Justin Bieber"),
    ("Song ft. A", "A"),
    ("Song", None),
])
def test_featured_reads_bracketed_and_bare_credits(title, expected):
    got = names.featured(pd.Series([title])).iloc[0]
    assert pd.isna(got) if expected is None else got == expected


@pytest.mark.parametrize("title, expected", [
    ("Song - Live", "live"),
    ("Song (Remix)", "remix"),
    ("Song - Live Remix", "remix"),
    ("Live Forever", None),
])
def test_version_reads_only_the_suffix(title, expected):
    got = names.version(pd.Series([title])).iloc[0]
    assert pd.isna(got) if expected is None else got == expected


@pytest.mark.parametrize("name, expected", [
    ("90s Rap", "1990s"),
    ("2000's Hits", "2000s"),
    ("Rap", None),
])
def test_era_names_the_full_decade(name, expected):
    got = names.era(pd.Series([name])).iloc[0]
    assert pd.isna(got) if expected is None else got == expected
