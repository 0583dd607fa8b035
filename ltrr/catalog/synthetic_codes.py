"""What every step of the synthetic catalog agrees on: its "today", and the
integer codes it stores genres and subgenres as while generating.

Per-track facts are kept as small integer codes (a few bytes a track) and
turned into names only when a table is written.
"""
from __future__ import annotations

import datetime as dt

from ltrr.catalog import wordlists as W

# The synthetic catalog's "today": new releases are relative to it, so the
# same seed gives the same catalog whatever the date it is built on.
REFERENCE_DATE = dt.date(2025, 6, 30)
# REFERENCE_DATE as days since 1970-01-01, the unit release dates are drawn in.
REFERENCE_DAY = (REFERENCE_DATE - dt.date(1970, 1, 1)).days

# A genre's code is its index here, a subgenre's its index in SUBGENRE_NAMES.
GENRE_NAMES = tuple(W.GENRES)
SUBGENRE_NAMES = tuple(sorted({s for subs, _ in W.GENRES.values() for s in subs}))
SUBGENRE_CODE = {s: i for i, s in enumerate(SUBGENRE_NAMES)}


def era_label(decade: int) -> str:
    """How a decade reads in a title: ``80s`` before 2000, ``2010s`` after."""
    return f"{decade % 100:02d}s" if decade < 2000 else f"{decade}s"
