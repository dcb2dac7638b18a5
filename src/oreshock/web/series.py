"""A stored run's long tables in bounded pieces: JSON pages and whole Parquet files.

A 240-month run of every mineral has over a million time-series rows; read into pandas and
then JSON at once, one request held gigabytes. Here a page is cut in DuckDB (filters, a
fixed order, ``LIMIT``/``OFFSET``) and only its rows reach Python; the whole table goes out
as Parquet written by DuckDB's ``COPY ... TO`` into a temporary file that is streamed and
then removed, so neither path holds the table in the server's memory.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from oreshock.store.store import Store

Table = Literal["timeseries", "flows"]


@dataclass(frozen=True)
class Layout:
    """How one long table is read: its columns (as sent), filters and row order."""

    columns: tuple[str, ...]
    filters: tuple[str, ...]
    order: str


LAYOUTS: dict[str, Layout] = {
    "timeseries": Layout(
        ("month", "country", "mineral", "stage", "variable", "value"),
        ("country", "mineral", "stage", "variable"),
        "mineral, stage, country, variable, month",
    ),
    "flows": Layout(
        ("month", "mineral", "stage", "exporter", "importer", "origin", "value"),
        ("importer", "exporter", "mineral", "stage"),
        "month, mineral, stage, exporter, importer, origin",
    ),
}


JSON_COLUMNS = {
    "month": "strftime(month, '%Y-%m-%d') AS month",
    "value": "CASE WHEN isfinite(value) THEN value END AS value",
}
"""For JSON, months as ISO dates and non-finite values as null, as ``core.serialize`` does;
Parquet keeps the stored types."""


def _select(
    table: Table, filters: dict[str, str | None], *, as_json: bool = True
) -> tuple[str, list[str]]:
    """The query of a table's rows for one run (first parameter) and the given filters."""
    layout = LAYOUTS[table]
    cols = [JSON_COLUMNS.get(c, c) if as_json else c for c in layout.columns]
    where = ["run_id = ?"]
    params: list[str] = []
    for name in layout.filters:
        value = filters.get(name)
        if value:
            where.append(f"{name} = ?")
            params.append(value)
    sql = f"SELECT {', '.join(cols)} FROM {table} WHERE {' AND '.join(where)}"
    return sql, params


def count(store: Store, table: Table, run_id: str, filters: dict[str, str | None]) -> int:
    sql, params = _select(table, filters)
    row = store.con.execute(f"SELECT count(*) FROM ({sql})", [run_id, *params]).fetchone()
    return int(row[0]) if row else 0


def page(
    store: Store,
    table: Table,
    run_id: str,
    filters: dict[str, str | None],
    limit: int,
    offset: int,
) -> list[tuple[Any, ...]]:
    """One page of rows, in the table's order."""
    sql, params = _select(table, filters)
    sql += f" ORDER BY {LAYOUTS[table].order} LIMIT {int(limit)} OFFSET {int(offset)}"
    return store.con.execute(sql, [run_id, *params]).fetchall()


def as_json(table: Table, rows: list[tuple[Any, ...]]) -> str:
    """Rows as a JSON array of objects (the shape the routes always had); done after the
    store is closed, so the database is not held while the text is built."""
    names = LAYOUTS[table].columns
    return json.dumps([dict(zip(names, row, strict=True)) for row in rows])


def to_parquet(store: Store, table: Table, run_id: str, filters: dict[str, str | None]) -> Path:
    """Write every matching row to a new temporary Parquet file; the caller removes it."""
    sql, params = _select(table, filters, as_json=False)
    sql += f" ORDER BY {LAYOUTS[table].order}"
    fd, name = tempfile.mkstemp(prefix="oreshock-", suffix=".parquet")
    os.close(fd)
    path = Path(name)
    quoted = str(path).replace("'", "''")
    try:
        store.con.execute(f"COPY ({sql}) TO '{quoted}' (FORMAT parquet)", [run_id, *params])
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
