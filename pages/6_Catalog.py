"""Catalog page: counts, browsing, switching catalogs, building a synthetic one, importing a file."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from ltrr.state import safe_name
from ltrr_app import cards, importing, shared
from ltrr_app.labels import count, plural
from ltrr_app.shared import guarded

MAX_TRACKS = 200_000

shared.page_setup("Catalog", ":material/library_music:")
state = st.session_state
engine = shared.current_engine()
shared.sidebar_status(engine)


def catalog_home() -> Path:
    """Where built and imported catalogs go: next to the default catalog."""
    from ltrr.config import default_catalog_path

    return default_catalog_path().parent


def known_catalogs() -> list[str]:
    """Catalog files the session can switch to (the default, the current one and any in the home folder)."""
    from ltrr.config import default_catalog_path

    found = sorted(str(p) for p in catalog_home().glob("*.duckdb"))
    return list(dict.fromkeys([str(default_catalog_path()), state["ltrr_catalog"], *found]))


def use_catalog(path: str) -> None:
    """Point this session at another catalog (its engine opens on the next run)."""
    if path and path != state["ltrr_catalog"]:
        state["ltrr_catalog"] = path
        state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None
        shared.flash("success", f"Now searching **{shared.catalog_label(path)}**.")


def new_catalog_path(name: str) -> Path:
    """A fresh catalog file for a user-given name; existing catalogs are never overwritten."""
    dest = catalog_home() / f"{safe_name(name)}.duckdb"
    if dest.exists():
        raise ValueError(f"a catalog named “{dest.stem}” already exists; choose another name")
    return dest


st.title("Catalog")
st.caption(f"Searching **{shared.catalog_label()}**.")
shared.show_flashes()

with guarded("Counting the catalog"):
    counts = engine.catalog_counts()
    # At most three cards a row: six in one row at 1280 px cut "50,000" to "50,…".
    items = list(counts.items())
    for start in range(0, len(items), 3):
        cols = st.columns(3)
        for col, (kind, n) in zip(cols, items[start:start + 3]):
            col.metric(plural(kind), f"{n:,}", border=True, icon=cards.TYPE_ICONS.get(kind))

# A keyed tab bar remembers the open tab across reruns: an upload must not jump to another tab.
browse_tab, switch_tab, build_tab, import_tab = st.tabs(
    ["Browse", "Switch catalog", "Build a synthetic catalog", "Import CSV / Parquet"], key="ltrr_cat_tabs",
    on_change="rerun")

# --- browse ---------------------------------------------------------------------
with browse_tab:
    from ltrr.catalog.schema import ENTITY_TYPES

    b1, b2, b3 = st.columns([1, 3, 1], vertical_alignment="bottom")
    kind = b1.selectbox("Type", ["all", *ENTITY_TYPES], key="ltrr_cat_type")
    text = b2.text_input("Title contains", key="ltrr_cat_text", icon=":material/search:")
    limit = b3.selectbox("Rows", [50, 100, 500], index=1, key="ltrr_cat_limit")
    with guarded("Browsing"):
        frame = engine.browse(None if kind == "all" else kind, text=text, limit=limit)
        if frame.empty:
            st.caption("Nothing matches.")
        else:
            # Fixed widths that add up to less than the frame at 1280 px: left to size themselves, long
            # titles widened the grid past its frame and hid the last columns behind a sideways scroll.
            st.dataframe(frame, hide_index=True, width="stretch", height=440, key="ltrr_cat_table",
                         column_config={
                             "entity_id": st.column_config.TextColumn("id", width=110),
                             "entity_type": st.column_config.TextColumn("type", width=70),
                             "title": st.column_config.TextColumn("title", width=190),
                             "subtitle": st.column_config.TextColumn("by / in", width=150),
                             "genre": st.column_config.TextColumn("genre", width=75),
                             "popularity": st.column_config.ProgressColumn(
                                 "popularity", min_value=0.0, max_value=100.0, format="%.0f", width=90),
                             "release_date": st.column_config.DateColumn("release date", format="YYYY-MM-DD",
                                                                         width=95)})

# --- switch -------------------------------------------------------------------------
with switch_tab:
    options = known_catalogs()
    pick = st.selectbox("Catalog", options, index=options.index(state["ltrr_catalog"]), key="ltrr_cat_pick",
                        format_func=lambda p: Path(p).stem)
    st.button("Use this catalog", key="ltrr_cat_use", type="primary", on_click=use_catalog, args=(pick,),
              disabled=pick == state["ltrr_catalog"], icon=":material/swap_horiz:")
    st.caption("Each catalog keeps its own learning state; the first search on a new catalog builds its indexes.")

# --- build ------------------------------------------------------------------------------
with build_tab:
    with st.form("ltrr_cat_build_form", border=False):
        g1, g2, g3 = st.columns([2, 1, 1])
        name = g1.text_input("Name", value="synthetic-5k", key="ltrr_cat_build_name")
        tracks = g2.number_input("Tracks", min_value=100, max_value=MAX_TRACKS, value=5_000, step=1_000,
                                 key="ltrr_cat_build_tracks")
        seed = g3.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, key="ltrr_cat_build_seed")
        build = st.form_submit_button("Build catalog", type="primary", icon=":material/build:")
    if build:
        with guarded("Building the catalog"):
            from ltrr.catalog.synthetic import generate

            dest = new_catalog_path(name)
            bar = st.progress(0.0, text="starting…")
            progress = shared.StreamlitProgress(bar)
            try:
                generate(dest, tracks=int(tracks), seed=int(seed), progress=progress)
            finally:
                progress.detach()
            bar.progress(1.0, text="done")
            state["ltrr_cat_built"] = str(dest)
    built = state.get("ltrr_cat_built")   # only what this tab built (imports keep their own key)
    if built and Path(built).is_file():
        st.success(f"Built `{Path(built).name}`.", icon=":material/check_circle:")
        st.button("Search this catalog", key="ltrr_cat_use_built", on_click=use_catalog, args=(built,),
                  disabled=built == state["ltrr_catalog"], icon=":material/swap_horiz:")

# --- import -------------------------------------------------------------------------
with import_tab:
    from ltrr.catalog.columns import FIELDS, REQUIRED_FIELDS, resolve_mapping
    from ltrr.catalog.importer import import_file
    from ltrr.errors import CatalogImportError

    upload = st.file_uploader("A CSV or Parquet file, one row per track (repeated per playlist is fine)",
                              type=["csv", "parquet"], key="ltrr_cat_upload")
    if upload is None:
        st.caption("A real catalog to try: the public “30000 Spotify Songs” CSV (TidyTuesday, 2020-01-21). Its "
                   "original columns (track_name, track_artist, playlist_name, playlist_genre, …) are recognised "
                   "from the header; for other files, map the columns after uploading.")
    else:
        # The upload gets a private folder and a fixed, safe file name: the user's name is never a path.
        folder = state.setdefault("ltrr_cat_upload_dir", tempfile.mkdtemp(prefix="ltrr-upload-"))
        suffix = ".parquet" if upload.name.lower().endswith(".parquet") else ".csv"
        src = Path(folder) / f"upload{suffix}"
        src.write_bytes(upload.getvalue())
        file_tag = str(getattr(upload, "file_id", "") or upload.name)   # new file -> new widgets, fresh mapping
        columns, preview, encoding = importing.preview(src, upload.name)
        if isinstance(columns, str):
            st.error(f"**“{upload.name}” cannot be read.** {columns}", icon=":material/error:")
            columns = []
        if columns:
            try:
                suggested, preset = resolve_mapping(columns)
                st.caption((f"Recognised layout: **{preset.name}**" if preset else "Columns guessed by name")
                           + (f" · text encoding {encoding}" if encoding else ""))
            except CatalogImportError:
                suggested, preset = {}, None
                st.caption("No title or artist column recognised: choose them below.")
            if preview is not None:
                st.dataframe(preview, hide_index=True, width="stretch", height=150, key="ltrr_cat_preview")
            choices = ["—", *columns]
            mapping: dict[str, str] = {}
            st.markdown("**Column mapping** (catalog field ← column of your file)")
            grid = st.columns(3)
            for i, (fld, meaning) in enumerate(FIELDS.items()):
                default = suggested.get(fld)
                label = f"{fld}{' *' if fld in REQUIRED_FIELDS else ''}"
                picked = grid[i % 3].selectbox(label, choices, help=meaning, key=f"ltrr_cat_map_{fld}_{file_tag}",
                                               index=choices.index(default) if default in choices else 0)
                if picked != "—":
                    mapping[fld] = picked
            i1, i2 = st.columns([2, 1], vertical_alignment="bottom")
            import_name = i1.text_input("Catalog name", value=importing.default_name(upload.name),
                                        key=f"ltrr_cat_import_name_{file_tag}")
            go = i2.button("Import", key="ltrr_cat_import", type="primary", icon=":material/upload:")
            if go:
                missing = [f for f in REQUIRED_FIELDS if f not in mapping]
                if missing:
                    st.error(f"Choose the column that holds the {' and the '.join(missing)} first.")
                else:
                    bar = st.progress(0.0, text="starting…")
                    progress = shared.StreamlitProgress(bar)
                    try:
                        dest = new_catalog_path(import_name)
                        report = import_file(src, dest, mapping=mapping, progress=progress)
                    except (CatalogImportError, ValueError) as exc:
                        bar.empty()
                        st.error(f"**Import failed.** {importing.plain_error(exc, src, upload.name)}",
                                 icon=":material/error:")
                    except Exception as exc:  # noqa: BLE001 - a message, never a traceback
                        bar.empty()
                        st.error(f"**Import failed.** {importing.plain_error(exc, src, upload.name)}",
                                 icon=":material/error:")
                    else:
                        bar.progress(1.0, text="done")
                        state["ltrr_cat_imported"] = str(dest)
                        st.success(f"Imported {report.rows_imported:,} of {count(report.rows_read, 'row')} of "
                                   f"“{upload.name}” into **{shared.catalog_label(dest)}**.", icon=":material/check_circle:")
                        st.button("Search this catalog", key="ltrr_cat_use_imported", on_click=use_catalog,
                                  args=(str(dest),), icon=":material/swap_horiz:")
                    finally:
                        progress.detach()
