"""The synthetic catalog's shared codes: its "today", genre and subgenre codes, decade labels."""
from __future__ import annotations

import datetime as dt

from ltrr.catalog import wordlists as W
from ltrr.catalog.synthetic_codes import (GENRE_NAMES, REFERENCE_DATE, REFERENCE_DAY, SUBGENRE_CODE, SUBGENRE_NAMES,
                                          era_label)


def test_reference_day_counts_days_since_1970():
    assert dt.date(1970, 1, 1) + dt.timedelta(days=REFERENCE_DAY) == REFERENCE_DATE


def test_every_genre_and_subgenre_has_one_code():
    assert GENRE_NAMES == tuple(W.GENRES)
    subgenres = [s for subs, _ in W.GENRES.values() for s in subs]
    assert sorted(set(subgenres)) == list(SUBGENRE_NAMES)
    assert all(SUBGENRE_NAMES[SUBGENRE_CODE[s]] == s for s in subgenres)


def test_era_labels_shorten_the_last_century():
    assert [era_label(d) for d in (1960, 1980, 2000, 2020)] == ["60s", "80s", "2000s", "2020s"]
