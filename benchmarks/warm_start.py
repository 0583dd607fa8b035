"""The coverage learner warmed by the tuning stream before it runs (``Engine.warm_start``), on dev streams.

The study's fixed configurations are tuned on a separate stream of each world (seed 10000), run
through every arm at 50 so that every search's wanted item has a rank in every arm
(:func:`ltrr.simulate.study.tuning_table`). Here the policy gets that same stream first, through
``Engine.warm_start`` (the coverage learner reads each search as a judged search; ``route`` chooses
its table from them), then the dev stream runs as usual. The fixed configurations and the
learner then share the same data and nothing of the test stream. The command line is ``dev_streams.py``'s, so ``pair`` and ``frontier`` read its
records beside every other run::

    python benchmarks/warm_start.py --out reports/dev record warm --catalog data/spotify.duckdb --ranker trained --seeds 21-29
    python benchmarks/dev_streams.py --out reports/dev pair main warm

Each world's tuning table is collected once and kept beside the records (``tuning-<world>.pkl``).
"""
from __future__ import annotations

import os
import pickle
import sys
import tempfile
from pathlib import Path

import dev_streams

import ltrr.simulate.runner as runner

_ENV = "LTRR_WARM_TABLES"                    # folder of the tuning tables (read by workers)
_STATE: dict[str, object] = {"world": None, "warmed": set()}


def _one_search_warm(engine, policy, it, *args, **kwargs):
    # The first search of each engine (one per policy in a stream) warms it first.
    if id(engine) not in _STATE["warmed"]:
        _STATE["warmed"].add(id(engine))
        path = Path(os.environ[_ENV]) / f"tuning-{_STATE['world']}.pkl"
        with open(path, "rb") as f:
            engine.warm_start(pickle.load(f).judged_searches())
    return _search(engine, policy, it, *args, **kwargs)


def _new_stream(world: str) -> None:
    # A stream's engines are new: an id of the last stream's may come back for one of them.
    _STATE["world"] = world
    _STATE["warmed"] = set()


_search = runner._one_search
runner._one_search = _one_search_warm
dev_streams.STREAM_SETUP.append(_new_stream)


def main(argv: list[str]) -> int:
    from ltrr.simulate.study import tuning_table
    from ltrr.simulate.study_settings import StudySettings

    args = dev_streams.build_parser().parse_args(argv)
    if args.command != "record":
        return dev_streams.main(argv)          # pair and frontier read records: nothing to warm
    folder = args.out / args.name
    folder.mkdir(parents=True, exist_ok=True)
    for world in args.worlds:
        path = folder / f"tuning-{world}.pkl"
        if not path.exists():
            print(f"running the {world} world's tuning stream through every arm", flush=True)
            with tempfile.TemporaryDirectory(prefix="ltrr-warm-") as state:
                table = tuning_table(StudySettings(catalog=str(args.catalog), world=world), Path(state))
            path.write_bytes(pickle.dumps(table))
    os.environ[_ENV] = str(folder)
    return dev_streams.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
