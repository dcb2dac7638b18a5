"""The impact of a stored run on output and GDP, kept beside the run.

One row of ``impacts`` per run and input-output table (``store.schema``, version 5): the
record ``oreshock impact --json`` prints, as JSON, with a content hash of the record as the
database holds it, and the monthly losses by country, industry and measure in
``impact_series``. Computing the impact of a run on a table again replaces both, in one
transaction; reading checks the hash, so an edited or damaged record is refused, not shown.
Deleting the run deletes its impacts (``Store._delete``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pandas as pd

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.serialize import json_safe
from oreshock.core.version import __version__
from oreshock.store.store import Store

FORMAT = "oreshock-impact-content 1"
SERIES_COLUMNS = [
    "month",
    "country",
    "sector",
    "method",
    "output_loss_usd",
    "value_added_loss_usd",
]


def digest(record: dict[str, Any]) -> str:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{FORMAT}\n{text}".encode()).hexdigest()


def save_impact(store: Store, run_id: str, record: dict[str, Any], series: pd.DataFrame) -> None:
    """Write (or replace) a run's impact on one table, record and series together."""
    store.run(run_id)  # an unknown run is an error naming it
    record = json_safe(record)
    table_name = str(record["table"])
    rows = series[SERIES_COLUMNS].assign(run_id=run_id, table_name=table_name)
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    rows = rows[["run_id", "table_name", *SERIES_COLUMNS]]
    with store.transaction() as con:
        for name in ("impacts", "impact_series"):
            con.execute(
                f"DELETE FROM {name} WHERE run_id = ? AND table_name = ?", [run_id, table_name]
            )
        con.execute(
            "INSERT INTO impacts VALUES (?, ?, ?, ?, ?, ?)",
            [
                run_id,
                table_name,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                __version__,
                json.dumps(record, ensure_ascii=False),
                None,
            ],
        )
        stored = _record(store, run_id, table_name)
        con.execute(
            "UPDATE impacts SET content_hash = ? WHERE run_id = ? AND table_name = ?",
            [digest(stored), run_id, table_name],
        )
        con.register("_impact_rows", rows)
        con.execute("INSERT INTO impact_series SELECT * FROM _impact_rows")
        con.unregister("_impact_rows")


def _record(store: Store, run_id: str, table_name: str) -> dict[str, Any]:
    row = store.con.execute(
        "SELECT record_json FROM impacts WHERE run_id = ? AND table_name = ?",
        [run_id, table_name],
    ).fetchone()
    if row is None:
        raise UnknownIdError(
            f"run {run_id} has no impact on table {table_name!r}; compute it with "
            f"`oreshock impact {run_id}`"
        )
    found: dict[str, Any] = json.loads(row[0])
    return found


def impact_tables(store: Store, run_id: str) -> list[str]:
    """The tables a run's impact was computed on, newest first."""
    rows = store.con.execute(
        "SELECT table_name FROM impacts WHERE run_id = ? ORDER BY created DESC", [run_id]
    ).fetchall()
    return [str(r[0]) for r in rows]


def get_impact(store: Store, run_id: str, table_name: str | None = None) -> dict[str, Any]:
    """A run's stored impact (on ``table_name``, else the newest), its hash checked."""
    store.run(run_id)
    names = impact_tables(store, run_id)
    if not names:
        raise UnknownIdError(
            f"run {run_id} has no stored impact; compute it with `oreshock impact {run_id}`"
        )
    name = table_name or names[0]
    record = _record(store, run_id, name)
    stored = store.con.execute(
        "SELECT content_hash FROM impacts WHERE run_id = ? AND table_name = ?", [run_id, name]
    ).fetchone()
    if stored is None or stored[0] != digest(record):
        raise OreshockError(
            f"the impact of run {run_id} on {name} in {store.path} no longer matches the "
            f"content hash written with it; compute it again (`oreshock impact {run_id}`)"
        )
    return record


def impact_series(store: Store, run_id: str, table_name: str) -> pd.DataFrame:
    return store.con.execute(
        f"SELECT {', '.join(SERIES_COLUMNS)} FROM impact_series WHERE run_id = ? AND "
        "table_name = ? ORDER BY method, month, country, sector",
        [run_id, table_name],
    ).df()
