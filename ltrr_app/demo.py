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

from ltrr_app import bandit_view, cards, stories
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
                for i, step in enumerate(steps):
                    st.button(step.label, key=f"ltrr_story_{story.key}_{i}", on_click=_run_step, args=(step,),
                              icon=":material/play_arrow:", width="stretch")
                _progress(story.key, steps)
            else:
                st.markdown("Use the form below: the default policies are the ones the story needs.")
        with right:
            st.markdown("**What to look for**")
            st.markdown("\n".join(f"- {line}" for line in LOOK_FOR.get(story.key, [])))


def _progress(key: str, steps: list[stories.Step]) -> None:
    """Story-specific evidence under the steps: rank trails, or the two queries side by side."""
    state = st.session_state
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
