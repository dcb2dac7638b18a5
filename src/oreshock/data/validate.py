"""Small ``check_*`` functions over raw dataset tables; ``validate`` runs them all.

Each check returns every problem it finds (file, row, column, expectation) so a user fixes a
file in one pass. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd

from oreshock.core.errors import DataFileError, Problem
from oreshock.data.schema import (
    REGION_CODES,
    STAGE_UNIT_TABLES,
    STATUSES,
    column_names,
    table_schema,
)

Tables = Mapping[str, pd.DataFrame]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
ISO3 = re.compile(r"^[A-Z]{3}$")
SHARE_SUM_TOLERANCE = 0.02
WORLD_TOTAL_TOLERANCE = 0.03


def _row(i: Any) -> int:
    """Spreadsheet row of index label ``i`` (tables keep the RangeIndex of read_csv)."""
    return int(i) + 2


def _file(paths: Mapping[str, str], table: str) -> str:
    return paths.get(table, f"{table}.csv")


def check_columns(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Every table has exactly the schema's columns, in order."""
    problems = []
    for name, df in tables.items():
        expected = column_names(name)
        if list(df.columns) != expected:
            missing = [c for c in expected if c not in df.columns]
            extra = [c for c in df.columns if c not in expected]
            detail = []
            if missing:
                detail.append(f"missing {missing}")
            if extra:
                detail.append(f"unexpected {extra}")
            if not detail:
                detail.append("columns out of order")
            problems.append(
                Problem(
                    _file(paths, name),
                    1,
                    None,
                    f"expected columns {expected}: {', '.join(detail)}",
                )
            )
    return problems


def check_values(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Required cells are filled; numbers parse, are finite and not negative; ids are snake_case."""
    problems = []
    for name, df in tables.items():
        for col in table_schema()[name]:
            if col.name not in df.columns:
                continue
            values = df[col.name].astype("string").fillna("").str.strip()
            for i, raw in values.items():
                where = (_file(paths, name), _row(i), col.name)
                if raw == "":
                    if col.required:
                        problems.append(Problem(*where, "a value is required"))
                    continue
                message = _type_problem(col.type, raw)
                if message:
                    problems.append(Problem(*where, message))
    return problems


def _type_problem(kind: str, raw: str) -> str | None:
    if kind in ("float", "fraction", "int"):
        try:
            number = float(raw)
        except ValueError:
            return f"expected a number, found {raw!r}"
        if number != number or number in (float("inf"), float("-inf")):
            return f"expected a finite number, found {raw!r}"
        if number < 0:
            return f"expected a non-negative number, found {raw!r}"
        if kind == "fraction" and number > 1:
            return f"expected a fraction between 0 and 1, found {raw!r} (percent given?)"
        if kind == "int" and not number.is_integer():
            return f"expected a whole number, found {raw!r}"
    elif kind == "id" and not SNAKE.match(raw):
        return f"expected a snake_case id, found {raw!r}"
    elif kind == "iso3" and not ISO3.match(raw):
        return f"expected an ISO 3166 alpha-3 code, found {raw!r}"
    elif kind == "status" and raw not in STATUSES:
        return f"expected one of {list(STATUSES)}, found {raw!r}"
    return None


def check_provenance(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Every value cites a known source; estimated and assumed values say how."""
    problems = []
    known = set(tables["sources"]["source_id"]) if "sources" in tables else set()
    for name, df in tables.items():
        if "source_id" in df.columns and known:
            for i, sid in df["source_id"].items():
                if sid and sid not in known:
                    problems.append(
                        Problem(
                            _file(paths, name),
                            _row(i),
                            "source_id",
                            f"unknown source {sid!r}; expected a source_id listed in sources.csv",
                        )
                    )
        if {"status", "method"} <= set(df.columns):
            lacking = df[(df["status"].isin(["estimated", "assumed"])) & (df["method"] == "")]
            for i in lacking.index:
                status = str(df.at[i, "status"])
                problems.append(
                    Problem(
                        _file(paths, name),
                        _row(i),
                        "method",
                        f"a {status} value must say how it was obtained",
                    )
                )
    return problems


def check_codes(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Country codes, minerals and stages exist in countries.csv and stages.csv."""
    problems = []
    countries = set(tables["countries"]["iso3"]) if "countries" in tables else set()
    countries |= set(REGION_CODES)
    stages = (
        set(zip(tables["stages"]["mineral"], tables["stages"]["stage"], strict=True))
        if "stages" in tables
        else set()
    )
    minerals = set(tables["minerals"]["mineral"]) if "minerals" in tables else set()
    for name, df in tables.items():
        for col in table_schema()[name]:
            if col.type != "iso3" or col.name not in df.columns or name == "countries":
                continue
            for i, code in df[col.name].items():
                if code and code not in countries:
                    problems.append(
                        Problem(
                            _file(paths, name),
                            _row(i),
                            col.name,
                            f"unknown country code {code!r}; expected a code listed in countries.csv",
                        )
                    )
        if name in ("minerals", "stages"):
            continue
        if "mineral" in df.columns and minerals:
            for i, mineral in df["mineral"].items():
                if mineral and mineral not in minerals:
                    problems.append(
                        Problem(
                            _file(paths, name), _row(i), "mineral", f"unknown mineral {mineral!r}"
                        )
                    )
        if {"mineral", "stage"} <= set(df.columns) and stages:
            for i, (mineral, stage) in enumerate(zip(df["mineral"], df["stage"], strict=True)):
                if mineral in minerals and (mineral, stage) not in stages:
                    problems.append(
                        Problem(
                            _file(paths, name),
                            _row(df.index[i]),
                            "stage",
                            f"unknown stage {stage!r} of {mineral}; expected one listed in stages.csv",
                        )
                    )
    return problems


def check_units(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Quantities are in their stage's unit, so no table silently mixes kt with t."""
    if "stages" not in tables:
        return []
    unit_of = {
        (m, s): u
        for m, s, u in zip(
            tables["stages"]["mineral"],
            tables["stages"]["stage"],
            tables["stages"]["unit"],
            strict=True,
        )
    }
    problems = []
    for name in STAGE_UNIT_TABLES:
        df = tables.get(name)
        if df is None or not {"mineral", "stage", "unit"} <= set(df.columns):
            continue
        for i, (m, s, u) in enumerate(zip(df["mineral"], df["stage"], df["unit"], strict=True)):
            expected = unit_of.get((m, s))
            if expected is not None and u != expected:
                problems.append(
                    Problem(
                        _file(paths, name),
                        _row(df.index[i]),
                        "unit",
                        f"unit mismatch: {m}/{s} is measured in {expected!r}, found {u!r}",
                    )
                )
    return problems


def check_share_sums(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Import shares of one importer, mineral, stage and year add up to 1."""
    df = tables.get("import_shares")
    if df is None or df.empty or "share" not in df.columns:
        return []
    shares = pd.to_numeric(df["share"], errors="coerce")
    keys = ["importer", "mineral", "stage", "year"]
    problems = []
    for key, idx in df.groupby(keys, sort=False).groups.items():
        total = float(shares.loc[idx].sum())
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            label = dict(zip(keys, cast(tuple, key), strict=True))
            problems.append(
                Problem(
                    _file(paths, "import_shares"),
                    _row(idx[0]),
                    "share",
                    f"shares for {label} sum to {total:.3f}; expected 1 (add an OTH row for the rest)",
                )
            )
    return problems


def check_world_totals(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """A world total is not below the sum of its countries (beyond rounding)."""
    problems = []
    for name in ("production", "capacity", "reserves"):
        df = tables.get(name)
        if df is None or df.empty or "value" not in df.columns:
            continue
        keys = ["mineral", "stage", "year"] if "stage" in df.columns else ["mineral", "year"]
        values = pd.to_numeric(df["value"], errors="coerce")
        for key, idx in df.groupby(keys, sort=False).groups.items():
            rows = df.loc[idx]
            world = rows.index[rows["iso3"] == "WLD"]
            if len(world) != 1:
                continue
            total = float(values.loc[world[0]])
            parts = float(values.loc[rows.index[rows["iso3"] != "WLD"]].sum())
            if parts > total * (1 + WORLD_TOTAL_TOLERANCE) + 1e-9:
                label = dict(zip(keys, cast(tuple, key), strict=True))
                problems.append(
                    Problem(
                        _file(paths, name),
                        _row(world[0]),
                        "value",
                        f"world total {total:g} for {label} is below the sum of countries {parts:g}",
                    )
                )
    return problems


CHECKS: tuple[Callable[[Tables, Mapping[str, str]], list[Problem]], ...] = (
    check_columns,
    check_values,
    check_provenance,
    check_codes,
    check_units,
    check_share_sums,
    check_world_totals,
)


def validate_tables(tables: Tables, paths: Mapping[str, str] | None = None) -> list[Problem]:
    """Run every check and return all problems found (empty when the tables are sound)."""
    paths = paths or {}
    structural = check_columns(tables, paths)
    if structural:
        return structural
    problems: list[Problem] = []
    for check in CHECKS[1:]:
        problems.extend(check(tables, paths))
    return problems


def raise_on(problems: Iterable[Problem]) -> None:
    """Raise one DataFileError listing every problem, if there are any."""
    problems = list(problems)
    if problems:
        raise DataFileError(problems)


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read a CSV as strings exactly as written, so validation sees what the user wrote."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            [Problem(str(path), None, None, f"expected UTF-8 text: {exc}")]
        ) from exc
    except pd.errors.ParserError as exc:
        raise DataFileError(
            [Problem(str(path), None, None, f"not a valid CSV file: {exc}")]
        ) from exc
    return df.apply(lambda s: s.str.strip())
