"""The Streamlit playground under streamlit.testing's AppTest: every page opens,
a search and a ▶ Play click visibly change the counters and the bandit's
statistics, and bad input gives a message, never a traceback.

The engine is real (tiny catalog in tmp, via LTRR_CATALOG / LTRR_STATE); the
semantic arm opens in the background, so no test waits for the MiniLM model.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ltrr_app import reports
from ltrr_app.cards import PLAY_LABEL
from ltrr_app.hub import EngineHub, policy_folder, safe_name, state_dir_for

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

def test_search_and_play_change_counters_memory_and_bandit(shared_state):
    at = open_app()
    at.switch_page("pages/1_Bandit.py").run()
    assert_clean(at)
    pulls_before = int(frame_with(at, "pulls")["pulls"].sum())

    at.switch_page("app.py").run()
    search(at, "blank space")
    buttons = play_buttons(at)
    assert buttons, "a search for a title in the catalog shows playable results"
    assert metric(at, "Clicks this session") == "0"
    feedback_before = int(metric(at, "Feedback given").replace(",", ""))
    assert "Δ p" not in frame_with(at, "p then").columns

    buttons[0].click().run()
    assert_clean(at)
    assert metric(at, "Clicks this session") == "1"
    assert int(metric(at, "Feedback given").replace(",", "")) == feedback_before + 1
    # The memory entry for (query, clicked entity) is shown with its click.
    assert int(metric(at, "Clicks")) >= 1
    assert int(metric(at, "Impressions")) >= 1
    # The bandit panel now shows how the click moved each arm's probability.
    assert "Δ p" in frame_with(at, "p then").columns
    assert any("played ✓" in c.value for c in at.caption)

    at.switch_page("pages/1_Bandit.py").run()
    assert_clean(at)
    report = frame_with(at, "pulls")
    assert int(report["pulls"].sum()) > pulls_before
    assert float(report["rewards"].sum()) >= 1.0


def test_results_stay_put_across_reruns_and_search_again_makes_a_new_search(shared_state):
    at = search(open_app(), "kill bill")
    first = at.session_state["ltrr_response"].id
    at.run()
    assert at.session_state["ltrr_response"].id == first, "a rerun must not search again"
    at.button(key="ltrr_search_go").click().run()
    assert_clean(at)
    assert at.session_state["ltrr_response"].id != first


def test_why_view_shows_arms_and_contributions(shared_state):
    at = search(open_app(), "halo")
    resp = at.session_state["ltrr_response"]
    assert resp.results
    at.session_state[f"ltrr_res_{resp.id}_1_why"] = True   # open the first result's popover
    at.run()
    assert_clean(at)
    arms = frame_with(at, "rank in arm")
    assert set(arms["arm"]) == set(resp.results[0].arms)


def test_every_strategy_column_and_the_pool_are_shown(shared_state):
    at = search(open_app(), "taylor swift")
    resp = at.session_state["ltrr_response"]
    shown_arms = {m.value.split("**")[1].replace("\\", "") for m in at.markdown
                  if "●" in m.value and "**" in m.value}
    assert set(resp.by_arm) <= shown_arms
    pool = frame_with(at, "pool #")
    assert len(pool) == len(resp.pool)
    finals = pool["final #"].dropna().astype(int).tolist()
    assert sorted(finals) == list(range(1, len(resp.results) + 1))


def test_example_pill_fills_the_query_and_searches(fresh_state):
    at = open_app()
    assert not play_buttons(at), "no search before a query is typed"
    at.pills(key="ltrr_example").set_value("sad songs").run()
    assert_clean(at)
    assert at.text_input(key="ltrr_query").value == "sad songs"
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


# --- the other pages ---------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_cleanly(shared_state, page):
    at = open_app()
    at.switch_page(page).run()
    assert_clean(at)
    assert at.title, f"{page} has a title"


def test_switching_policy_uses_a_fresh_state_folder(fresh_state):
    at = open_app()
    at.switch_page("pages/1_Bandit.py").run()
    at.selectbox(key="ltrr_policy_pick").select("thompson").run()
    assert_clean(at)
    assert at.session_state["ltrr_policy"] == "thompson"
    assert (fresh_state / "thompson").is_dir()
    assert any("thompson" in s.value for s in at.success)
    at.switch_page("app.py").run()
    assert metric(at, "Policy") == "thompson"
    assert metric(at, "Searches") == "0", "a new policy starts from nothing"


def test_memory_page_highlights_entries_learned_from_clicks(fresh_state):
    at = search(open_app(), "good days")
    # The last result is one the catalog's metadata did not predict for this query:
    # a click on it is something the memory can only have learned from the click.
    play_buttons(at)[-1].click().run()
    at.switch_page("pages/2_Memory.py").run()
    assert_clean(at)
    assert int(metric(at, "Learned from clicks")) == 1
    entries = frame_with(at, "learned_from_clicks")
    assert entries["learned_from_clicks"].sum() == 1
    assert at.selectbox(key="ltrr_mem_entry").format_func(at.selectbox(key="ltrr_mem_entry").value).startswith("★")
    assert at.get("vega_lite_chart"), "predicted-vs-observed scatter and entry history are drawn"
    at.text_input(key="ltrr_mem_query").input("no such query at all").run()
    assert_clean(at)
    assert any("No memory for" in i.value for i in at.info)


def test_logs_page_filters_downloads_snapshots_and_resets(fresh_state):
    at = search(open_app(), "illmatic")
    play_buttons(at)[0].click().run()
    at.switch_page("pages/5_Logs.py").run()
    assert_clean(at)
    assert len(frame_with(at, "query")) == 1
    assert {b.label for b in at.download_button} == {"Download Parquet", "Download CSV", "Download JSONL"}

    at.text_input(key="ltrr_log_text").input("(no match").run()   # regex metacharacters are literal
    assert_clean(at)
    assert metric(at, "Searches shown") == "0"

    at.text_input(key="ltrr_log_snap_name").input("before demo").run()
    at.button(key="ltrr_log_snapshot").click().run()
    assert_clean(at)
    saved = [s.value for s in at.success if "Snapshot saved" in s.value]
    assert saved and Path(re.search(r"`([^`]+)`", saved[0]).group(1)).exists()

    assert at.button(key="ltrr_log_reset").disabled, "reset needs a confirmation first"
    at.checkbox(key="ltrr_log_confirm").check().run()
    at.button(key="ltrr_log_reset").click().run()
    assert_clean(at)
    assert any("reset" in s.value for s in at.success)
    at.switch_page("app.py").run()
    assert metric(at, "Feedback given") == "0"
    # The query is still in the box, so the page searched it once more, on the fresh state.
    assert metric(at, "Searches") == "1"


def test_ranker_page_retrain_without_enough_data_explains_why(fresh_state):
    at = open_app()
    at.switch_page("pages/4_Ranker.py").run()
    assert_clean(at)
    assert metric(at, "Model") == "heuristic"
    at.button(key="ltrr_rank_train").click().run()
    assert not at.exception
    assert any("Not trained" in w.value for w in at.warning)


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
    at.selectbox(key="ltrr_cat_map_title").select("Song")
    at.selectbox(key="ltrr_cat_map_artist").select("Band")
    at.text_input(key="ltrr_cat_import_name").input("beatles")
    imported = app_catalog.parent / "beatles.duckdb"
    try:
        at.button(key="ltrr_cat_import").click().run()
        assert_clean(at)
        assert imported.is_file()
        assert any("Imported 2 of 3 rows" in s.value for s in at.success)
        before = imported.stat().st_mtime_ns
        at.button(key="ltrr_cat_import").click().run()          # same name again: refused, not overwritten
        assert any("already exists" in e.value for e in at.error)
        assert imported.stat().st_mtime_ns == before
    finally:
        imported.unlink(missing_ok=True)


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
        assert (fresh_state / "catalogs" / "small-one" / "linucb").is_dir()
    finally:
        built.unlink()


def test_simulator_runs_policies_side_by_side_and_shows_curves(fresh_state):
    at = open_app()
    at.switch_page("pages/3_Simulator.py").run()
    assert_clean(at)
    at.multiselect(key="ltrr_sim_policies").set_value(["linucb", "static:lexical"])
    at.multiselect(key="ltrr_sim_arms").set_value(["lexical", "fuzzy", "popular"])
    at.number_input(key="ltrr_sim_steps").set_value(30)
    at.number_input(key="ltrr_sim_users").set_value(5)
    next(b for b in at.button if b.label == "Run simulation").click().run(timeout=300)
    assert_clean(at)
    result = at.session_state["ltrr_sim_result"]
    assert result.steps == 30 and not result.stopped
    assert len(result.records) == 60
    assert any("Finished 30 simulated searches" in s.value for s in at.success)
    summary = frame_with(at, "success_last")
    assert summary["policy"].tolist() == ["linucb", "static:lexical"]
    assert {m.label for m in at.metric} >= {"linucb", "static:lexical"}
    assert len(at.get("vega_lite_chart")) >= 3
    # Simulations learn in their own folder, never in the live engine's state.
    assert (fresh_state / "simulator" / "linucb").is_dir()
    at.switch_page("app.py").run()
    assert metric(at, "Searches") == "0"


def test_simulator_keeps_the_curves_of_a_stopped_run(fresh_state):
    at = open_app()
    at.switch_page("pages/3_Simulator.py").run()
    at.multiselect(key="ltrr_sim_policies").set_value(["thompson"])
    at.multiselect(key="ltrr_sim_arms").set_value(["lexical", "popular"])
    at.number_input(key="ltrr_sim_steps").set_value(12)
    next(b for b in at.button if b.label == "Run simulation").click().run(timeout=300)
    records = at.session_state["ltrr_sim_result"].records.to_dict("records")
    # What a Stop press leaves behind: the records so far, and no finished result.
    at.session_state["ltrr_sim_records"] = records[:5]
    at.session_state["ltrr_sim_result"] = None
    at.button(key="ltrr_sim_stop").click().run()
    assert_clean(at)
    assert any("Stopped: 5 policy-searches" in w.value for w in at.warning)
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
    feedback_before = int(metric(at, "Feedback given").replace(",", ""))
    play_buttons(at)[0].click().run()
    play_buttons(at)[0].click().run()
    assert_clean(at)
    assert metric(at, "Clicks this session") == "1"
    assert int(metric(at, "Feedback given").replace(",", "")) == feedback_before + 1


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


def test_cumulative_reward_per_arm_and_total():
    history = pd.DataFrame({"step": [1, 1, 2, 2, 3], "arm": ["a", "b", "a", "b", "a"],
                            "reward": [1.0, 0.0, 1.0, None, 0.0]})
    out = reports.cumulative_reward(history)
    total = out[out["series"] == "all arms"].set_index("step")["cumulative_reward"]
    assert total.tolist() == [1.0, 2.0, 2.0]
    arm_a = out[out["series"] == "a"].set_index("step")["cumulative_reward"]
    assert arm_a.tolist() == [1.0, 2.0, 2.0]


def test_filter_log_is_literal_and_combines_filters():
    log = pd.DataFrame({"query": ["a(b", "ab", "xyz"], "user_id": ["u1", "u2", "u1"],
                        "policy": ["linucb"] * 3, "intent": ["track", None, "artist"], "n_clicks": [1, 0, 2]})
    assert reports.filter_log(log, text="(").index.tolist() == [0]
    assert reports.filter_log(log, users=["u1"], clicked_only=True).index.tolist() == [0, 2]
    assert reports.filter_log(log, intents=["any"]).index.tolist() == [1]
