"""The schema and the `entities` view: columns and types, ids unique across
types, every type present, and the view's text built from its parts."""
from __future__ import annotations

import duckdb
import pytest

from ltrr.catalog.schema import ENTITY_COLUMNS, ENTITY_TYPES, SCHEMA_VERSION, create_schema
from ltrr.catalog.store import Catalog
from ltrr.catalog.synthetic import generate

EXPECTED_TYPES = {
    "entity_id": "VARCHAR", "entity_type": "VARCHAR", "title": "VARCHAR", "subtitle": "VARCHAR",
    "text": "VARCHAR", "popularity": "DOUBLE", "release_date": "DATE", "genre": "VARCHAR",
    "subgenre": "VARCHAR", "mood": "VARCHAR", "artist_id": "VARCHAR", "album_id": "VARCHAR",
    "duration_sec": "DOUBLE", "explicit": "BOOLEAN", "is_new": "BOOLEAN", "danceability": "DOUBLE",
    "energy": "DOUBLE", "valence": "DOUBLE", "tempo": "DOUBLE",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("schema") / "gen.duckdb", tracks=2_000, seed=5)


def test_create_schema_is_idempotent_and_versioned():
    con = duckdb.connect()
    create_schema(con)
    create_schema(con)
    assert con.execute("SELECT value FROM catalog_meta WHERE key = 'schema_version'").fetchall() == [
        (str(SCHEMA_VERSION),)]
    assert con.execute("SELECT count(*) FROM entities").fetchone()[0] == 0


def test_entities_view_columns_and_types():
    con = duckdb.connect()
    create_schema(con)
    described = con.execute("DESCRIBE entities").fetchall()
    names = [row[0] for row in described]
    assert tuple(names) == ENTITY_COLUMNS
    assert {row[0]: row[1] for row in described} == EXPECTED_TYPES


@pytest.mark.parametrize("which", ["generated", "tiny_catalog_path"])
def test_entity_ids_unique_and_prefixed_by_type(which, request):
    path = request.getfixturevalue(which)
    con = duckdb.connect(str(path), read_only=True)
    total, distinct = con.execute("SELECT count(*), count(DISTINCT entity_id) FROM entities").fetchone()
    assert total == distinct > 0
    bad = con.execute("SELECT count(*) FROM entities WHERE NOT starts_with(entity_id, entity_type || ':')").fetchone()
    assert bad == (0,)
    con.close()


def test_every_type_present_in_a_generated_catalog(generated):
    cat = Catalog.open(generated)
    try:
        counts = cat.counts()
        frame = cat.entities.frame
    finally:
        cat.close()
    assert tuple(counts) == ENTITY_TYPES
    assert all(n > 0 for n in counts.values()), counts
    assert len(frame) == sum(counts.values())
    assert set(frame["entity_type"]) == set(ENTITY_TYPES)


def test_entity_rows_carry_their_parts(generated):
    con = duckdb.connect(str(generated), read_only=True)
    row = con.execute("""
        SELECT e.title, e.subtitle, e.text, a.name, t.genre, t.is_new, e.is_new
        FROM entities e JOIN tracks t ON t.track_id = e.entity_id JOIN artists a ON a.artist_id = t.artist_id
        WHERE t.featured IS NOT NULL ORDER BY t.track_id LIMIT 1""").fetchone()
    title, subtitle, text, artist, genre, is_new, view_is_new = row
    assert subtitle == artist
    assert title in text and artist in text and genre in text
    assert is_new == view_is_new
    # Episodes are subtitled with their podcast's title.
    bad = con.execute("""SELECT count(*) FROM entities e JOIN episodes ep ON ep.episode_id = e.entity_id
                         JOIN podcasts p USING (podcast_id) WHERE e.subtitle <> p.title""").fetchone()[0]
    assert bad == 0
    con.close()
