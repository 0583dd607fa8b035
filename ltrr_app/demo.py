"""The guided demo on the pages: the story panel, catalog-aware examples and honest notes.

Stories and examples are written by :mod:`ltrr_app.stories` from what the open
catalog holds; this module only renders them and wires their buttons to the
Search page's widgets.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ltrr_app import bandit_view, broad, cards, shared, stories
from ltrr_app.stories import LOOK_FOR, STORIES, CatalogFacts

PAGE_LINKS = {"search": ("app.py", "Search page"), "simulator": ("pages/3_Simulator.py", "Simulator page")}
TYPE_PLURALS = {"podcast": "podcasts", "episode": "podcast episodes", "playlist": "playlists",
                "album": "albums", "artist": "artists", "track": "songs"}


@st.cache_resource(show_spinner=False, max_entries=16)
def _facts(catalog: str, _engine: Any) -> CatalogFacts:
    return CatalogFacts.from_engine(_engine)


def catalog_facts(engine: Any, catalog: Path) -> CatalogFacts:
    """What the open catalog holds (cached per catalog file; read once per process)."""
    try:
        return _facts(str(Path(catalog).resolve()), engine)
    except Exception:  # noqa: BLE001 - examples are optional; the page must still work
        return CatalogFacts(counts={})


def examples(facts: CatalogFacts) -> list[str]:
    """Example queries for this catalog (a plain fallback when it tells us nothing)."""
    return stories.examples(facts) or ["love", "rock", "new releases"]


def probe_queries(facts: CatalogFacts) -> dict[str, str]:
    """Typical queries per kind this catalog can answer (see ``stories.probe_queries``)."""
    return stories.probe_queries(facts)


def honest_notes(understanding: Any, facts: CatalogFacts) -> list[str]:
    """Say plainly when the catalog cannot answer what the query asks for."""
    notes = []
    unmatched = tuple(getattr(understanding, "unmatched_moods", ()) or ())
    if unmatched:
        words = ", ".join(f"“{w}”" for w in unmatched)
        notes.append(f"**No mood match.** This catalog has no mood labels for {words}, so those words are "
                     "searched as plain text; the meaning (semantic) arm is the one that can still pick up "
                     "the feel of the query.")
    asked = getattr(getattr(understanding, "best", None), "entity_type", None)
    if asked and facts.counts and not facts.has(asked):
        notes.append(f"**This catalog has no {TYPE_PLURALS.get(asked, asked + 's')}.** The results are other "
                     "entries whose words match the query.")
    return notes


def remember_response(resp: Any) -> None:
    """Keep what the bandit chose for the latest queries (the context story compares two)."""
    state = st.session_state
    seen = state.setdefault("ltrr_story_seen", {})
    seen.pop(resp.query, None)
    seen[resp.query] = {"intent": resp.understanding.intent, "used": bandit_view.chips(resp.selection),
                        "hour": (state.get("ltrr_request") or {}).get("hour")}
    while len(seen) > 6:
        seen.pop(next(iter(seen)))


def _run_step(step: stories.Step) -> None:
    state = st.session_state
    state["ltrr_query"] = step.query
    if step.hour is not None:
        state["ltrr_hour"] = state["ltrr_hour_pick"] = int(step.hour)
    if step.user is not None:
        state["ltrr_user"] = state["ltrr_user_pick"] = step.user
    if step.k is not None and int(state["ltrr_k"]) < step.k:
        state["ltrr_k"] = state["ltrr_k_pick"] = step.k


def story_panel(engine: Any, facts: CatalogFacts, page: str) -> None:
    """The chosen guided story, if any: its steps as buttons and what to look for."""
    key = st.session_state.get("ltrr_story")
    story = STORIES.get(key) if key else None
    if story is None:
        return
    with st.container(border=True, key="ltrr_story_panel"):
        st.markdown(f"#### :material/auto_stories: {story.title}")
        st.caption(story.summary)
        if story.page != page:
            path, label = PAGE_LINKS[story.page]
            st.page_link(path, label=f"This story happens on the {label}: go there", icon=":material/arrow_forward:")
            return
        left, right = st.columns([1, 1], gap="medium")
        with left:
            if story.page == "search":
                steps = stories.steps(story.key, facts)
                if not steps:
                    st.caption("This catalog does not hold what this story needs (for example no recent "
                               "releases); try another story.")
                if story.key == "broad" and steps:
                    _broad_steps(engine, facts, steps)
                else:
                    for i, step in enumerate(steps):
                        st.button(step.label, key=f"ltrr_story_{story.key}_{i}", on_click=_run_step,
                                  args=(step,), icon=":material/play_arrow:", width="stretch")
                _progress(story.key, steps, engine)
            else:
                st.markdown("Use the form below: the default policies are the ones the story needs.")
        with right:
            st.markdown("**What to look for**")
            st.markdown("\n".join(f"- {line}" for line in LOOK_FOR.get(story.key, [])))


def _broad_steps(engine: Any, facts: CatalogFacts, steps: list[stories.Step]) -> None:
    """The broad story's buttons: three simulated listeners (or the person as u1-u3), then the fourth."""
    told = stories.broad_plan(facts)
    st.markdown(f"① **Three listeners** ask “{told.vague}”, find nothing they want, reword it to "
                f"“{told.reworded}” and play a song.")
    st.button("Let three listeners do it", key="ltrr_broad_teach", on_click=_teach, args=(engine, told),
              icon=":material/groups:", type="primary", width="stretch")
    st.caption(f"Or be them yourself as u1, u2 and u3 in turn (the User box): ask “{told.vague}”, reword it "
               f"to “{told.reworded}” and ▶ Play the same song.")
    ask, reword = st.columns(2)
    for i, (col, step) in enumerate(zip((ask, reword), steps[:2])):
        col.button(step.label, key=f"ltrr_story_broad_{i}", on_click=_run_step, args=(step,),
                   icon=":material/play_arrow:", width="stretch")
    st.button(steps[2].label, key="ltrr_story_broad_2", on_click=_run_step, args=(steps[2],),
              icon=":material/person_search:", width="stretch")


def _teach(engine: Any, told: stories.BroadPlan) -> None:
    """Callback of "Let three listeners do it": they search, reword and play through the engine's API."""
    state = st.session_state
    try:
        state["ltrr_broad_taught"] = broad.teach(engine, told, int(state["ltrr_hour"]))
    except Exception as exc:  # noqa: BLE001 - shown as a message, never a traceback
        shared.flash("error", f"**The listeners could not finish.** {shared.error_text(exc)}")
        return
    taught = state["ltrr_broad_taught"]
    st.toast(f"Three listeners reworded “{taught.vague}” and played **{cards.md_escape(taught.title)}**",
             icon=":material/school:")


def _broad_progress(engine: Any) -> None:
    """What the listeners played, and, once the fourth user asked, where the vague ask's answer came from."""
    state = st.session_state
    taught = state.get("ltrr_broad_taught")
    if taught is not None:
        before = f"#{taught.rank_before}" if taught.rank_before else "not in its top ten"
        st.markdown(f"The listeners played **{cards.md_escape(taught.title)}** after “{taught.reworded}” "
                    f"(for “{taught.vague}” it was {before}).")
    resp, request = state.get("ltrr_response"), state.get("ltrr_request") or {}
    if resp is None or request.get("user_id") != stories.FOURTH_USER \
            or str(request.get("query", "")).strip().lower() != stories.VAGUE_ASK:
        return
    learned = broad.origins(engine, stories.VAGUE_ASK)
    shown = sorted((rank, eid) for eid in learned if (rank := broad.rank_of(resp, eid)) is not None)
    if shown:
        rank, eid = shown[0]
        where = learned[eid]
        st.success(f"**{cards.md_escape(where.title)}** is #{rank} in {stories.FOURTH_USER}'s top ten: "
                   f"{where.sentence()}.", icon=":material/lightbulb:")
        if st.button("Where it came from: the Memory page", key="ltrr_broad_memory", icon=":material/psychology:"):
            state["ltrr_mem_query"] = stories.VAGUE_ASK
            st.switch_page("pages/2_Memory.py")
    elif learned:
        st.warning("The memory learned an answer from rewording, but it is not in this top ten yet: let more "
                   "listeners reword (①).", icon=":material/hourglass_top:")
    else:
        st.info("Nothing learned for this ask yet: do ① first.", icon=":material/info:")


def _progress(key: str, steps: list[stories.Step], engine: Any = None) -> None:
    """Story-specific evidence under the steps: rank trails, the two queries side by side, or where a
    vague ask's answer came from."""
    state = st.session_state
    if key == "broad" and engine is not None:
        _broad_progress(engine)
    if key == "clicks":
        trails = [t for k, t in state.get("ltrr_trails", {}).items() if t["ranks"]]
        for trail in trails[-3:]:
            st.markdown(f"**{cards.md_escape(trail['title'])}**: rank {bandit_view.trail_text(trail['ranks'])}")
    elif key == "context":
        seen = state.get("ltrr_story_seen", {})
        rows = []
        for step in steps:
            info = seen.get(step.query)
            if info:
                rows.append({"query": step.query, "understood as": info["intent"],
                             "arms (budget)": ", ".join(f"{a} {b}" for a, b in info["used"])})
        if len(rows) == 2:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="ltrr_story_compare")
        elif rows:
            st.caption("Now run the other query to compare.")
