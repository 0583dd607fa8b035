"""Commands that run the engine on a state folder: ``search``, ``export``, ``replay``, ``warm-start``."""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from ltrr.cli.common import (EXIT_OK, CliError, add_state_argument, command, default_state_dir, engine_arguments,
                             open_engine, positive_int, progress_for)
from ltrr.log_export import EXPORT_FORMATS


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="the search text")
    engine_arguments(parser)
    parser.add_argument("-k", type=positive_int, default=10, help="results to show")
    parser.add_argument("--user", default="cli", help="user id for the context")
    parser.add_argument("--json", action="store_true", help="print the response as JSON")


@command("search", "run one search and print the ranked results", _search_arguments)
def cmd_search(args: argparse.Namespace) -> int:
    """Run one search and print the ranked results (or the response as JSON)."""
    if not args.query.strip():
        # Refused before the engine opens: an empty search is not logged, nor learned from.
        raise CliError('empty query: give the text to search for, e.g. `python -m ltrr search "love story"`')
    engine = open_engine(args)
    try:
        resp = engine.search(args.query, context={"user_id": args.user}, k=args.k)
        if args.json:
            print(json.dumps(_json_safe({
                "id": resp.id, "query": resp.query, "message": resp.message, "ranker": resp.ranker,
                "understanding": resp.understanding.to_dict(),
                "selection": [c.__dict__ for c in resp.selection],
                "results": [{k: v for k, v in r.__dict__.items() if k != "features"} for r in resp.results],
                "timings": resp.timings,
            }, default=str), ensure_ascii=False, allow_nan=False))
            return EXIT_OK
        if resp.message:
            print(resp.message)
        selected = [f"{c.arm}({c.budget})" for c in resp.selection if c.selected]
        print(f"intent: {resp.understanding.intent}   arms: {' '.join(selected)}   ranker: {resp.ranker}"
              f"   {resp.timings['total']:.1f} ms")
        for r in resp.results:
            print(f"{r.rank:>3}. [{r.entity_type}] {r.title} — {r.subtitle}   ({', '.join(r.arms)})")
        return EXIT_OK
    finally:
        engine.close()


def _json_safe(value: object, default=str) -> object:
    """`value` with every NaN or infinite float as None (JSON has no NaN: ``NaN`` breaks strict
    parsers, and "no value yet", e.g. an arm's expectation before any feedback, is null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v, default) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, default) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "item"):          # numpy scalars
        return _json_safe(value.item(), default)
    return default(value)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    add_state_argument(parser)
    parser.add_argument("--format", choices=list(EXPORT_FORMATS), default="parquet")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write interactions.<format> (ubi: interactions.ubi.ndjson, an OpenSearch _bulk body for the ubi_queries and ubi_events indexes)")


@command("export", "export a state folder's interaction log", _export_arguments)
def cmd_export(args: argparse.Namespace) -> int:
    from ltrr.log import read_events
    from ltrr.log_export import export_events

    state = args.state or default_state_dir()
    log_path = Path(state) / "log" / "events.jsonl"
    if not log_path.is_file():
        raise CliError(f"no interaction log in {state} (expected {log_path})")
    # Reading the log needs no lock: exporting works while an app serves the state.
    path = export_events(read_events(log_path), args.out, args.format)
    print(f"wrote {path}")
    return EXIT_OK


def _replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", type=Path, required=True, metavar="FILE",
                        help="an exported log: interactions.jsonl, .parquet, .csv or .ubi.ndjson")
    engine_arguments(parser)


@command("replay", "rebuild a (new, empty) state folder from an exported log", _replay_arguments)
def cmd_replay(args: argparse.Namespace) -> int:
    from ltrr.log_export import load_exported

    if not args.log.is_file():
        raise CliError(f"no such log file: {args.log}")
    try:
        events = load_exported(args.log)
    except (ValueError, KeyError) as exc:
        raise CliError(f"{args.log} is not an ltrr interaction log ({type(exc).__name__}: {exc})") from None
    engine = open_engine(args)
    try:
        counts = engine.replay(events, progress=progress_for(args))
        print(f"replayed {counts['searches']} searches and {counts['feedbacks']} feedbacks "
              f"({counts['skipped']} events skipped) into {engine.state.path}")
        return EXIT_OK
    finally:
        engine.close()


def _warm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", type=Path, required=True, metavar="FILE",
                        help="an exported log (interactions.jsonl) whose searches were judged: an engine run "
                             "with --policy coverage:judged=1")
    engine_arguments(parser)


@command("warm-start", "teach a state folder's learner, before it serves, from the judged searches of an exported log",
         _warm_arguments)
def cmd_warm_start(args: argparse.Namespace) -> int:
    from ltrr.engine.warm import judged_searches
    from ltrr.errors import LtrrError
    from ltrr.log_export import load_exported

    if not args.log.is_file():
        raise CliError(f"no such log file: {args.log}")
    try:
        found = judged_searches(load_exported(args.log))
    except (ValueError, KeyError) as exc:
        raise CliError(f"{args.log} is not an ltrr interaction log ({type(exc).__name__}: {exc})") from None
    if not found:
        raise CliError(f"{args.log} holds no judged search: export the log of an engine run with "
                       "--policy coverage:judged=1 whose searches were judged")
    engine = open_engine(args)
    try:
        n = engine.warm_start(found, progress=progress_for(args))
    except LtrrError as exc:
        raise CliError(str(exc)) from None
    finally:
        engine.close()
    print(f"the learner read {n} judged searches into {args.state or default_state_dir()}")
    return EXIT_OK
