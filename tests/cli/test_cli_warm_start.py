"""`warm-start`: a state folder's learner reads the judged searches of an exported log before it serves."""
from __future__ import annotations

from ltrr.log import read_events
from tests.cli.commands import run as _run
from tests.engine.engines import open_engine

ARMS = "lexical,fuzzy,popular"


def test_warm_start_reads_the_judged_searches_of_an_export(tiny_catalog_path, tmp_path, capsys):
    staging = open_engine(tiny_catalog_path, tmp_path / "staging", policy="coverage:judged=1",
                          arms=ARMS.split(","))
    try:
        for query, wanted in [("love story", "track:lovestory"), ("halo", "track:halo"), ("love", None)]:
            resp = staging.search(query, context={"user_id": "u1"})
            if wanted:
                staging.judge(resp.id, [wanted])
    finally:
        staging.close()
    assert _run(capsys, "export", "--state", str(tmp_path / "staging"), "--format", "jsonl",
                "--out", str(tmp_path / "out"))[0] == 0
    log = tmp_path / "out" / "interactions.jsonl"
    state = tmp_path / "state"
    where = ["--catalog", str(tiny_catalog_path), "--state", str(state), "--arms", ARMS]
    # The policy the README's answer serves: the learner at the routing table's price.
    code, out, _ = _run(capsys, "warm-start", "--log", str(log), *where, "--policy", "coverage:cost=0.008")
    assert code == 0 and "read 2 judged searches" in out
    warm = [e for e in read_events(state / "log" / "events.jsonl") if e["kind"] == "warm"]
    assert [e["arm_ranks"]["lexical"] for e in warm] == [1, 1]
    # Searched with the same policy, the reopened state holds what it read.
    engine = open_engine(tiny_catalog_path, state, policy="coverage:cost=0.008", arms=ARMS.split(","))
    try:
        assert engine.status()["warm_start"] == 2
        assert engine.search("halo", context={"user_id": "u2"}).results
    finally:
        engine.close()

    # A log without judgments, and a policy that cannot learn from them, fail in one line.
    assert _run(capsys, "export", "--state", str(state), "--format", "jsonl", "--out", str(tmp_path / "plain"))[0] == 0
    code, _, err = _run(capsys, "warm-start", "--log", str(tmp_path / "plain" / "interactions.jsonl"), *where)
    assert code == 2 and "holds no judged search" in err and len(err.strip().splitlines()) == 1
    other = ["--catalog", str(tiny_catalog_path), "--state", str(tmp_path / "other"), "--arms", ARMS]
    code, _, err = _run(capsys, "warm-start", "--log", str(log), *other, "--policy", "linucb")
    assert code == 2 and "only the coverage learner" in err and len(err.strip().splitlines()) == 1
