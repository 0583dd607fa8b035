"""Recognising a file's columns: the presets (matched case-insensitively),
the generic guess by column name, and ``--map`` overrides and their errors."""
from __future__ import annotations

import pytest

from ltrr.catalog.columns import parse_map_args, resolve_mapping
from ltrr.catalog.importer import import_file
from ltrr.errors import CatalogImportError
from tests.catalog.sql import rows as _rows


def test_generic_layout_with_map(tmp_path):
    src = tmp_path / "mine.csv"
    src.write_text("Song;Band;Year;Hotness\nYellow;Coldplay;2000;88\nClocks;Coldplay;2002;90\n")
    report = import_file(src, tmp_path / "cat.duckdb",
                         mapping={"title": "Song", "artist": "band", "release_date": "Year",
                                  "popularity": "Hotness"})
    assert report.layout == "generic" and report.rows_imported == 2
    assert dict(_rows(tmp_path / "cat.duckdb", "SELECT title, popularity FROM tracks")) == {
        "Yellow": 88, "Clocks": 90}
    assert report.entities["playlist"] == 0 and report.entities["album"] == 0


def test_generic_layout_guessed_from_column_names(tmp_path):
    src = tmp_path / "plain.csv"
    src.write_text("Title,Artist,Genre\nYellow,Coldplay,rock\n")
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.mapping == {"title": "Title", "artist": "Artist", "genre": "Genre"}


def test_map_validation():
    with pytest.raises(CatalogImportError, match="unknown field 'colour'"):
        resolve_mapping(["a", "b"], {"colour": "a"})
    with pytest.raises(CatalogImportError, match="no column 'nope'"):
        resolve_mapping(["a", "b"], {"title": "nope"})
    with pytest.raises(CatalogImportError, match="no recognisable artist column"):
        resolve_mapping(["a", "b"], {"title": "a"})
    with pytest.raises(CatalogImportError, match="FIELD=COLUMN"):
        parse_map_args(["title"])
    assert parse_map_args(["title=My Col", "artist=x=y"]) == {"title": "My Col", "artist": "x=y"}


def test_presets_match_headers_case_insensitively(tmp_path):
    src = tmp_path / "upper.csv"
    src.write_text("TRACK_NAME,Artist,ALBUM,Album_Release,Playlist,Genres\nHalo,Beyoncé,I Am,2008,Love,r&b\n")
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.layout == "ltrr-shared"
    assert report.mapping["title"] == "TRACK_NAME" and report.mapping["genre"] == "Genres"
