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
    "fresh": "new releases", "related": "related to the top hits", "discover": "a varied sample for vague asks",
    "themed": "the named genre's playlists by meaning",
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
    "memory_reformulations": "found by others who reworded this ask", "user_genre": "a genre this listener picks",
}


# Plurals that the "+s / +es / y -> ies" rule gets wrong; add one here when a new noun needs it.
_IRREGULAR = {"query": "queries", "entity": "entities", "child": "children", "person": "people"}


def plural(word: str, n: float = 2) -> str:
    """``word`` in the number that agrees with ``n``: ``plural("search", 1)`` -> ``"search"``,
    ``plural("search", 3)`` -> ``"searches"``. Only exactly 1 is singular (0 and 1.5 are plural)."""
    if n == 1:
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    head, sep, tail = word.partition(" per ")   # "click per search": the noun before "per"
    if sep:
        return f"{plural(head, n)} per {tail}"
    first, space, last = word.rpartition(" ")   # "simulated search": the last word is the noun
    if space:
        return f"{first} {plural(last, n)}"
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def count(n: float, word: str, fmt: str = ",") -> str:
    """A number and its noun, agreeing: ``count(1, "search")`` -> ``"1 search"``,
    ``count(2000, "search")`` -> ``"2,000 searches"``; ``fmt`` formats the number (``",.1f"``).
    The number as shown decides: 0.6 shown as "1" reads "1 candidate", 1.0 shown as "1.0" is plural."""
    shown = f"{n:{fmt}}"
    return f"{shown} {plural(word, 1 if shown == '1' else 2)}"


def duration(seconds: float | None) -> str:
    """A wait in words, rounded as people say it: 38 -> "about 40 s", 130 -> "about 2 min",
    under 5 s -> "a few seconds"; "" when unknown (None, NaN, negative)."""
    if seconds is None:
        return ""
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(s) or s < 0:
        return ""
    if s < 5:
        return "a few seconds"
    if s < 60:
        return f"about {max(5, int(round(s / 5)) * 5)} s"
    if s < 3600:
        return f"about {max(1, round(s / 60))} min"   # an abbreviation: no plural
    return f"about {count(round(s / 3600, 1), 'hour', 'g')}"


def opening_step(message: str) -> str:
    """An engine-opening progress message for people: the arm's name said once
    ("fuzzy: fuzzy: indexing names" -> "fuzzy: indexing names"), "starting" when empty."""
    text = str(message or "").strip()
    head, sep, rest = text.partition(": ")
    while sep and rest.startswith(head + ": "):
        rest = rest[len(head) + 2:]
    return f"{head}: {rest}" if sep else (text or "starting")


def opening_wait(eta_s: float | None, elapsed_s: float) -> str:
    """How long the engine still needs to open, in words: "ready in about 10 s" from a measured ETA,
    else how long it has been at it ("measuring the time left (12 s so far)")."""
    when = duration(eta_s)
    if when:
        return f"ready in {when}"
    so_far = int(elapsed_s) if math.isfinite(elapsed_s) else 0
    return f"measuring the time left ({so_far} s so far)" if so_far >= 1 else "measuring the time left"


def readiness(arm: str, info: Mapping[str, object]) -> str:
    """What a building arm's status says to people: "semantic search ready in about 40 s" when
    the engine measured an ETA (``eta_s``), else its progress ("semantic search building: 35%"),
    plus the engine's own message on what it is doing."""
    when = duration(info.get("eta_s"))   # .get: engines before eta_s existed still work
    try:
        pct = float(info.get("progress") or 0.0)
    except (TypeError, ValueError):
        pct = 0.0
    pct = pct if math.isfinite(pct) else 0.0
    if when:
        head = f"{arm} search ready in {when}"
    elif pct > 0:
        head = f"{arm} search building: {min(1.0, pct):.0%} done"
    else:
        head = f"{arm} search starting to build"
    message = str(info.get("message") or "").strip()
    message = message[len(arm) + 2:] if message.startswith(f"{arm}: ") else message
    return f"{head} ({message})" if message and message.lower() not in {"building", "ready"} else head


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
