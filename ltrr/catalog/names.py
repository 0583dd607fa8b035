"""What a title or a name says besides itself: featured artists, version, era.

Track titles often carry credits and versions ("Song (feat. A) - Live") and
playlist names a decade ("90s Rap"); these read them into the tracks'
``featured`` and ``version`` columns and the playlists' ``era``.
"""
from __future__ import annotations

import re

import pandas as pd


_FEAT_BRACKET_RE = r"[\(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s+([^\)\]]+)[\)\]]"
_FEAT_BARE_RE = r"\s(?:feat\.|ft\.|featuring)\s+(.+?)(?=\s+-\s|\s*[\(\[]|$)"
_VERSION_PART_RE = r"(?:\s-\s([^\(\)\[\]]+)|[\(\[]([^\(\)\[\]]+)[\)\]])"
# Checked in order: "Live Remix" is a remix.
_VERSIONS = (("remix", r"\bremix\b|\bmix\b"), ("live", r"\blive\b"), ("acoustic", r"\bacoustic\b"),
             ("radio edit", r"\bradio edit\b"), ("remastered", r"\bremaster"))
_ERA_RE = r"\b((?:19|20)?\d0)'?s\b"


def featured(titles: pd.Series) -> pd.Series:
    """Per title, the artists it credits as featured, joined with ", ".

    'Song (feat. A & B) - X Remix' -> 'A, B'; None without credits. Both
    bracketed credits ("(feat. A)", "[with A]") and bare ones ("ft. A") count.
    """
    bracketed = titles.str.findall(_FEAT_BRACKET_RE, flags=re.IGNORECASE)
    bare = titles.str.findall(_FEAT_BARE_RE, flags=re.IGNORECASE)

    def join(names: list[str]) -> str | None:
        split = [n.strip() for raw in names for n in re.split(r"\s*(?:,|&)\s*", raw)]
        split = list(dict.fromkeys(n for n in split if n))
        return ", ".join(split) or None

    return (bracketed + bare).map(join)


def version(titles: pd.Series) -> pd.Series:
    """The version a title names in its suffix (" - Live", "(Remix)"), else None.

    Only the dash/bracket suffix is read so that "Live Forever" stays an original.
    """
    suffix = titles.str.findall(_VERSION_PART_RE).map(
        lambda groups: " ".join(a or b for a, b in groups).lower())
    out = pd.Series(None, index=titles.index, dtype=object)
    for name, pattern in _VERSIONS:
        hit = out.isna() & suffix.str.contains(pattern, regex=True)
        out[hit] = name
    return out


def era(names: pd.Series) -> pd.Series:
    """Per playlist name, the decade it names: '90s Rap' -> '1990s',
    "2000's Hits" -> '2000s'; None without an era."""
    found = names.str.extract(_ERA_RE, flags=re.IGNORECASE)[0]

    def full(decade: object) -> str | None:
        if not isinstance(decade, str):
            return None
        year = int(decade)
        if year < 100:
            year += 1900 if year >= 30 else 2000
        return f"{year}s"

    return found.map(full)
