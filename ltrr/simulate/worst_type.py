"""Issue 26's per-type reading, and the same reading between fixed configurations.

The target: on every seed, no query type served more than 3 points worse by the learner than by
the tuned configuration nearest its candidates. A type is 15 to 90 searches of a seed's last 500,
so a difference of a few points is one or two searches. How far apart two fixed configurations
of nearly the same cost read on the same seeds says what such a difference is worth: the same
reading is made for every tuned configuration against the tuned configuration nearest it, and
against the nearest of those with fewer candidates (which it should never trail, had the
configurations and samples no trade-offs and no noise).
"""
from __future__ import annotations

import pandas as pd

TUNED_PREFIX = "tuned<="


def is_tuned_by_candidates(label: str) -> bool:
    """Whether ``label`` names a configuration tuned by candidates (``tuned<=N``; not ``tuned<=N%ms``,
    tuned by milliseconds)."""
    return str(label).startswith(TUNED_PREFIX) and not str(label).endswith("ms")


def tuned_by_candidates(records: pd.DataFrame) -> list[str]:
    """The configurations tuned by candidates in ``records``, in the order they first appear."""
    return [lab for lab in dict.fromkeys(records["label"]) if is_tuned_by_candidates(lab)]


def nearest(candidates: pd.Series, label: str, among: list[str], cheaper: bool = False) -> str | None:
    """The label of ``among`` (other than ``label``) whose mean candidates are nearest ``label``'s
    (``cheaper``: among those with fewer); ties go to the label that sorts first."""
    others = [lab for lab in among if lab != label and lab in candidates.index
              and (not cheaper or float(candidates[lab]) < float(candidates.get(label, float("nan"))))]
    if not others or label not in candidates.index:
        return None
    return min(others, key=lambda lab: (abs(float(candidates[lab]) - float(candidates[label])), lab))


def worst_type(last: pd.DataFrame, label: str, reference: str) -> dict | None:
    """Over one seed's window: the query type where ``label``'s success@10 is furthest below
    ``reference``'s (types both ran), in points, with ``label``'s searches of it; None if none."""
    a = last[last["label"] == label].groupby("query_type")["success"].agg(["mean", "size"])
    b = last[last["label"] == reference].groupby("query_type")["success"].mean()
    diff = (100.0 * (a["mean"] - b)).dropna()
    if diff.empty:
        return None
    # Ties: the type with more searches, then by name, so that the reading is deterministic.
    order = pd.DataFrame({"points": diff, "searches": a["size"].reindex(diff.index)})
    row = order.reset_index().sort_values(["points", "searches", "query_type"],
                                          ascending=[True, False, True]).iloc[0]
    return {"query_type": str(row["query_type"]), "points": float(row["points"]), "searches": int(row["searches"])}


def worst_types(records: pd.DataFrame, window: int, label: str, cheaper: bool = False) -> pd.DataFrame:
    """Per seed, over the last ``window`` steps: ``label``'s worst query type beside the tuned
    configuration nearest its candidates on that seed (``cheaper``: the nearest with fewer).
    Columns: seed, label, reference, query_type, points, searches."""
    last = records[records["step"] > records["step"].max() - window]
    tuned = tuned_by_candidates(last)
    rows = []
    for seed, part in last.groupby("seed"):
        candidates = part.groupby("label")["n_candidates"].mean()
        reference = nearest(candidates, label, tuned, cheaper)
        found = None if reference is None else worst_type(part, label, reference)
        if found is not None:
            rows.append({"seed": int(seed), "label": label, "reference": reference, **found})
    return pd.DataFrame(rows, columns=["seed", "label", "reference", "query_type", "points", "searches"])


def between_tuned(records: pd.DataFrame, window: int, cheaper: bool = False) -> pd.DataFrame:
    """The same reading for every tuned configuration against the other tuned configuration
    nearest its candidates (``cheaper``: the nearest with fewer), per seed: how far apart two
    fixed configurations of nearly equal cost read on some query type."""
    tuned = tuned_by_candidates(records)
    frames = [worst_types(records[records["label"].isin(tuned)], window, lab, cheaper) for lab in tuned]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["seed", "label", "reference", "query_type", "points", "searches"])
    return pd.concat(frames, ignore_index=True)


def summary(records: pd.DataFrame, window: int, label: str, threshold: float = -3.0) -> dict | None:
    """The learner's worst type per seed, and how often tuned configurations read below
    ``threshold`` against their nearest neighbour (a share of configuration-seeds, and the
    configurations that stay above it on every seed), and against their nearest cheaper one;
    None without tuned configurations."""
    mine = worst_types(records, window, label)
    pairs = between_tuned(records, window)
    if mine.empty or pairs.empty:
        return None
    per_config = pairs.groupby("label")["points"].min()
    dearer = between_tuned(records, window, cheaper=True)
    return {"threshold": threshold, "learner": mine.to_dict(orient="records"),
            "tuned_vs_cheaper": dearer.to_dict(orient="records"),
            "tuned_vs_cheaper_below_share": float((dearer["points"] < threshold).mean()) if len(dearer) else None,
            "learner_seeds_met": int((mine["points"] >= threshold).sum()), "seeds": int(len(mine)),
            "tuned": pairs.to_dict(orient="records"),
            "tuned_below_share": float((pairs["points"] < threshold).mean()),
            "tuned_met_every_seed": sorted(per_config[per_config >= threshold].index.tolist()),
            "tuned_configurations": int(len(per_config)),
            "tuned_median_worst": float(pairs["points"].median())}
