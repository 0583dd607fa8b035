"""Logs page: the interaction log as a filterable table, downloads, reset and snapshots."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from ltrr.state import safe_name
from ltrr_app import reports, shared
from ltrr_app.shared import guarded

FORMATS = {"parquet": ("Parquet", "application/vnd.apache.parquet"), "csv": ("CSV", "text/csv"),
           "jsonl": ("JSONL", "application/x-ndjson")}
DEMO_SNAPSHOT = "demo"
# Few enough columns to fit 1280 px; the downloads hold every column.
TABLE_COLUMNS = ["ts", "user_id", "query", "intent", "arms_selected", "n_clicks"]

engine = shared.open_page("Logs", ":material/receipt_long:", "Interaction log",
                          "Every search and every click, append-only. The learning state is rebuilt from this log "
                          "when the engine starts, so it is the source of truth.")
state = st.session_state


def export_bytes(fmt: str) -> bytes:
    """The whole log in one format, written by the engine to a private temp folder."""
    with tempfile.TemporaryDirectory(prefix="ltrr-export-") as tmp:
        return Path(engine.export(tmp, fmt=fmt)).read_bytes()


def do_reset() -> None:
    """Forget everything this policy learned; the old state is kept as a snapshot."""
    try:
        snap = engine.reset()
    except Exception as exc:  # noqa: BLE001 - shown, never a traceback
        shared.flash("error", f"**Reset failed.** {shared.error_text(exc)}")
        return
    # The response on the Search page belongs to the forgotten state.
    state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None
    state["ltrr_log_confirm"] = False
    shared.flash("success", f"Learning state reset. The previous state was kept as snapshot “{Path(snap).name}”.")


def do_snapshot() -> None:
    """Copy the learning state under a name."""
    try:
        name = safe_name(state.get("ltrr_log_snap_name", ""))
        path = engine.snapshot(name)
    except Exception as exc:  # noqa: BLE001
        shared.flash("error", f"**Snapshot failed.** {shared.error_text(exc)}")
        return
    shared.flash("success", f"Snapshot “{Path(path).name}” saved.")


def do_restore(name: str | None) -> None:
    """Make a snapshot the live state (the current one is kept as a snapshot first)."""
    if not name:
        shared.flash("warning", "Choose a snapshot to restore.")
        return
    try:
        kept = engine.restore(name)
    except Exception as exc:  # noqa: BLE001
        shared.flash("error", f"**Restore failed.** {shared.error_text(exc)}")
        return
    state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None
    state["ltrr_trails"] = {}
    shared.flash("success", f"Restored “{name}”. The state it replaced was kept as snapshot “{Path(kept).name}”.")


log = None
with guarded("Reading the log"):
    log = engine.log_frame()

if log is None or log.empty:
    st.info("The log is empty: search on the Search page to fill it.", icon=":material/hourglass_empty:")
else:
    with st.container(border=True):
        f1, f2, f3, f4, f5 = st.columns([2.6, 2, 2, 2, 1.5], vertical_alignment="bottom")
        text = f1.text_input("Query contains", key="ltrr_log_text", icon=":material/filter_list:")
        users = f2.multiselect("User", sorted(log["user_id"].dropna().unique()), key="ltrr_log_users")
        policies = f3.multiselect("Policy", sorted(log["policy"].dropna().unique()), key="ltrr_log_policies")
        intents = f4.multiselect("Intent", sorted(log["intent"].fillna("any").unique()), key="ltrr_log_intents")
        clicked = f5.toggle("Clicked", key="ltrr_log_clicked")
    shown = reports.filter_log(log, text=text, users=users, policies=policies, intents=intents,
                               clicked_only=clicked)
    c1, c2, c3 = st.columns(3)
    c1.metric("Searches shown", f"{len(shown):,}", f"of {len(log):,}", delta_color="off", delta_arrow="off",
              border=True)
    c2.metric("With a click", f"{int((shown['n_clicks'] > 0).sum()):,}", border=True)
    c3.metric("Click-through", f"{(shown['n_clicks'] > 0).mean():.0%}" if len(shown) else "–", border=True)
    st.dataframe(shown[[c for c in TABLE_COLUMNS if c in shown.columns]].iloc[::-1], hide_index=True,
                 width="stretch", height=min(420, 38 + 35 * max(1, len(shown))), key="ltrr_log_table",
                 column_config={"n_clicks": st.column_config.NumberColumn("clicks", width="small"),
                                "ts": st.column_config.DatetimeColumn("time", format="HH:mm:ss", width="small"),
                                "user_id": st.column_config.TextColumn("user", width="small"),
                                "arms_selected": st.column_config.TextColumn("arms that ran")})
    st.caption("Newest first. The downloads hold the whole log with every column "
               "(context, understanding, selection, per-arm lists).")

    cols = st.columns(len(FORMATS))
    for col, (fmt, (label, mime)) in zip(cols, FORMATS.items()):
        # A callable: the file is written only when someone clicks, not on every rerun.
        col.download_button(f"Download {label}", data=lambda fmt=fmt: export_bytes(fmt),
                            file_name=f"ltrr-log.{fmt}", mime=mime, key=f"ltrr_log_dl_{fmt}",
                            icon=":material/download:", on_click="ignore", width="stretch")

st.subheader("Learning state")
shared.show_flashes()
snapshots: list[str] = []
with guarded("Listing snapshots"):
    snapshots = engine.snapshots()
left, mid, right = st.columns(3, gap="medium")
with left:
    with st.container(border=True):
        st.markdown("**Snapshot**: keep the current state (log, bandit, memory, ranker) under a name.")
        st.text_input("Snapshot name", key="ltrr_log_snap_name", placeholder=f"e.g. {DEMO_SNAPSHOT}")
        st.button("Save snapshot", key="ltrr_log_snapshot", icon=":material/save:", on_click=do_snapshot)
with mid:
    with st.container(border=True):
        st.markdown(f"**Restore** a snapshot. **Prepare demo** restores the one named “{DEMO_SNAPSHOT}”.")
        pick = st.selectbox("Snapshot", snapshots, key="ltrr_log_restore_pick", index=0 if snapshots else None,
                            placeholder="no snapshot yet")
        st.button("Restore", key="ltrr_log_restore", icon=":material/history:", on_click=do_restore, args=(pick,),
                  disabled=not snapshots)
        st.button("Prepare demo", key="ltrr_log_prepare", type="primary", icon=":material/slideshow:",
                  on_click=do_restore, args=(DEMO_SNAPSHOT,), disabled=DEMO_SNAPSHOT not in snapshots,
                  help=f"Save a snapshot named “{DEMO_SNAPSHOT}” once the state looks right; this button brings "
                       "it back before every demo")
with right:
    with st.container(border=True):
        st.markdown(f"**Reset**: forget what the **{state['ltrr_policy']}** policy learned. The old state is "
                    "kept as a snapshot first.")
        confirm = st.checkbox("Yes, start this policy from scratch", key="ltrr_log_confirm")
        st.button("Reset learning state", key="ltrr_log_reset", type="primary", disabled=not confirm,
                  icon=":material/restart_alt:", on_click=do_reset)
