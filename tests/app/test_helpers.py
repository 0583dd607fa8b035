"""The app's plain-Python helpers, alone: plain names, the bandit view, stories, import preview,
the background simulation job. No Streamlit session involved."""
from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pandas as pd
import pytest

from ltrr_app import bandit_view, importing, labels, stories
from ltrr_app.simjob import SimulationJob
from ltrr_app.stories import CatalogFacts

# --- plain names -------------------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("rr_semantic", "rank in semantic"), ("full_missing_fuzzy", "fuzzy score unavailable"),
    ("full_fuzzy", "fuzzy score (all candidates)"), ("best_rr", "best rank in any arm"),
    ("type_artist", "is an artist"), ("type_track", "is a track"), ("brand_new_feature", "brand new feature"),
])
def test_feature_names_read_as_plain_words(name, words):
    assert labels.feature_label(name) == words


def test_every_generic_ranker_feature_has_plain_words():
    from ltrr.rank.features import GENERIC_FEATURES
    unlabelled = [n for n in GENERIC_FEATURES if not n.startswith("type_") and n not in labels.GENERIC_LABELS]
    assert unlabelled == []
    assert labels.feature_label("user_genre") == "a genre this listener picks"


def test_contribution_shares_are_signed_fractions_of_the_total():
    shares = labels.contribution_shares({"rr_lexical": 3.0, "popularity": -1.0, "is_new": 0.0,
                                         "title_exact": float("nan")})
    assert shares == [("rank in lexical", 0.75), ("popularity", -0.25)]
    assert labels.contribution_shares({}) == []
    assert labels.contribution_shares({"a": 0.0}) == []


# --- the bandit view -----------------------------------------------------------------------

def test_probabilities_are_clipped_and_missing_is_none():
    assert [bandit_view.clip01(v) for v in (1.71, -0.2, 0.4, float("nan"), None, "x")] == [1.0, 0.0, 0.4, None,
                                                                                            None, None]
    assert bandit_view.estimates([{"arm": "a", "expected_reward": 1.7}, {"arm": "b", "expected_reward": None}]) \
        == {"a": 1.0, "b": None}


def test_before_after_keeps_only_known_values_and_marks_finders():
    frame = bandit_view.before_after({"lexical": 0.2, "fresh": None}, {"lexical": 0.5, "fresh": 0.3},
                                     found_arms=["lexical"], ran=["lexical", "fresh"])
    assert frame[["arm", "when", "value"]].values.tolist() == [
        ["lexical", "before", 0.2], ["lexical", "after", 0.5], ["fresh", "after", 0.3]]
    assert frame.set_index(["arm", "when"])["found"].to_dict() == {
        ("lexical", "before"): True, ("lexical", "after"): True, ("fresh", "after"): False}


def log_row(selection, by_arm, clicks):
    return {"selection": json.dumps(selection), "by_arm": json.dumps(by_arm), "clicks": json.dumps(clicks)}


def test_per_search_uses_the_reward_rule_budgets_and_first_click():
    sel = [{"arm": "lexical", "selected": True, "budget": 3}, {"arm": "fuzzy", "selected": True, "budget": 1},
           {"arm": "fresh", "selected": False, "budget": 0}]
    by_arm = {"lexical": [["a", 1.0], ["b", 0.5], ["c", 0.2], ["d", 0.1]], "fuzzy": [["a", 1.0], ["e", 0.5]]}
    log = pd.DataFrame([
        log_row(sel, by_arm, [{"entity_id": "c", "action": "click"}]),      # lexical found it at rank 3
        log_row(sel, by_arm, [{"entity_id": "x", "action": "click"}, {"entity_id": "c", "action": "click"}]),
        log_row(sel, by_arm, []),                                            # no feedback
        log_row(sel, by_arm, [{"entity_id": None, "action": "skip"}]),
    ])
    frame = bandit_view.per_search(log)
    assert frame["arms"].tolist() == [2, 2, 2, 2]
    # Candidates: a, b, c (lexical, budget 3) and a again (fuzzy, budget 1); the pool the ranker
    # scored holds a once.
    assert frame["candidates"].tolist() == [4, 4, 4, 4]
    assert frame["pool"].tolist() == [3, 3, 3, 3]
    assert frame["hit"].tolist()[:2] == [1.0, 0.0], "only the first click counts, as for the bandit"
    assert pd.isna(frame["hit"].iloc[2]) and frame["hit"].iloc[3] == 0.0
    rolled = bandit_view.rolling(frame, window=2)
    assert not rolled["value"].isna().any()
    hit = rolled[rolled["metric"] == bandit_view.ROLLING_LABELS["hit"]]["value"].tolist()
    assert hit == [1.0, 0.5, 0.0, 0.0]


def test_rank_trail_follows_a_played_result_across_searches():
    trails: dict = {}
    result = lambda eid, rank: SimpleNamespace(entity_id=eid, rank=rank)  # noqa: E731
    bandit_view.start_trail(trails, "pop songs", "e7", "Song", 8)
    bandit_view.update_trails(trails, "pop songs", [result("e7", 4), result("e1", 1)])
    bandit_view.start_trail(trails, "pop songs", "e7", "Song", 4)         # played again where it now is
    bandit_view.update_trails(trails, "other query", [result("e7", 9)])   # another query: no change
    bandit_view.update_trails(trails, "pop songs", [result("e7", 1)])
    assert bandit_view.trail_text(trails[bandit_view.trail_key("pop songs", "e7")]["ranks"]) == "8 → 4 → 1"
    assert bandit_view.trail_text([3, None]) == "3 → –"


# --- stories ---------------------------------------------------------------------------------

def test_misspellings_change_one_letter():
    assert stories.misspell("Taylor Swift") == "tayler swift"
    assert stories.misspell("Arizona Zervas") == "arizone zervas"
    assert stories.misspell("Xyz") == "xiz"
    assert stories.misspell("Grx") == "gxr", "no vowel to change: two letters swap"


MUSIC_ONLY = CatalogFacts(counts={"track": 100, "artist": 10, "album": 5, "playlist": 3, "podcast": 0},
                          artists=("DJ Tank", "Taylor Swift"), genres=("rap", "pop"), moods=(), has_new=False,
                          titles=("Dance Monkey",))


def test_examples_only_name_what_the_catalog_has():
    found = stories.examples(MUSIC_ONLY)
    assert "tayler swift" in found and "rap playlist" in found
    assert not any("podcast" in e or "new releases" in e for e in found)
    assert not any(m in " ".join(found) for m in ("sad", "chill"))
    with_all = CatalogFacts(counts={"track": 1, "playlist": 1, "podcast": 2}, artists=("Taylor Swift",),
                            genres=("rap",), moods=("sad",), has_new=True)
    assert {"sad songs", "new releases", "history podcast"} <= set(stories.examples(with_all))


def test_every_story_has_steps_or_says_it_cannot_be_told():
    for key, story in stories.STORIES.items():
        assert stories.LOOK_FOR[key], f"{key} says what to look for"
        made = stories.steps(key, MUSIC_ONLY)
        if story.page == "search" and key != "drift":
            assert made and all(s.query for s in made)
    assert stories.steps("drift", MUSIC_ONLY) == [], "no recent releases: no drift story"
    context = stories.steps("context", MUSIC_ONLY)
    assert [s.query for s in context] == ["taylor swift", "rap playlist"]
    assert context[0].hour != context[1].hour


# --- import preview ------------------------------------------------------------------------------

def test_preview_decodes_like_the_importer_and_errors_name_the_users_file(tmp_path):
    src = tmp_path / "upload.csv"
    src.write_bytes("track_name;track_artist\nHéroes;Bowie\n".encode("utf-16"))
    columns, head, encoding = importing.preview(src, "Mes chansons.csv")
    assert columns == ["track_name", "track_artist"] and head["track_name"].tolist() == ["Héroes"]
    assert encoding == "utf-16"
    src.write_bytes(b"")
    message, head, _ = importing.preview(src, "Mes chansons.csv")
    assert isinstance(message, str) and head is None
    assert "“Mes chansons.csv”" in message and str(tmp_path) not in message


def test_cli_wording_becomes_plain_words():
    from ltrr.errors import CatalogImportError

    exc = CatalogImportError("/tmp/x/upload.csv: no recognisable title column (columns: 'a'); "
                             "name it with --map title=COLUMN")
    text = importing.plain_error(exc, __import__("pathlib").Path("/tmp/x/upload.csv"), "songs.csv")
    assert "--map" not in text and "/tmp" not in text
    assert text.startswith("“songs.csv”") and "choose the column that holds the title" in text
    assert importing.default_name("My Songs (2).csv") == "my-songs-2"
    assert importing.default_name("???.csv") == "imported"


# --- the background simulation ---------------------------------------------------------------------

def test_simulation_job_collects_records_stops_and_reports_errors():
    release = threading.Event()

    def runner(*, progress, should_stop, on_step, steps, **_):
        for step in range(1, steps + 1):
            if should_stop():
                return SimpleNamespace(state_dirs={}, stopped=True)
            on_step("p", step, {"policy": "p", "step": step})
            progress(step, steps, "running")
            if step == 2:
                release.wait(5)
        return SimpleNamespace(state_dirs={"p": "/somewhere/p"}, stopped=False)

    job = SimulationJob(runner=runner, steps=100).start()
    while job.steps_done() < 2:
        pass
    assert job.running
    job.stop()
    release.set()
    assert job.join(5) and job.stopped and job.error is None
    assert job.steps_done() == 2 and len(job.records()) == 2

    def broken(**_):
        raise ValueError("no such catalog")

    failed = SimulationJob(runner=broken).start()
    assert failed.join(5) and failed.error == "no such catalog"
    with pytest.raises(RuntimeError):
        failed.start()


def test_error_text_never_shows_file_paths():
    from ltrr_app.shared import error_text, without_paths

    assert without_paths("cannot open /tmp/a/b/broken.duckdb: bad; see '/srv/state/linucb/'") == \
        "cannot open broken.duckdb: bad; see 'linucb'"
    assert without_paths("ratio 1/3, either/or") == "ratio 1/3, either/or"
    assert error_text(FileNotFoundError("/home/me/data/catalog.duckdb")) == "catalog.duckdb"


def test_the_exploration_note_says_how_a_search_explored_in_plain_words():
    ran = {"lexical": 5, "fresh": 5}
    assert bandit_view.exploration_note(None, None, ran) is None
    assert bandit_view.exploration_note({"explored": "", "alarm": 0.3, "greedy": {"lexical": 1}}, None, ran) is None
    # Explored, but every arm already ran that deep: nothing changed, nothing to say.
    assert bandit_view.exploration_note({"explored": "wide", "greedy": {"lexical": 10, "fresh": 10}}, None,
                                        {"lexical": 10, "fresh": 10}) is None
    wide = bandit_view.exploration_note({"explored": "wide", "alarm": 0.0, "greedy": {"lexical": 1}}, None, ran)
    assert "every arm ran with at least 5 candidates" in wide and "recently" not in wide
    at_three = bandit_view.exploration_note({"explored": "wide", "greedy": {"lexical": 1}}, None,
                                            {"lexical": 3, "fresh": 3, "fuzzy": 10})
    assert "every arm ran with at least 3 candidates" in at_three
    moved = bandit_view.exploration_note({"explored": "deepen", "alarm": 0.2, "greedy": {"lexical": 5}},
                                         [{"arm": "fresh", "entity_id": "t1", "p": 0.5, "from": 9, "to": 3}], ran)
    assert "asked for more candidates" in moved and "recently found less" in moved
    assert "Result #3 is the fresh arm's best new find, moved up from #9" in moved
    # Left where the ranker put it: nothing to explain about positions.
    stayed = bandit_view.exploration_note({"explored": "wide", "greedy": {}}, [{"arm": "fresh", "from": 2, "to": 2}],
                                          ran)
    assert "moved up" not in stayed
    several = bandit_view.exploration_note(
        {"explored": "wide", "greedy": {"lexical": 1}},
        [{"arm": "fresh", "from": 9, "to": 3}, {"arm": "fuzzy", "from": 2, "to": 2},
         {"arm": "related", "from": 12, "to": 4}], ran)
    assert "Results #3 and #4 are the best new finds of the fresh and related arms, moved up" in several
    # A query that kept failing tried arms its searches had not used: said, with what was moved up.
    tried = bandit_view.exploration_note({"explored": "", "greedy": {"lexical": 5, "fresh": 1}, "tried": ["fresh"]},
                                         [{"arm": "fresh", "from": 7, "to": 3}], ran)
    assert "also tried the fresh arm, which they had not used" in tried and "explored" not in tried
    assert "Result #3 is the fresh arm's best new find" in tried


def test_policies_are_read_by_policy_spec():
    from ltrr_app import charts
    from ltrr_app.shared import valid_policy

    assert charts.is_fixed("all:budget=5") and charts.is_fixed(" Static:lexical=3") and charts.is_fixed("tuned fixed: x")
    assert not charts.is_fixed("coverage:judged=0.2") and not charts.is_fixed("LinUCB")
    assert not charts.is_fixed("static:no-such-arm")          # not a policy at all
    # A URL's spelling of an offered policy is that policy (one state folder), another stays as written.
    assert valid_policy(" LinUCB:alpha=0.5 ") == "linucb"
    assert valid_policy("coverage:cost=0.004") == "coverage"
    assert valid_policy("coverage:cost=0.01") == "coverage:cost=0.01"
    # The learner on a tight budget is offered beside the default, however a link spells it.
    from ltrr.bandit.policy import TIGHT_POLICY
    from ltrr_app.shared import policy_choices

    assert policy_choices()[:2] == ["coverage", TIGHT_POLICY]
    assert "route" not in policy_choices()            # nothing in the app chooses its table
    from ltrr_app.shared import policy_label

    # The sidebar names the two learners in words (distinct), any other policy as written.
    assert "default" in policy_label("coverage") and "tight" in policy_label(TIGHT_POLICY)
    assert policy_label("linucb") == "linucb"
    assert valid_policy("coverage:epsilon=0.05,cost=0.0320") == TIGHT_POLICY
    assert valid_policy("linucb:alpha=oops") is None and valid_policy("") is None


@pytest.mark.parametrize("message, said", [
    ("fuzzy: fuzzy: indexing names", "fuzzy: indexing names"),
    ("lexical: tokenising", "lexical: tokenising"),
    ("Loading catalog", "Loading catalog"),
    ("", "starting"),
])
def test_an_opening_step_names_its_arm_once(message, said):
    assert labels.opening_step(message) == said


def test_the_wait_says_the_measured_time_left_or_how_long_it_has_been_measuring():
    assert labels.opening_wait(38.0, 3.0) == "ready in about 40 s"
    assert labels.opening_wait(None, 12.7) == "measuring the time left (12 s so far)"
    assert labels.opening_wait(float("nan"), 2.0) == "measuring the time left (2 s so far)"
    assert labels.opening_wait(None, 0.4) == "measuring the time left"


def test_the_apps_default_policy_is_the_engines():
    # shared.default_policy() avoids importing the engine before the first paint; it must still
    # name what Engine.open opens when no policy is given.
    import inspect

    from ltrr import Engine
    from ltrr_app.shared import default_policy

    assert default_policy() == inspect.signature(Engine.open).parameters["policy"].default


def test_every_registered_arm_has_a_plain_label_and_a_colour():
    from ltrr.strategies.registry import arm_names
    from ltrr_app.charts import ARM_COLORS
    from ltrr_app.labels import ARM_LABELS

    assert set(arm_names()) <= set(ARM_LABELS) and set(arm_names()) <= set(ARM_COLORS)
    assert len(set(ARM_COLORS.values())) == len(ARM_COLORS)
