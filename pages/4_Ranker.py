"""Ranker page: LambdaMART training status, retraining and feature importances."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ltrr_app import charts, shared
from ltrr_app.shared import guarded

shared.page_setup("Ranker", ":material/leaderboard:")
state = st.session_state
engine = shared.current_engine()
shared.sidebar_status(engine)

st.title("Ranker: ordering the blended candidates")
st.caption("Until enough searches have a click, a hand-written heuristic orders the union of the arms' "
           "candidates. After that a LightGBM LambdaMART model learns from the clicked sessions, and it "
           "retrains in the background as clicks arrive.")


def train_now() -> None:
    """The retrain button: train synchronously and keep the report for this run."""
    from ltrr.errors import LtrrError

    try:
        state["ltrr_rank_report"] = engine.train_ranker()
        shared.flash("success", "Ranker trained.")
    except LtrrError as exc:
        shared.flash("warning", f"**Not trained.** {exc}")
    except Exception as exc:  # noqa: BLE001 - shown, never a traceback
        shared.flash("error", f"**Training failed.** {shared.error_text(exc)}")


status: dict = {}
with guarded("Reading the ranker status"):
    status = engine.ranker_status()

sessions, needed = int(status.get("n_sessions", 0) or 0), int(status.get("min_sessions", 0) or 0)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Model", f"LightGBM v{status.get('version')}" if status.get("trained") else "heuristic", border=True)
c2.metric("Clicked sessions", f"{sessions:,}", border=True, help=f"Needed before the first training: {needed}")
c3.metric("Training examples", f"{int(status.get('n_examples', 0) or 0):,}", border=True,
          help="One row per candidate of a clicked search")
c4.metric("Minimum sessions", f"{needed:,}", border=True)
if needed and not status.get("trained"):
    st.progress(min(1.0, sessions / needed), text=f"{sessions} of {needed} clicked sessions before the first model")

st.button("Retrain now", key="ltrr_rank_train", type="primary", icon=":material/model_training:",
          on_click=train_now, help="Train on every clicked session stored so far")
shared.show_flashes()

report = state.get("ltrr_rank_report") or status.get("report") or {}
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Feature importances")
    with guarded("Reading feature importances"):
        importances = engine.feature_importances()
        chart = charts.importance_chart(importances)
        if chart is None:
            st.info("No model yet, so no importances: the heuristic ranker is in use.",
                    icon=":material/hourglass_empty:")
        else:
            if not status.get("trained"):
                st.caption("No model trained yet: these are the heuristic ranker's weights.")
            st.altair_chart(chart, width="stretch")
with right:
    st.subheader("Last training")
    if not report:
        st.caption("Not trained yet.")
    else:
        scalars = {k: v for k, v in report.items() if isinstance(v, (int, float, str, bool)) or v is None}
        nested = {k: v for k, v in report.items() if k not in scalars}
        if scalars:
            st.dataframe(pd.DataFrame([(k, str(v)) for k, v in scalars.items()], columns=["measure", "value"]),
                         hide_index=True, width="stretch")
        for key, value in nested.items():
            with st.expander(str(key)):
                st.json(value)
