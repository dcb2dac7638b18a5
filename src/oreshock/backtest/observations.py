"""The observed record of the episodes: monthly trade, stoppages, prices, each with its source.

``observations.csv`` (next to this module) has one row per observation: ``episode``,
``date`` (YYYY-MM), ``country``, ``partner`` (ISO3; ``WLD`` for a total), ``mineral`` (a
mineral id, or a named product for prices), ``measure`` (``exports_t``, ``imports_t``,
``price_usd_kg``, ``stoppage``, ``demand_change_pct``), ``value``, ``unit``, ``status``
(``reported``/``estimated``), ``source_id`` (a source of the dataset) and ``note`` (what was
read where; secondary sources say so). A row that breaks these rules is an error naming the
file, row and field.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pandas as pd

from oreshock.core.errors import DataFileError, Problem

MEASURES = ("exports_t", "imports_t", "price_usd_kg", "stoppage", "demand_change_pct")
COLUMNS = (
    "episode",
    "date",
    "country",
    "partner",
    "mineral",
    "measure",
    "value",
    "unit",
    "status",
    "source_id",
    "note",
)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def observations_path() -> Path:
    return Path(str(resources.files("oreshock.backtest").joinpath("observations.csv")))


def _row_problems(path: Path, row: int, rec: dict, sources: set[str]) -> list[Problem]:
    problems = []

    def bad(field: str, expected: str) -> None:
        problems.append(
            Problem(str(path), row, field, f"expected {expected}, found {rec[field]!r}")
        )

    if not _MONTH.match(str(rec["date"])):
        bad("date", "a month YYYY-MM")
    if rec["measure"] not in MEASURES:
        bad("measure", f"one of {', '.join(MEASURES)}")
    if pd.isna(pd.to_numeric(rec["value"], errors="coerce")):
        bad("value", "a number")
    if rec["status"] not in ("reported", "estimated"):
        bad("status", "reported or estimated")
    if sources and rec["source_id"] not in sources:
        bad("source_id", "a source_id of the dataset's sources table")
    return problems


def load_observations(path: Path | None = None, sources: set[str] | None = None) -> pd.DataFrame:
    """The observations, checked row by row (row numbers count the header as row 1)."""
    path = path or observations_path()
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataFileError([Problem(str(path), 1, None, f"missing columns: {missing}")])
    problems: list[Problem] = []
    for k, rec in enumerate(raw.to_dict("records"), start=2):
        problems += _row_problems(path, k, rec, sources or set())
    keys = ["episode", "date", "country", "partner", "mineral", "measure", "unit"]
    for k in raw.index[raw.duplicated(keys)]:
        problems.append(
            Problem(str(path), int(k) + 2, None, f"repeats the key {dict(raw.loc[k, keys])}")
        )
    if problems:
        raise DataFileError(problems)
    frame = raw.copy()
    frame["value"] = frame["value"].astype(float)
    return frame
