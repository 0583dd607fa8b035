"""Plain words for the engine's internal names: arms, ranker features, contributions.

Display only (no Streamlit here, tested alone). Feature names follow
``ltrr.rank.features``: per-arm ``rr_<arm>``, ``norm_<arm>``, ``hit_<arm>``,
``full_<arm>``, ``full_missing_<arm>`` and the generic columns; an unknown
name is shown as itself with underscores as spaces, never hidden.
"""
from __future__ import annotations

import math
from typing import Mapping

ARM_LABELS: dict[str, str] = {
    "lexical": "word match", "fuzzy": "typo-tolerant", "structured": "understood filters",
    "semantic": "meaning (MiniLM)", "memory": "past clicks", "popular": "popular",
    "fresh": "new releases", "related": "related to the top hits",
}

# Per-arm feature kinds, as "<what> <arm label>".
_ARM_KIND = {
    "rr": "rank in {arm}", "norm": "score in {arm}", "hit": "found by {arm}",
    "full": "{arm} score (all candidates)", "full_missing": "{arm} score unavailable",
}

GENERIC_LABELS: dict[str, str] = {
    "n_arms": "number of arms that found it", "best_rr": "best rank in any arm",
    "title_ratio": "title similar to the query", "title_token_set": "title words match the query",
    "text_token_set": "title and artist match the query", "title_exact": "title is exactly the query",
    "title_prefix": "title starts with the query", "token_coverage": "query words found",
    "popularity": "popularity", "age_years": "age", "age_missing": "no release date", "is_new": "new release",
    "type_agreement": "type matches what was asked", "intent_confidence": "how clear the query is",
    "artist_match": "artist matches", "genre_match": "genre matches", "mood_match": "mood matches",
    "era_match": "era matches", "query_len": "query length",
}


def arm_label(arm: str) -> str:
    """``"fuzzy"`` -> ``"fuzzy (typo-tolerant)"``: the arm's name plus what it does."""
    what = ARM_LABELS.get(arm)
    return f"{arm} ({what})" if what else arm


def feature_label(name: str) -> str:
    """A ranker feature's name in plain words (``rr_semantic`` -> ``rank in semantic``)."""
    if name in GENERIC_LABELS:
        return GENERIC_LABELS[name]
    if name.startswith("type_"):
        return f"is a{'n' if name[5:6] in 'aeiou' else ''} {name[5:]}"
    # Longest kind first: "full_missing_x" must not read as "full" of "missing_x".
    for kind in sorted(_ARM_KIND, key=len, reverse=True):
        if name.startswith(kind + "_"):
            return _ARM_KIND[kind].format(arm=name[len(kind) + 1:])
    return name.replace("_", " ")


def contribution_shares(contributions: Mapping[str, float], top: int = 8) -> list[tuple[str, float]]:
    """The largest contributions as signed shares of the total absolute contribution.

    Raw contributions live on the ranker's own scale (heuristic weights or
    LightGBM log-odds); shares are comparable across rankers and results:
    ``{"a": 3, "b": -1}`` -> ``[("a", 0.75), ("b", -0.25)]``. Non-finite and zero
    values are dropped; an empty or all-zero input gives ``[]``. Names are
    turned into plain words with :func:`feature_label`.
    """
    items = [(k, float(v)) for k, v in (contributions or {}).items()
             if v is not None and math.isfinite(float(v)) and float(v) != 0.0]
    total = sum(abs(v) for _, v in items)
    if total <= 0:
        return []
    items.sort(key=lambda kv: abs(kv[1]), reverse=True)
    return [(feature_label(k), v / total) for k, v in items[:top]]
