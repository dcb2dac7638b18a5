"""Is what the store holds what was saved? Content hashes of runs and a check of the file.

A run's ``content_hash`` is the sha256 of its time series, flows and sectors *as stored*:
read back from the database inside the transaction that writes them, so it describes what
DuckDB holds, not what the engine meant to write. The serialisation is fixed here and does not
depend on DuckDB's or pandas' text formatting:

- each table in the order of ``HASHED`` (timeseries, flows, sectors, sector_series), its
  columns in that order, without ``run_id``; a table in ``COUNTED_WHEN_PRESENT`` (added
  after runs were first hashed) counts only for a run that holds rows in it, so the hashes
  of runs stored before it existed stay as they were;
- rows sorted by every column (``ORDER BY ALL``), so insertion order does not matter;
- text, dates and whole numbers as DuckDB's text of the value (a date as ``YYYY-MM-DD``),
  encoded as a JSON list (NULL as ``null``); doubles as 8-byte little-endian IEEE 754, with
  ``-0.0`` written as ``0.0`` and every NaN as one NaN, behind a bitmap of which are NULL;
- per table ``sha256(header + columns)``; the run's hash is the sha256 of the table
  digests, so a comparison can say which table differs.

A whole-file check runs on every open (``check_file``): DuckDB opens a file cut short
without complaint and fails only when a query reaches a missing block, so the file's size is
compared with the size its tables' storage needs, and the runs table is read once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from oreshock.core.errors import OreshockError

FORMAT = "oreshock-run-content 1"
"""First line of every table's serialisation; change it if the serialisation changes."""

HASHED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "timeseries": (("month", "country", "mineral", "stage", "variable"), ("value",)),
    "flows": (("month", "mineral", "stage", "exporter", "importer", "origin"), ("value",)),
    "sectors": (
        ("country", "mineral", "stage", "sector", "name_en", "name_ja"),
        (
            "share_of_stage_use",
            "months_to_shortfall",
            "peak_shortfall_pct",
            "cumulative_shortfall_pct",
        ),
    ),
    "sector_series": (("month", "country", "mineral", "stage", "sector"), ("wanted", "short")),
}
"""Table -> (the columns that identify a row, the numbers in it), as in ``store.schema``.

A test keeps these equal to the schema's columns (without ``run_id``), so a new column
cannot be left out of the hash unnoticed.
"""

COUNTED_WHEN_PRESENT = frozenset({"sector_series"})
"""Tables added after runs were first hashed: part of a run's hash only when it has rows."""

DOUBLES = {"value", "share_of_stage_use", "peak_shortfall_pct", "cumulative_shortfall_pct",
           "wanted", "short"}  # fmt: skip
"""The DOUBLE columns: hashed as bytes; every other column as its text."""

OK = "ok"
DAMAGED = "damaged"
UNREADABLE = "unreadable"
NEVER_HASHED = "never hashed"
"""What a run's stored content is: intact; not what was saved (it no longer matches its
hash); not readable at all; stored before runs were hashed (schema version 3), so it cannot
be checked, which is not the same as damaged."""

HEADER_BYTES = 3 * 4096
"""DuckDB's file header (one main and two database headers) before the first block."""


def columns(table: str) -> tuple[str, ...]:
    keys, values = HASHED[table]
    return keys + values


def _select(table: str) -> str:
    cast = [c if c in DOUBLES else f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns(table)]
    return f'SELECT {", ".join(cast)} FROM "{table}" WHERE run_id = ? ORDER BY ALL'


def _doubles(values: np.ndarray, mask: np.ndarray) -> bytes:
    data = np.where(mask, 0.0, np.ma.getdata(values).astype(np.float64)) + 0.0  # -0.0 -> 0.0
    data[np.isnan(data)] = np.nan
    return np.packbits(mask).tobytes() + data.astype("<f8").tobytes()


def _texts(values: np.ndarray, mask: np.ndarray) -> bytes:
    items = [None if m else str(v) for v, m in zip(np.ma.getdata(values), mask, strict=True)]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def table_digest(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> str:
    """The sha256 of one table's rows of a run, serialised as the module docstring says."""
    found = con.execute(_select(table), [run_id]).fetchnumpy()
    rows = len(next(iter(found.values()))) if found else 0
    digest = hashlib.sha256(f"{FORMAT}\n{table}\n{','.join(columns(table))}\n{rows}\n".encode())
    for name in columns(table):
        values: np.ndarray = np.ma.asarray(found[name])
        mask = np.ma.getmaskarray(values)
        digest.update(f"\n{name}\n".encode())
        digest.update(_doubles(values, mask) if name in DOUBLES else _texts(values, mask))
    return digest.hexdigest()


def table_digests(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """Table -> its digest, for every table in ``HASHED`` (one of ``COUNTED_WHEN_PRESENT``
    only when the run has rows in it)."""
    return {
        table: table_digest(con, table, run_id)
        for table in HASHED
        if table not in COUNTED_WHEN_PRESENT or _has_rows(con, table, run_id)
    }


def _has_rows(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> bool:
    found = con.execute(f'SELECT 1 FROM "{table}" WHERE run_id = ? LIMIT 1', [run_id])
    return found.fetchone() is not None


def combine(digests: dict[str, str]) -> str:
    """The run's content hash from its table digests."""
    text = "".join(f"{table} {digests[table]}\n" for table in HASHED if table in digests)
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """The content hash of a run as the database holds it now."""
    return combine(table_digests(con, run_id))


def run_status(con: duckdb.DuckDBPyConnection, run_id: str, stored: str | None) -> str:
    """``OK``, ``DAMAGED``, ``UNREADABLE`` or ``NEVER_HASHED`` for one run."""
    try:
        found = content_hash(con, run_id)
    except duckdb.Error:
        return UNREADABLE
    if stored is None:
        return NEVER_HASHED
    return OK if found == stored else DAMAGED


def check_file(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Problems of a database file as a whole (empty when none): cut short, runs unreadable.

    Cheap enough for every open: one file size, the tables' storage metadata, one read of
    the runs table.
    """
    problems: list[str] = []
    try:
        needed = _bytes_needed(con)
        size = os.path.getsize(path)
        if size < needed:
            problems.append(
                f"the file is {size:,} bytes, shorter than the {needed:,} bytes that its own "
                "tables need (cut short, e.g. by a full disk or an interrupted copy)"
            )
    except (duckdb.Error, OSError) as exc:
        problems.append(f"its size cannot be checked ({first_line(exc)})")
    try:
        con.execute("SELECT * FROM runs").fetchall()
    except duckdb.CatalogException:
        pass  # not a store yet: the schema check says so
    except duckdb.Error as exc:
        problems.append(f"its list of runs cannot be read ({first_line(exc)})")
    return problems


def _bytes_needed(con: duckdb.DuckDBPyConnection) -> int:
    """The file size the stored tables need: up to the end of the last block holding data.

    From the tables' storage metadata (``pragma_storage_info``), which DuckDB reads on open
    without touching the data; not from the header's block count, which still counts free
    blocks DuckDB has cut off the end of the file.
    """
    row = con.execute("SELECT any_value(block_size) FROM pragma_database_size()").fetchone()
    block_size = int(row[0]) if row and row[0] else 0
    last = -1
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall():
        found = con.execute(
            "SELECT max(block_id) FROM pragma_storage_info(?) WHERE persistent", [table]
        ).fetchone()
        if found and found[0] is not None:
            last = max(last, int(found[0]))
    return HEADER_BYTES + (last + 1) * block_size if last >= 0 else 0


def first_line(exc: BaseException) -> str:
    """The first line of a DuckDB error, without its hints."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@dataclass(frozen=True)
class TableDifference:
    """How one table of two runs differs: rows on one side only, values that changed."""

    table: str
    rows_a: int
    rows_b: int
    only_a: int
    only_b: int
    changed: int
    largest: float | None
    """Largest absolute difference of a number present in both (None: nothing in common)."""
    where: str | None
    """The row of the largest difference, as ``column=value`` pairs."""

    def describe(self, a: str = "stored", b: str = "new") -> str:
        parts = [f"{self.table}: {self.rows_a} rows {a}, {self.rows_b} {b}"]
        if self.only_a:
            parts.append(f"{self.only_a} only in {a}")
        if self.only_b:
            parts.append(f"{self.only_b} only in {b}")
        if self.changed:
            parts.append(f"{self.changed} values differ")
        if self.largest:
            parts.append(f"largest difference {self.largest:.6g} at {self.where}")
        return "; ".join(parts)


def _count(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> int:
    row = con.execute(f'SELECT count(*) FROM "{table}" WHERE run_id = ?', [run_id]).fetchone()
    return int(row[0]) if row else 0


def compare_table(con: duckdb.DuckDBPyConnection, table: str, a: str, b: str) -> TableDifference:
    """Match the rows of runs ``a`` and ``b`` on their identifying columns and compare."""
    keys, values = HASHED[table]
    on = " AND ".join(f'x."{k}" IS NOT DISTINCT FROM y."{k}"' for k in keys)
    diffs = [f'abs(CAST(x."{v}" AS DOUBLE) - CAST(y."{v}" AS DOUBLE))' for v in values]
    unequal = " OR ".join(f'x."{v}" IS DISTINCT FROM y."{v}"' for v in values)
    largest = f"greatest({', '.join(diffs)})" if len(diffs) > 1 else diffs[0]
    key_text = " || ', ' || ".join(
        f"'{k}=' || coalesce(CAST(coalesce(x.\"{k}\", y.\"{k}\") AS VARCHAR), '')" for k in keys
    )
    sql = f"""
        WITH x AS (SELECT * FROM "{table}" WHERE run_id = $a),
             y AS (SELECT * FROM "{table}" WHERE run_id = $b),
             j AS (SELECT x.run_id AS in_a, y.run_id AS in_b, ({unequal}) AS unequal,
                          {largest} AS diff, {key_text} AS place
                   FROM x FULL OUTER JOIN y ON {on})
        SELECT count(*) FILTER (in_b IS NULL), count(*) FILTER (in_a IS NULL),
               count(*) FILTER (in_a IS NOT NULL AND in_b IS NOT NULL AND unequal),
               max(diff), arg_max(place, diff)
        FROM j"""
    only_a, only_b, changed, big, at = con.execute(sql, {"a": a, "b": b}).fetchone() or (
        0,
        0,
        0,
        None,
        None,
    )
    return TableDifference(
        table,
        _count(con, table, a),
        _count(con, table, b),
        int(only_a),
        int(only_b),
        int(changed),
        None if big is None else float(big),
        at,
    )


def differences(
    con: duckdb.DuckDBPyConnection, a: str, b: str, tables: Iterable[str] = HASHED
) -> list[TableDifference]:
    """The tables in which runs ``a`` and ``b`` differ (by digest), each compared row by row."""
    return [
        compare_table(con, table, a, b)
        for table in tables
        if table_digest(con, table, a) != table_digest(con, table, b)
    ]


class DamagedStoreError(OreshockError):
    """The database file as a whole is damaged: nothing more is written into it."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(
            f"the results database {path} is damaged: {'; '.join(problems)}. oreshock will "
            f"not write into it. `oreshock runs list --db {path}` shows which runs can still "
            f"be read; save those with `oreshock runs export RUN_ID --out FOLDER --db {path}` "
            "and start a new database (--db NEW_FILE or ORESHOCK_DB)"
        )


class DamagedRunError(OreshockError):
    """One run's stored content cannot be read or no longer matches its content hash."""

    def __init__(self, path: Path, run_id: str, status: str) -> None:
        self.path = path
        self.run_id = run_id
        self.status = status
        why = (
            "its time series, flows or sectors cannot be read"
            if status == UNREADABLE
            else "its time series, flows or sectors no longer match the content hash written "
            "when it was saved"
        )
        super().__init__(
            f"run {run_id} in {path} is {status}: {why}. Its numbers are not shown; run it "
            f"again (`oreshock runs rerun {run_id} --db {path}` reports what differs) or "
            "delete it (`oreshock runs delete`)"
        )
