"""Independent read-only queries of a catalog file, for checking what the code wrote."""
from __future__ import annotations

import duckdb


def rows(path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(path, sql: str, params: list | None = None):
    return rows(path, sql, params)[0][0]
