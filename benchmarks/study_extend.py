"""Add policies to a finished study: run them on its seeds and write the comparisons again.

A study of both worlds takes over an hour; a baseline added to the study afterwards (the routing
table, say) need not rerun the rest. Each added policy runs on the finished study's seeds, streams
and users (a policy's stream and its users' random numbers are the seed's, whatever runs beside
it, as for the study's own trained and warmed runs), with the finished study's tuning stream, read
back from ``states/tuning-table.pkl``; the fixed baselines are chosen from it again
(:func:`ltrr.simulate.study.choose_baselines`, deterministic), and the report is written anew in
``--out``. The settings must be the finished study's (the same flags)::

    python benchmarks/study_extend.py reports/study/default --add route --catalog data/spotify.duckdb --seeds 5 --steps 2000 --headline --world default --ranker trained --out reports/study/default-route

``--add route``: the routing table, chosen on the tuning stream (what ``StudySettings.route`` runs);
``--add warm-priced``: the learner at the routing table's price warmed by the tuning stream
(``StudySettings.warm_priced``), in a run of its own as the study runs it; ``--add priced``: the same
learner started cold (what the warm start adds at that price); ``--add told-priced``: the warmed
learner at that price told every answer too (a bound); ``--add-warm SPEC``: any policy warmed by the
tuning stream in a run of its own (a variant of the learner to read beside the study's). Without ``--add``, the
comparisons and the report are written again from the finished study's records (after a
comparison was added to :func:`~ltrr.simulate.study_compare.compare`, say).
"""
from __future__ import annotations

import argparse
import pickle
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

import harness  # noqa: F401  (puts the repository root on sys.path)

from ltrr.bandit.policy import PolicySpec
from ltrr.simulate.study import TUNING_TABLE, choose_baselines, simulate, study_policies
from ltrr.simulate.study_compare import compare
from ltrr.simulate.study_report import write_study_report
from ltrr.simulate.study_settings import (ROUTE_LABEL, ROUTE_POLICY, TOLD_PRICED_LABEL, TOLD_PRICED_POLICY,
                                         WARM_PRICE, WARM_PRICED_LABEL, WARM_PRICED_POLICY, StudySettings, cost_label,
                                         cost_spec, headline)
from ltrr.strategies.registry import arm_names



@dataclass(frozen=True)
class Addable:
    """A policy ``--add`` names, as the study runs it."""

    label: str
    spec: str
    alone: bool                  # in a run of its own (a warmed learner whose spec may also run cold)
    warmed: bool                 # reads the tuning stream's searches before its first search
    cost: float | None = None    # a learner at this cost weight: compared as the study's costs are


ADDABLE = {"route": Addable(ROUTE_LABEL, ROUTE_POLICY, alone=False, warmed=True),
           "warm-priced": Addable(WARM_PRICED_LABEL, WARM_PRICED_POLICY, alone=True, warmed=True),
           "told-priced": Addable(TOLD_PRICED_LABEL, TOLD_PRICED_POLICY, alone=True, warmed=True),
           "priced": Addable(cost_label(WARM_PRICE), cost_spec(WARM_PRICE), alone=False, warmed=False,
                             cost=WARM_PRICE)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="the finished study's folder")
    parser.add_argument("--add", choices=sorted(ADDABLE), action="append", default=[],
                        help="a policy to add (repeatable); none: the comparisons and report written again")
    parser.add_argument("--add-warm", action="append", default=[], metavar="SPEC",
                        help="a policy spec to add warmed by the tuning stream, in a run of its own (repeatable)")
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--world", default="default")
    parser.add_argument("--ranker", default="heuristic")
    parser.add_argument("--headline", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = StudySettings(catalog=args.catalog, seeds=tuple(range(args.seeds)), steps=args.steps,
                             world=args.world, ranker=args.ranker)
    if args.headline:
        settings = headline(settings)
    extend(args.study, settings, [*args.add, *map(warm_addable, args.add_warm)], args.out)
    print((args.out / "report.md").read_text())
    return 0


def warm_addable(spec: str) -> Addable:
    """Policy ``spec`` warmed by the tuning stream, in a run of its own (``--add-warm``)."""
    PolicySpec.parse(spec)                     # a bad spec fails here, before anything runs
    return Addable(f"{spec.replace(':', ' ', 1)}, warmed by the tuning stream", spec, alone=True, warmed=True)


def _cost_of(spec: object) -> float | None:
    """The cost weight of a coverage policy ``spec`` (None: another policy, or no spec)."""
    try:
        parsed = PolicySpec.parse(str(spec))
    except ValueError:
        return None
    return float(dict(parsed.params)["cost"]) if parsed.name == "coverage" else None


def extend(study: Path, settings: StudySettings, names: list[str | Addable], out: Path) -> dict:
    """Run the policies ``names`` (keys of :data:`ADDABLE`, or :class:`Addable` as :func:`warm_addable`
    gives them) on the finished ``study``'s seeds and write its records with theirs, the comparisons
    and the report in ``out``; the summary."""
    chosen = [ADDABLE[name] if isinstance(name, str) else name for name in names]
    pickled = (study / "states" / TUNING_TABLE).read_bytes()
    table = pickle.loads(pickled)
    tuning = choose_baselines(settings, table)
    records = pd.read_csv(study / "study_records.csv.gz", low_memory=False)
    added = {a.label: a.spec for a in chosen}
    if set(added) & set(records["label"]):
        raise SystemExit(f"{study} already ran {', '.join(sorted(set(added) & set(records['label'])))}")
    # A learner at another cost (added now or by an earlier extension) is compared as the study's own costs are.
    earlier = [cost for label, spec in records[["label", "policy"]].drop_duplicates("label").itertuples(index=False)
               if (cost := _cost_of(spec)) is not None and label == cost_label(cost)]
    settings = replace(settings, costs=tuple(dict.fromkeys(
        [*settings.costs, *earlier, *(a.cost for a in chosen if a.cost is not None)])))
    # One run of the policies that may share it, and one of its own for each that may not (a
    # warmed learner's spec is also the cold one's: what is warmed is said per run).
    runs = [[a for a in chosen if not a.alone]] + [[a] for a in chosen if a.alone]
    runs = [run for run in runs if run]
    (out / "states").mkdir(parents=True, exist_ok=True)
    # The tuning stream goes along, so that the extended study can be extended in turn.
    (out / "states" / TUNING_TABLE).write_bytes(pickled)
    frames = [records]
    searches = table.judged_searches()
    for seed in settings.seeds:
        for i, run in enumerate(runs):
            print(f"seed {seed}: {', '.join(a.label for a in run)}", flush=True)
            warm = {a.spec: searches for a in run if a.warmed}
            frame = simulate(settings, [a.spec for a in run], seed, out / "states" / f"seed-{seed}-{i}",
                             warm=warm or None)
            frame.insert(0, "label", frame["policy"].map({a.spec: a.label for a in run}))
            frame.insert(0, "seed", seed)
            frames.append(frame)
    records = pd.concat(frames, ignore_index=True)
    records.to_csv(out / "study_records.csv.gz", index=False)
    arms = list(settings.arms) if settings.arms else arm_names()
    policies = study_policies(settings, tuning, arms)
    # Every label that ran, by the spec it ran (an earlier extension's too: the report names them all).
    policies.update(dict(records[["label", "policy"]].drop_duplicates("label").itertuples(index=False)))
    summary = compare(records, tuning, settings)
    write_study_report(summary, records, tuning, settings, policies, out)
    return summary


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
