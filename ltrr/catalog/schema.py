"""The catalog's DuckDB schema and the `entities` view every arm reads.

Every table's id column already holds the catalog-wide ``entity_id`` in the
form ``"<type>:<native id>"`` (``track:6f807x0ima``, ``artist:ar00012``), so
ids are unique across types without a lookup and readable in logs.
"""
from __future__ import annotations

import duckdb

SCHEMA_VERSION = 1

ENTITY_TYPES = ("track", "artist", "album", "playlist", "podcast", "episode")
# A release counts as "new" within this many days of the catalog's newest release
# (its reference date): the generator, the importer and the structured arm agree.
NEW_RELEASE_DAYS = 365

TABLES_DDL = """
CREATE TABLE IF NOT EXISTS catalog_meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
CREATE TABLE IF NOT EXISTS artists (
    artist_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    genre VARCHAR,
    subgenre VARCHAR,
    country VARCHAR,
    popularity DOUBLE,
    followers BIGINT
);
CREATE TABLE IF NOT EXISTS albums (
    album_id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    artist_id VARCHAR,
    album_type VARCHAR,            -- album, single, ep, compilation, live
    release_date DATE,
    genre VARCHAR,
    popularity DOUBLE,
    is_new BOOLEAN DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS tracks (
    track_id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    artist_id VARCHAR,
    album_id VARCHAR,
    featured VARCHAR,               -- "feat." credits as written, comma separated
    version VARCHAR,                -- original, remix, live, acoustic, radio edit ...
    release_date DATE,
    genre VARCHAR,
    subgenre VARCHAR,
    mood VARCHAR,
    popularity DOUBLE,
    duration_sec DOUBLE,
    explicit BOOLEAN,
    is_new BOOLEAN DEFAULT FALSE,
    danceability DOUBLE,
    energy DOUBLE,
    valence DOUBLE,
    tempo DOUBLE
);
CREATE TABLE IF NOT EXISTS track_artists (
    track_id VARCHAR,
    artist_id VARCHAR,
    role VARCHAR                    -- primary, featured
);
CREATE TABLE IF NOT EXISTS playlists (
    playlist_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    curator VARCHAR,
    description VARCHAR,
    genre VARCHAR,
    subgenre VARCHAR,
    mood VARCHAR,
    era VARCHAR,                    -- "90s", "2010s" ...
    activity VARCHAR,               -- workout, study, party ...
    popularity DOUBLE
);
CREATE TABLE IF NOT EXISTS playlist_tracks (
    playlist_id VARCHAR,
    track_id VARCHAR,
    position INTEGER
);
CREATE TABLE IF NOT EXISTS podcasts (
    podcast_id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    publisher VARCHAR,
    description VARCHAR,
    topic VARCHAR,
    popularity DOUBLE
);
CREATE TABLE IF NOT EXISTS episodes (
    episode_id VARCHAR PRIMARY KEY,
    podcast_id VARCHAR,
    title VARCHAR NOT NULL,
    description VARCHAR,
    release_date DATE,
    duration_sec DOUBLE,
    popularity DOUBLE,
    is_new BOOLEAN DEFAULT FALSE
);
"""

# One row per searchable thing. Columns after `genre` are extras the ranker and
# the structured arm use; they are NULL where a type has no such notion.
ENTITIES_VIEW = """
CREATE OR REPLACE VIEW entities AS
SELECT t.track_id AS entity_id, 'track' AS entity_type, t.title AS title,
       ar.name AS subtitle,
       concat_ws(' ', t.title, ar.name, t.featured, al.title, t.genre, t.subgenre, t.mood, t.version) AS text,
       t.popularity AS popularity, t.release_date AS release_date, t.genre AS genre,
       t.subgenre AS subgenre, t.mood AS mood, t.artist_id AS artist_id, t.album_id AS album_id,
       t.duration_sec AS duration_sec, t.explicit AS explicit, COALESCE(t.is_new, FALSE) AS is_new,
       t.danceability AS danceability, t.energy AS energy, t.valence AS valence, t.tempo AS tempo
FROM tracks t LEFT JOIN artists ar ON ar.artist_id = t.artist_id
              LEFT JOIN albums al ON al.album_id = t.album_id
UNION ALL
SELECT a.artist_id, 'artist', a.name, a.genre,
       concat_ws(' ', a.name, a.genre, a.subgenre, a.country),
       a.popularity, NULL::DATE, a.genre, a.subgenre, NULL, a.artist_id, NULL,
       NULL, NULL, FALSE, NULL, NULL, NULL, NULL
FROM artists a
UNION ALL
SELECT al.album_id, 'album', al.title, ar.name,
       concat_ws(' ', al.title, ar.name, al.album_type, al.genre),
       al.popularity, al.release_date, al.genre, NULL, NULL, al.artist_id, al.album_id,
       NULL, NULL, COALESCE(al.is_new, FALSE), NULL, NULL, NULL, NULL
FROM albums al LEFT JOIN artists ar ON ar.artist_id = al.artist_id
UNION ALL
SELECT p.playlist_id, 'playlist', p.name, p.curator,
       concat_ws(' ', p.name, p.description, p.genre, p.subgenre, p.mood, p.era, p.activity),
       p.popularity, NULL::DATE, p.genre, p.subgenre, p.mood, NULL, NULL,
       NULL, NULL, FALSE, NULL, NULL, NULL, NULL
FROM playlists p
UNION ALL
SELECT pc.podcast_id, 'podcast', pc.title, pc.publisher,
       concat_ws(' ', pc.title, pc.publisher, pc.description, pc.topic),
       pc.popularity, NULL::DATE, pc.topic, NULL, NULL, NULL, NULL,
       NULL, NULL, FALSE, NULL, NULL, NULL, NULL
FROM podcasts pc
UNION ALL
SELECT e.episode_id, 'episode', e.title, pc.title,
       concat_ws(' ', e.title, pc.title, e.description, pc.topic),
       e.popularity, e.release_date, pc.topic, NULL, NULL, NULL, NULL,
       e.duration_sec, NULL, COALESCE(e.is_new, FALSE), NULL, NULL, NULL, NULL
FROM episodes e LEFT JOIN podcasts pc ON pc.podcast_id = e.podcast_id
"""

ENTITY_COLUMNS = (
    "entity_id", "entity_type", "title", "subtitle", "text", "popularity", "release_date",
    "genre", "subgenre", "mood", "artist_id", "album_id", "duration_sec", "explicit", "is_new",
    "danceability", "energy", "valence", "tempo",
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and the `entities` view (idempotent)."""
    con.execute(TABLES_DDL)
    con.execute(ENTITIES_VIEW)
    con.execute(
        "INSERT OR REPLACE INTO catalog_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
    )


def set_meta(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """Record key/value facts about the catalog (source, seed, build time)."""
    for key, value in values.items():
        con.execute("INSERT OR REPLACE INTO catalog_meta VALUES (?, ?)", [key, str(value)])
