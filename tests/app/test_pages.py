"""The Streamlit playground under streamlit.testing's AppTest: every page opens,
a search and a ▶ Play click visibly change the counters and the bandit's
statistics, and bad input gives a message, never a traceback.

The engine is real (tiny catalog in tmp, via LTRR_CATALOG / LTRR_STATE); the
semantic arm opens in the background, so no test waits for the MiniLM model.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ltrr.state import policy_folder, safe_name
from ltrr_app import reports
from ltrr_app.cards import PLAY_LABEL
from ltrr_app.hub import EngineHub, state_dir_for

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))

TIMEOUT = 120  # the first run builds the tiny catalog's indexes


# --- helpers -------------------------------------------------------------------------

def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No exception element and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"
    return values[0]


def play_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.label == PLAY_LABEL]


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page that has `column`."""
    for df in at.dataframe:
        value = df.value
        if isinstance(value, pd.DataFrame) and column in value.columns:
            return value
    raise AssertionError(f"no dataframe with column {column!r}")


def search(at: AppTest, text: str) -> AppTest:
    at.text_input(key="ltrr_query").input(text).run()
    assert_clean(at)
    return at


def current_engine():
    """The one engine the app opened (tests share the app's process-wide hub)."""
    from ltrr_app.shared import engine_hub

    keys = engine_hub().open_engines()
    assert len(keys) >= 1
    key = keys[-1]
    return engine_hub().get(Path(key.catalog), Path(key.state), key.policy)


# --- the search page -------------------------------------------------------------------

def sidebar_counts(at: AppTest) -> tuple[int, int]:
    """(searches, clicks) as the sidebar's status line shows them."""
    for caption in at.sidebar.caption:
        found = re.search(r"([\d,]+) search(?:es)? · ([\d,]+) clicks?", caption.value)
        if found:
            return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))
    raise AssertionError("no status line in the sidebar")


def test_search_and_play_change_counters_memory_and_bandit(shared_state):
    at = search(open_app(), "blank space")
    buttons = play_buttons(at)
    assert buttons, "a search for a title in the catalog shows playable results"
    assert metric(at, "Clicks this session") == "0"
    clicks_before = int(metric(at, "Clicks").replace(",", ""))
    # One source for every counter: the sidebar and the main area agree after the search.
    assert sidebar_counts(at) == (int(metric(at, "Searches").replace(",", "")), clicks_before)

    buttons[0].click().run()
    assert_clean(at)
    assert metric(at, "Clicks this session") == "1"
    assert int(metric(at, "Clicks").replace(",", "")) == clicks_before + 1
    assert sidebar_counts(at) == (int(metric(at, "Searches").replace(",", "")), clicks_before + 1)
    assert any("played from position" in m.value for m in at.markdown)
    assert any("played ✓" in c.value for c in at.caption)
    # The before/after bars: probabilities in [0, 1] (before the first click a policy may have none).
    feedback = at.session_state["ltrr_feedback"]
    after = [v for v in feedback["after"].values() if v is not None]
    before = [v for v in feedback["before"].values() if v is not None]
    assert after and all(0.0 <= v <= 1.0 for v in after + before)
    assert any("moved the estimates" in m.value for m in at.markdown)

    at.switch_page("pages/1_Bandit.py").run()
    assert_clean(at)
    engine = current_engine()
    assert int(metric(at, "Searches").replace(",", "")) == engine.status()["searches"]
    assert metric(at, "Hit rate").endswith("%")


def test_counters_agree_on_every_page(fresh_state):
    at = search(open_app(), "halo")
    play_buttons(at)[0].click().run()
    search(at, "kill bill")
    play_buttons(at)[1].click().run()
    searches, clicks = int(metric(at, "Searches")), int(metric(at, "Clicks"))
    assert (searches, clicks) == (2, 2) == sidebar_counts(at)
    at.switch_page("pages/1_Bandit.py").run()
    assert int(metric(at, "Searches")) == searches and sidebar_counts(at) == (searches, clicks)
    at.switch_page("pages/2_Memory.py").run()
    assert int(metric(at, "Clicks")) == clicks and int(metric(at, "Pairs with clicks")) == clicks
    at.switch_page("pages/5_Logs.py").run()
    assert int(metric(at, "Searches shown")) == searches and int(metric(at, "With a click")) == clicks
    at.switch_page("pages/4_Ranker.py").run()
    assert int(metric(at, "Clicked searches")) == clicks and int(metric(at, "Clicks recorded")) == clicks


def test_results_stay_put_across_reruns_and_search_again_makes_a_new_search(shared_state):
    at = search(open_app(), "kill bill")
    first = at.session_state["ltrr_response"].id
    at.run()
    assert at.session_state["ltrr_response"].id == first, "a rerun must not search again"
    at.button(key="ltrr_search_go").click().run()
    assert_clean(at)
    assert at.session_state["ltrr_response"].id != first


def test_why_view_names_arms_by_rank_and_contributions_in_plain_words(shared_state):
    at = search(open_app(), "halo")
    resp = at.session_state["ltrr_response"]
    assert resp.results
    at.session_state[f"ltrr_res_{resp.id}_1_why"] = True   # open the first result's popover
    at.run()
    assert_clean(at)
    found = next(m.value for m in at.markdown if m.value.startswith("Found by"))
    for arm in resp.results[0].arms:
        assert f"**{arm}" in found
    assert not any(re.search(r"\b(rr|norm|full)_[a-z]+", c.value) for c in at.caption), "no raw feature names"


def test_every_strategy_column_and_the_pool_in_pre_rank_order_with_real_ranks(shared_state):
    at = search(open_app(), "taylor swift")
    resp = at.session_state["ltrr_response"]
    shown_arms = {m.value.split("**")[1].replace("\\", "") for m in at.markdown
                  if "●" in m.value and "**" in m.value}
    assert set(resp.by_arm) <= shown_arms
    pool = frame_with(at, "before")
    assert pool["before"].tolist() == list(range(1, len(resp.pool) + 1))
    assert pool["after"].notna().all(), "every pooled candidate says where it ended up"
    ranked = sorted(int(a) for a in pool["after"] if a.isdigit())
    assert ranked == list(range(1, len(resp.results) + 1))
    assert set(a for a in pool["after"] if not a.isdigit()) <= {f"below top {len(resp.results)}"}


def test_examples_come_from_the_catalog_and_a_pill_searches(fresh_state):
    at = open_app()
    assert not play_buttons(at), "no search before a query is typed"
    pills = at.pills(key="ltrr_example")
    assert "tayler swift" in pills.options, "a misspelling of the catalog's most popular artist"
    assert "history podcast" in pills.options, "the tiny catalog has a podcast"
    pills.set_value("tayler swift").run()
    assert_clean(at)
    assert at.text_input(key="ltrr_query").value == "tayler swift"
    assert at.session_state["ltrr_response"] is not None


@pytest.mark.parametrize("text", ["'; DROP TABLE tracks; --", "%%% ??? ***", "ü" * 3000, "   "])
def test_hostile_or_empty_queries_give_a_page_not_a_traceback(shared_state, text):
    at = search(open_app(), text)
    assert metric(at, "Clicks this session") == "0"


def test_feedback_on_a_forgotten_search_shows_a_message(fresh_state):
    at = search(open_app(), "blinding lights")
    assert play_buttons(at)
    current_engine().reset()          # another session resets the learning state meanwhile
    play_buttons(at)[0].click().run()
    assert not at.exception
    assert any("Feedback not recorded" in e.value for e in at.error)
    assert metric(at, "Clicks this session") == "0"


def test_an_unreadable_catalog_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "broken.duckdb"
    bad.write_bytes(b"this is not a duckdb file at all" * 100)
    monkeypatch.setenv("LTRR_CATALOG", str(bad))
    monkeypatch.setenv("LTRR_STATE", str(tmp_path / "state"))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("Could not open the search engine" in e.value and "broken.duckdb" in e.value for e in at.error)
    assert not play_buttons(at)
    assert at.text_input(key="ltrr_query"), "the search box is drawn before the engine opens"


def test_a_query_asked_before_the_engine_is_open_is_answered_once_it_opens(fresh_state):
    # A new session on an engine nobody opened yet: the page draws the box, waits for the engine
    # (opening in the background) and then runs the query it was given, without a second action.
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["q"] = "blank space"
    at.run()
    assert_clean(at)
    assert at.text_input(key="ltrr_query").value == "blank space"
    assert at.session_state["ltrr_response"] is not None and play_buttons(at)
    assert not any("Getting ready" in m.value for m in at.markdown), "the waiting panel is gone"


# --- the other pages ---------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_cleanly(shared_state, page):
    at = open_app()
    at.switch_page(page).run()
    assert_clean(at)
    assert at.title, f"{page} has a title"


def test_switching_policy_uses_a_fresh_state_folder_and_says_so(fresh_state):
    at = open_app()
    at.switch_page("pages/1_Bandit.py").run()
    at.sidebar.selectbox(key="ltrr_policy_pick").select("thompson").run()
    assert_clean(at)
    assert at.session_state["ltrr_policy"] == "thompson"
    assert (fresh_state / "thompson").is_dir()
    assert any("Policy changed" in i.value and "thompson" in i.value for i in at.info)
    assert at.query_params["policy"] == ["thompson"] or at.query_params["policy"] == "thompson"
    at.switch_page("app.py").run()
    assert metric(at, "Searches") == "0", "a new policy starts from nothing"
    assert not any("Policy changed" in i.value for i in at.info), "the banner shows once"


def test_memory_page_counts_clicked_pairs_and_keeps_pair_identity(fresh_state):
    at = search(open_app(), "good days")
    play_buttons(at)[0].click().run()
    play_buttons(at)[-1].click().run()
    at.switch_page("pages/2_Memory.py").run()
    assert_clean(at)
    assert int(metric(at, "Pairs with clicks")) == 2
    assert int(metric(at, "Clicks")) == 2
    table = frame_with(at, "clicks")
    assert table["clicks"].tolist()[:2] == [1, 1], "most clicked first"
    assert at.get("vega_lite_chart"), "predicted-vs-observed scatter is drawn"

    at.toggle(key="ltrr_mem_clicked").set_value(True).run()
    assert_clean(at)
    shown = frame_with(at, "clicks")
    assert len(shown) == 2 and (shown["clicks"] > 0).all()
    # The pair picker names a (query, entity) pair and its numbers are that pair's.
    picker = at.selectbox(key="ltrr_mem_pair")
    query, _, entity_id = picker.value.partition("\x1f")
    entry = current_engine().memory_entries(query)
    entry = entry[entry["entity_id"] == entity_id].iloc[0]
    assert metric(at, "Pair impressions") == f"{float(entry['impressions']):.1f}"
    assert metric(at, "Pair clicks") == str(int(entry["clicks"]))
    assert picker.format_func(picker.value).startswith(f"“{query}” → {entry['title']}")

    at.text_input(key="ltrr_mem_query").input("no such query at all").run()
    assert_clean(at)
    assert any("No memory for" in i.value for i in at.info)


def test_logs_page_filters_downloads_snapshots_restores_and_resets(fresh_state):
    at = search(open_app(), "illmatic")
    play_buttons(at)[0].click().run()
    at.switch_page("pages/5_Logs.py").run()
    assert_clean(at)
    assert len(frame_with(at, "query")) == 1
    assert {b.label for b in at.download_button} == {"Download Parquet", "Download CSV", "Download JSONL"}

    at.text_input(key="ltrr_log_text").input("(no match").run()   # regex metacharacters are literal
    assert_clean(at)
    assert metric(at, "Searches shown") == "0"

    assert at.button(key="ltrr_log_prepare").disabled, "nothing named demo to prepare from yet"
    at.text_input(key="ltrr_log_snap_name").input("demo").run()
    at.button(key="ltrr_log_snapshot").click().run()
    assert_clean(at)
    assert any("Snapshot “demo” saved" in s.value for s in at.success)
    assert not any(str(fresh_state) in s.value for s in at.success), "no file paths on screen"
    assert "demo" in current_engine().snapshots()

    assert at.button(key="ltrr_log_reset").disabled, "reset needs a confirmation first"
    at.checkbox(key="ltrr_log_confirm").check().run()
    at.button(key="ltrr_log_reset").click().run()
    assert_clean(at)
    assert any("reset" in s.value for s in at.success)
    assert current_engine().status()["clicks"] == 0

    at.button(key="ltrr_log_prepare").click().run()     # restores the snapshot named demo
    assert_clean(at)
    assert any("Restored “demo”" in s.value for s in at.success)
    assert current_engine().status()["clicks"] == 1, "the demo snapshot's click is back"
    at.switch_page("app.py").run()
    assert metric(at, "Clicks") == "1"


def test_ranker_page_retrain_is_disabled_until_enough_clicked_searches(fresh_state):
    at = open_app()
    at.switch_page("pages/4_Ranker.py").run()
    assert_clean(at)
    assert metric(at, "Model") == "heuristic"
    assert at.button(key="ltrr_rank_train").disabled
    assert not any("/" in str(m.value) for m in at.metric), "no file paths on screen"


def keyed(widgets, prefix: str):
    """The one widget whose key starts with `prefix` (import widgets are keyed per uploaded file)."""
    found = [w for w in widgets if str(w.key or "").startswith(prefix)]
    assert len(found) == 1, [w.key for w in widgets]
    return found[0]


def test_catalog_page_browses_and_imports_a_mapped_csv(shared_state, app_catalog):
    at = open_app()
    at.switch_page("pages/6_Catalog.py").run()
    assert_clean(at)
    assert metric(at, "tracks") == "12"
    assert len(frame_with(at, "entity_type")) > 0
    at.selectbox(key="ltrr_cat_type").select("artist").run()
    assert set(frame_with(at, "entity_type")["entity_type"]) == {"artist"}

    csv = "Song,Band,Year\nYellow Submarine,The Beatles,1966\nHey Jude,The Beatles,1968\n,Nobody,2000\n"
    at.file_uploader(key="ltrr_cat_upload").set_value(("songs.csv", csv.encode(), "text/csv")).run()
    assert_clean(at)
    keyed(at.selectbox, "ltrr_cat_map_title_").select("Song")
    keyed(at.selectbox, "ltrr_cat_map_artist_").select("Band")
    keyed(at.text_input, "ltrr_cat_import_name_").input("beatles")
    imported = app_catalog.parent / "beatles.duckdb"
    try:
        at.button(key="ltrr_cat_import").click().run()
        assert_clean(at)
        assert imported.is_file()
        assert any("Imported 2 of 3 rows of “songs.csv”" in s.value for s in at.success)
        before = imported.stat().st_mtime_ns
        at.button(key="ltrr_cat_import").click().run()          # same name again: refused, not overwritten
        assert any("already exists" in e.value for e in at.error)
        assert imported.stat().st_mtime_ns == before
    finally:
        imported.unlink(missing_ok=True)


def test_catalog_import_previews_utf16_with_the_importers_decoding_and_resets_the_mapping(shared_state):
    at = open_app()
    at.switch_page("pages/6_Catalog.py").run()
    csv = "track_name,track_artist\nHéroes,Bowie\nÇa plane,Bashung\n"
    at.file_uploader(key="ltrr_cat_upload").set_value(("utf16.csv", csv.encode("utf-16"), "text/csv")).run()
    assert_clean(at)
    preview = frame_with(at, "track_name")
    assert preview["track_name"].tolist() == ["Héroes", "Ça plane"], "column names and values decode cleanly"
    assert keyed(at.selectbox, "ltrr_cat_map_title_").value == "track_name"
    first_key = keyed(at.selectbox, "ltrr_cat_map_title_").key

    other = "Name,Who\nSong A,Someone\n"
    at.file_uploader(key="ltrr_cat_upload").set_value(("other.csv", other.encode(), "text/csv")).run()
    assert_clean(at)
    title = keyed(at.selectbox, "ltrr_cat_map_title_")
    assert title.key != first_key and title.value == "—", "a new file starts from a fresh mapping"
    at.button(key="ltrr_cat_import").click().run()
    assert any("Choose the column that holds the title" in e.value for e in at.error)
    assert not any("--map" in e.value or "/tmp" in e.value for e in at.error)


def build_button(at: AppTest):
    return next(b for b in at.button if b.label == "Build catalog")


def test_catalog_page_refuses_an_unsafe_name(shared_state, app_catalog):
    at = open_app()
    at.switch_page("pages/6_Catalog.py").run()
    at.text_input(key="ltrr_cat_build_name").input("../../etc")
    at.number_input(key="ltrr_cat_build_tracks").set_value(100)
    build_button(at).click().run()
    assert not at.exception
    assert any("looks like a path" in e.value for e in at.error)
    assert not list(app_catalog.parent.parent.rglob("etc.duckdb"))


def test_catalog_page_builds_a_synthetic_catalog_and_switches_to_it(fresh_state, app_catalog):
    at = open_app()
    at.switch_page("pages/6_Catalog.py").run()
    at.text_input(key="ltrr_cat_build_name").input("small one")
    at.number_input(key="ltrr_cat_build_tracks").set_value(100)
    build_button(at).click().run()
    assert_clean(at)
    built = app_catalog.parent / "small-one.duckdb"
    assert built.is_file()
    try:
        at.button(key="ltrr_cat_use_built").click().run()
        assert_clean(at)
        assert at.session_state["ltrr_catalog"] == str(built)
        assert int(metric(at, "tracks").replace(",", "")) >= 100
        # The other catalog learns in its own state subtree.
        from ltrr_app.shared import default_policy

        assert (fresh_state / "catalogs" / "small-one" / policy_folder(default_policy())).is_dir()
    finally:
        built.unlink()


def run_simulation_page(at: AppTest, policies: list[str], arms: list[str], steps: int, stop: bool = False):
    """Start a run from the form, wait for its background thread, redraw; returns the job."""
    at.multiselect(key="ltrr_sim_policies").set_value(policies)
    at.multiselect(key="ltrr_sim_arms").set_value(arms)
    at.number_input(key="ltrr_sim_steps").set_value(steps)
    at.number_input(key="ltrr_sim_users").set_value(5)
    next(b for b in at.button if b.label == "Run simulation").click().run()
    job = at.session_state["ltrr_sim_job"]
    if stop:
        deadline = time.monotonic() + 120
        while job.steps_done() < 3 and job.running and time.monotonic() < deadline:
            time.sleep(0.1)
        job.stop()
    assert job.join(timeout=300), "the simulation finished"
    at.run()
    assert_clean(at)
    return job


def test_two_sessions_simulate_at_once_each_in_a_folder_of_its_own(fresh_state):
    """A second browser session starts a run while the first one's is under way: both finish,
    neither meets the other's engines (they once shared one folder: "in use by another process")."""
    sessions = []
    for steps in (400, 30):
        at = open_app()
        at.switch_page("pages/3_Simulator.py").run()
        at.multiselect(key="ltrr_sim_policies").set_value(["static:lexical"])
        at.multiselect(key="ltrr_sim_arms").set_value(["lexical"])
        at.number_input(key="ltrr_sim_steps").set_value(steps)
        at.number_input(key="ltrr_sim_users").set_value(5)
        next(b for b in at.button if b.label == "Run simulation").click().run()
        job = at.session_state["ltrr_sim_job"]
        sessions.append((at, job))
        if steps == 400:
            # The first run is under way (its engine open) before the second starts.
            deadline = time.monotonic() + 120
            while job.steps_done() < 1 and job.running and time.monotonic() < deadline:
                time.sleep(0.05)
            assert job.running, "the first run is still going when the second starts"
    (first, long_run), (second, short_run) = sessions
    assert short_run.join(timeout=300) and short_run.error is None
    long_run.stop()
    assert long_run.join(timeout=300) and long_run.error is None
    folders = {at.session_state["ltrr_sim_folder"] for at in (first, second)}
    assert len(folders) == 2 and all((fresh_state / "simulator" / f).is_dir() for f in folders)


def test_simulator_runs_in_the_background_shows_cost_vs_quality_and_applies_to_live(fresh_state):
    at = open_app()
    at.switch_page("pages/3_Simulator.py").run()
    assert_clean(at)
    job = run_simulation_page(at, ["linucb", "static:lexical"], ["lexical", "fuzzy", "popular"], 30)
    assert job.result.steps == 30 and not job.stopped
    assert len(job.result.records) == 60
    assert any("Finished 30 simulated searches" in s.value for s in at.success)
    assert {m.label for m in at.metric} >= {"linucb", "static:lexical"}
    assert len(at.get("vega_lite_chart")) >= 3, "cost vs quality, candidates and success curves"
    assert not any("nan" in m.value.lower() for m in at.markdown), "targets never read NaN"
    # Simulations learn in their own folder, never in the live engine's state...
    assert (fresh_state / "simulator").is_dir()
    assert current_engine().status()["searches"] == 0
    # ...until applied: the live state then holds the simulated log.
    at.selectbox(key="ltrr_sim_apply_policy").select("linucb")
    at.button(key="ltrr_sim_apply").click().run(timeout=300)
    assert_clean(at)
    # Every simulated search, users' second searches after a failure included.
    logged = 30 + int(job.result.records.query("policy == 'linucb'")["retried"].sum())
    assert any(f"Replayed {logged} searches" in s.value for s in at.success)
    assert current_engine().status()["searches"] == logged


def test_simulator_run_survives_leaving_the_page(fresh_state):
    at = open_app()
    at.switch_page("pages/3_Simulator.py").run()
    at.multiselect(key="ltrr_sim_policies").set_value(["thompson"])
    at.multiselect(key="ltrr_sim_arms").set_value(["lexical", "popular"])
    at.number_input(key="ltrr_sim_steps").set_value(40)
    next(b for b in at.button if b.label == "Run simulation").click().run()
    job = at.session_state["ltrr_sim_job"]
    at.switch_page("app.py").run()               # leaving the page does not stop the run
    assert_clean(at)
    assert job.join(timeout=300) and job.error is None
    assert job.result.steps == 40
    at.switch_page("pages/3_Simulator.py").run()
    assert any("Finished 40 simulated searches" in s.value for s in at.success)


def test_simulator_keeps_the_curves_of_a_stopped_run(fresh_state):
    at = open_app()
    at.switch_page("pages/3_Simulator.py").run()
    job = run_simulation_page(at, ["thompson"], ["lexical", "popular"], 2_000, stop=True)
    assert job.stopped and job.steps_done() < 2_000
    assert any("Stopped after" in w.value for w in at.warning)
    assert at.get("vega_lite_chart")


def test_simulator_without_a_policy_says_so(fresh_state):
    at = open_app()
    at.switch_page("pages/3_Simulator.py").run()
    at.multiselect(key="ltrr_sim_policies").set_value([])
    next(b for b in at.button if b.label == "Run simulation").click().run()
    assert not at.exception
    assert any("at least one policy" in e.value for e in at.error)


# --- boundaries and helpers ------------------------------------------------------------------

def test_the_engine_package_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "ltrr").rglob("*.py")
                 if re.search(r"^\s*(import|from)\s+streamlit\b", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_the_sidebar_links_every_page_once():
    from ltrr_app.shared import PAGES as NAV

    assert sorted(path for path, _, _ in NAV) == sorted(["app.py", *PAGES])


def test_state_folders_per_policy_and_catalog(tmp_path):
    default = tmp_path / "data" / "catalog.duckdb"
    other = tmp_path / "data" / "beatles.duckdb"
    root = tmp_path / "state"
    assert state_dir_for(root, default, default, "linucb") == root / "linucb"
    assert state_dir_for(root, default, default, "static:lexical") == root / "static-lexical"
    assert state_dir_for(root, other, default, "linucb") == root / "catalogs" / "beatles" / "linucb"


@pytest.mark.parametrize("bad", ["", "   ", "../..", "/", "../../etc", "a/b", ".hidden", "a" * 65])
def test_unsafe_names_are_refused(bad):
    with pytest.raises(ValueError):
        safe_name(bad)


def test_names_are_slugged():
    assert safe_name("My Catalog 2!") == "my-catalog-2"
    assert policy_folder("static:lexical,fuzzy") == "static-lexical-fuzzy"


def test_hub_opens_each_engine_once_even_under_concurrency(tmp_path):
    calls, release = [], threading.Event()

    class FakeEngine:
        def __init__(self) -> None:
            self.closed = False

        def close(self) -> None:
            self.closed = True

    def opener(**kwargs):
        calls.append(kwargs)
        release.wait(5)
        return FakeEngine()

    prepared = []
    hub = EngineHub(opener=opener, prepare=lambda path, progress: prepared.append(path))
    got = []
    threads = [threading.Thread(target=lambda: got.append(hub.get(tmp_path / "c.duckdb", tmp_path / "s", "linucb")))
               for _ in range(4)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len(prepared) == 1
    assert len({id(e) for e in got}) == 1
    assert (tmp_path / "s").is_dir()
    other = hub.get(tmp_path / "c.duckdb", tmp_path / "s2", "thompson")
    assert other is not got[0]
    assert hub.close_catalog(tmp_path / "c.duckdb") == 2
    assert got[0].closed and other.closed and hub.open_engines() == []


def test_a_click_is_claimed_once_per_response_and_entity():
    hub = EngineHub(opener=lambda **kw: None)
    assert hub.claim_click("r1", "e1") is True
    assert hub.claim_click("r1", "e1") is False
    assert hub.claim_click("r1", "e2") is True
    assert hub.claim_click("r2", "e1") is True


def test_pressing_play_twice_on_one_result_counts_once(shared_state):
    at = search(open_app(), "save your tears")
    feedback_before = int(metric(at, "Clicks").replace(",", ""))
    play_buttons(at)[0].click().run()
    play_buttons(at)[0].click().run()
    assert_clean(at)
    assert metric(at, "Clicks this session") == "1"
    assert int(metric(at, "Clicks").replace(",", "")) == feedback_before + 1


def test_pulls_by_intent_counts_pulls_and_hits():
    import json

    log = pd.DataFrame([
        {"intent": "track", "n_clicks": 1,
         "selection": json.dumps([{"arm": "lexical", "selected": True, "budget": 2},
                                  {"arm": "fuzzy", "selected": True, "budget": 1},
                                  {"arm": "popular", "selected": False, "budget": 0}]),
         "by_arm": json.dumps({"lexical": [["a", 1.0], ["b", 0.5]], "fuzzy": [["c", 0.9], ["b", 0.1]]}),
         "clicks": json.dumps([{"entity_id": "b", "action": "click"}])},
        {"intent": "track", "n_clicks": 0,
         "selection": json.dumps([{"arm": "lexical", "selected": True, "budget": 2}]),
         "by_arm": json.dumps({"lexical": [["a", 1.0]]}), "clicks": "[]"},
    ])
    out = reports.pulls_by_intent(log).set_index("arm")
    assert out.loc["lexical", "pulls"] == 2 and out.loc["lexical", "hits"] == 1
    assert out.loc["lexical", "hit_rate"] == pytest.approx(0.5)
    # fuzzy had "b" only beyond its budget of 1: not a hit.
    assert out.loc["fuzzy", "pulls"] == 1 and out.loc["fuzzy", "hits"] == 0
    assert "popular" not in out.index


def test_filter_log_is_literal_and_combines_filters():
    log = pd.DataFrame({"query": ["a(b", "ab", "xyz"], "user_id": ["u1", "u2", "u1"],
                        "policy": ["linucb"] * 3, "intent": ["track", None, "artist"], "n_clicks": [1, 0, 2]})
    assert reports.filter_log(log, text="(").index.tolist() == [0]
    assert reports.filter_log(log, users=["u1"], clicked_only=True).index.tolist() == [0, 2]
    assert reports.filter_log(log, intents=["any"]).index.tolist() == [1]


def test_a_play_after_a_search_left_without_one_teaches_that_search(fresh_state):
    at = search(open_app(), "blnk spce tayler")
    left = at.session_state["ltrr_response"]
    at = search(at, "blank space")
    assert at.session_state["ltrr_left"][0] == left.id
    target = next(b for b in play_buttons(at))
    target.click().run()
    assert_clean(at)
    assert at.session_state["ltrr_left"] is None
    engine = current_engine()
    later = [e for e in engine.log_events() if e.get("action") == "found_later"]
    assert [e["search_id"] for e in later] == [left.id]
    assert any("previous search" in t.value for t in at.toast)
    # Only the search just left: a later play teaches nothing more, and the click counters count clicks.
    at = search(at, "shake it off")
    assert at.session_state["ltrr_left"] is None
    assert sum(e.get("action") == "found_later" for e in engine.log_events()) == 1
    assert metric(at, "Clicks this session") == "1"


def test_the_memory_page_shows_how_asks_are_reworded(fresh_state):
    at = open_app()
    engine = current_engine()
    ctx = {"user_id": "u1", "session_id": "s1"}
    failed = engine.search("easygoing rnb", ctx)
    engine.feedback(failed.id, action="skip")
    found = engine.search("rnb chill", ctx)
    engine.feedback(found.id, "track:gooddays")
    at.switch_page("pages/2_Memory.py").run()
    assert_clean(at)
    assert [e.label for e in at.expander if e.label.startswith("Rewordings learned")] == ["Rewordings learned (1)"]
    learned = frame_with(at, "replacement")
    assert learned[["pattern", "replacement", "users"]].values.tolist() == [["easygoing ∗", "∗ chill", 1]]
    at.text_input(key="ltrr_mem_query").input("easygoing rap").run()
    assert_clean(at)
    assert any(e.label == "How “easygoing rap” is searched again (1)" for e in at.expander)
    assert frame_with(at, "reworded")["reworded"].tolist() == ["rap chill"]
    assert any("what its rewording above finds" in i.value for i in at.info)
