"""Small ``check_*`` functions over raw dataset tables; ``validate`` runs them all.

Each check returns every problem it finds (file, row, column, expectation) so a user fixes a
file in one pass. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd

from oreshock.core.errors import DataFileError, Problem
from oreshock.core.units import UnitError, split
from oreshock.data.schema import (
    NUMBER_TYPES,
    REGION_CODES,
    STAGE_UNIT_TABLES,
    STATUSES,
    column_names,
    primary_key,
    table_schema,
)

Tables = Mapping[str, pd.DataFrame]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
ISO3 = re.compile(r"^[A-Z]{3}$")
# A number as a person writes it in a CSV: no "1_000", "1,000", "inf" or "nan", which
# Python's float() accepts (or a spreadsheet produces) but a reader would not take for it.
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
STOCK_UNITS = ("days", "months")
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
    if kind in NUMBER_TYPES:
        if not NUMBER.match(raw):
            hint = (
                " (write digits only: no '_' or ',' between them)"
                if re.search(r"\d[_,]\d", raw)
                else ""
            )
            return f"expected a number, found {raw!r}{hint}"
        number = float(raw)
        if number in (float("inf"), float("-inf")):
            return f"expected a finite number, found {raw!r}"
        if number < 0:
            return f"expected a non-negative number, found {raw!r}"
        if kind == "positive" and number == 0:
            return f"expected a number above zero, found {raw!r}"
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


def check_keys(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """One row per primary key (``key`` in schema/tables.csv): a repeated row is counted
    twice and a conflicting one makes the figure depend on row order, so both are refused."""
    problems = []
    for name, df in tables.items():
        key = [c for c in primary_key(name) if c in df.columns]
        if not key or df.empty:
            continue
        repeated = df[df.duplicated(key, keep=False)]
        text = repeated.astype(str)
        for _, group in text.groupby(key, sort=False):
            first = group.index[0]
            cells = group.loc[first]
            label = ", ".join(f"{c}={cells[c]!s}" for c in key)
            for i in group.index[1:]:
                row = group.loc[i]
                differs = [str(c) for c in df.columns if row[c] != cells[c]]
                if not differs:
                    message = f"duplicate of row {_row(first)} ({label}); expected one row per key"
                    column = None
                else:
                    column = differs[0]
                    values = "; ".join(f"{c} {row[c]!r} against {cells[c]!r}" for c in differs)
                    message = (
                        f"conflicts with row {_row(first)} for the same key ({label}): "
                        f"{values}; expected one row per key"
                    )
                problems.append(Problem(_file(paths, name), _row(i), column, message))
    return problems


def check_stages(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Every stage after a chain's first has a yield (its input is the stage before it)."""
    df = tables.get("stages")
    if df is None or not {"mineral", "order", "yield"} <= set(df.columns):
        return []
    problems = []
    order = pd.to_numeric(df["order"], errors="coerce")
    for mineral, idx in df.groupby("mineral", sort=False).groups.items():
        first = order.loc[idx].min()
        for i in idx:
            if order.at[i] > first and df.at[i, "yield"] == "":
                problems.append(
                    Problem(
                        _file(paths, "stages"),
                        _row(i),
                        "yield",
                        f"a yield is required: stage {df.at[i, 'stage']!r} of {mineral} is fed "
                        "by the stage before it",
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
    for i, unit in tables["stages"]["unit"].items():
        try:
            split(str(unit))
        except UnitError as exc:
            problems.append(Problem(_file(paths, "stages"), _row(i), "unit", str(exc)))
    stocks = tables.get("stocks")
    if stocks is not None and {"mineral", "stage", "unit"} <= set(stocks.columns):
        for i, (m, s, u) in enumerate(
            zip(stocks["mineral"], stocks["stage"], stocks["unit"], strict=True)
        ):
            allowed = [*STOCK_UNITS, *([unit_of[(m, s)]] if (m, s) in unit_of else [])]
            if u not in allowed:
                problems.append(
                    Problem(
                        _file(paths, "stocks"),
                        _row(stocks.index[i]),
                        "unit",
                        f"expected one of {allowed} for a stock of {m}/{s}, found {u!r}",
                    )
                )
    reserves = tables.get("reserves")
    if reserves is not None and {"mineral", "unit"} <= set(reserves.columns):
        first_unit: dict[str, tuple[str, Any]] = {}
        for i, (m, u) in zip(
            reserves.index, zip(reserves["mineral"], reserves["unit"], strict=True), strict=True
        ):
            seen = first_unit.setdefault(m, (u, i))
            if seen[0] != u:
                problems.append(
                    Problem(
                        _file(paths, "reserves"),
                        _row(i),
                        "unit",
                        f"unit mismatch: {m} reserves are in {seen[0]!r} (row {_row(seen[1])}), "
                        f"found {u!r}; expected one unit per mineral",
                    )
                )
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
    """Import shares of one importer, mineral, stage and year add up to 1; shares of world
    output at a stage, and of a stage's demand by end use, to at most 1."""
    problems = _parts_at_most_one(tables, paths)
    df = tables.get("import_shares")
    if df is None or df.empty or "share" not in df.columns:
        return problems
    shares = pd.to_numeric(df["share"], errors="coerce")
    keys = ["importer", "mineral", "stage", "year"]
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


PARTS_OF_ONE = {
    "stage_shares": ["mineral", "stage", "year"],
    "end_uses": ["mineral", "stage", "iso3", "year"],
}


def _parts_at_most_one(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Shares of one whole (world output of a stage, a stage's demand) add up to at most 1."""
    problems = []
    for name, keys in PARTS_OF_ONE.items():
        df = tables.get(name)
        if df is None or df.empty or not {"share", *keys} <= set(df.columns):
            continue
        shares = pd.to_numeric(df["share"], errors="coerce")
        for key, idx in df.groupby(keys, sort=False).groups.items():
            total = float(shares.loc[idx].sum())
            if total > 1.0 + SHARE_SUM_TOLERANCE:
                label = dict(zip(keys, cast(tuple, key), strict=True))
                problems.append(
                    Problem(
                        _file(paths, name),
                        _row(idx[0]),
                        "share",
                        f"shares for {label} sum to {total:.3f}; expected at most 1",
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


RANGED_STATUSES = ("estimated", "assumed")


def _range_missing(
    where: str, row: int, status: str, low: float, high: float, method: str
) -> list[Problem]:
    """What an estimated or assumed stock lacks: its range, or how it was obtained."""
    problems = [
        Problem(
            where,
            row,
            col,
            f"expected a number for a stock whose status is {status!r} "
            "(its range is required), found an empty cell",
        )
        for col, x in (("low", low), ("high", high))
        if math.isnan(x)
    ]
    if not method:
        problems.append(
            Problem(
                where,
                row,
                "method",
                f"expected how the {status} level and its range were obtained, found an empty cell",
            )
        )
    return problems


def check_stock_ranges(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """A stock that is estimated or assumed states its range (``low`` and ``high``) and how it
    was obtained (``method``), and every stated range holds its value: low <= value <= high.

    Single runs use ``value``; ensembles sample the range, so a range that excludes the value,
    or an uncertain level without one, would make the two disagree silently. Base-year prices
    are held to the same rule, and their unit is USD/kg."""
    problems = _ranges(tables, paths, "stocks") + _ranges(tables, paths, "prices")
    problems += _ranges(tables, paths, "impact_bridge")
    prices = tables.get("prices")
    if prices is not None and "unit" in prices:
        where = _file(paths, "prices")
        for i, unit in zip(prices.index, prices["unit"], strict=True):
            if unit != "USD/kg":
                problems.append(Problem(where, _row(i), "unit", f"expected USD/kg, found {unit!r}"))
    return problems


def _ranges(tables: Tables, paths: Mapping[str, str], table: str) -> list[Problem]:
    df = tables.get(table)
    need = {"value", "low", "high", "status", "method"}
    if df is None or df.empty or not need <= set(df.columns):
        return []
    where = _file(paths, table)
    numbers = {
        c: pd.to_numeric(df[c], errors="coerce").astype(float).tolist()
        for c in ("value", "low", "high")
    }
    methods = df["method"].astype("string").fillna("").str.strip().tolist()
    statuses = df["status"].astype("string").fillna("").str.strip().tolist()
    problems = []
    for k, i in enumerate(df.index):
        low, value, high = (numbers[c][k] for c in ("low", "value", "high"))
        if statuses[k] in RANGED_STATUSES:
            problems += _range_missing(where, _row(i), statuses[k], low, high, methods[k])
        if not math.isnan(low) and not math.isnan(value) and low > value:
            problems.append(
                Problem(where, _row(i), "low", f"expected low <= value ({value:g}), found {low:g}")
            )
        if not math.isnan(high) and not math.isnan(value) and high < value:
            problems.append(
                Problem(
                    where, _row(i), "high", f"expected high >= value ({value:g}), found {high:g}"
                )
            )
    return problems


ELEMENT_SYMBOLS = """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge
    As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm
    Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U
    Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"""
ELEMENTS = frozenset(ELEMENT_SYMBOLS.split())
PRODUCT_SHARE_TOLERANCE = 0.01
PRODUCT_MEASURES = ("production", "use")
MAX_RECIPE_INPUT = 2.0  # t of all inputs per t of output above this is implausible


def check_minerals(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """A product's family is a known mineral and its elements are chemical symbols."""
    df = tables.get("minerals")
    if df is None or not {"family", "elements"} <= set(df.columns):
        return []
    where = _file(paths, "minerals")
    known = set(df["mineral"])
    problems = []
    for i, family in df["family"].items():
        if family and family not in known:
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "family",
                    f"unknown family {family!r}; expected a mineral listed in minerals.csv",
                )
            )
    for i, elements in df["elements"].items():
        wrong = [e for e in str(elements).split() if e not in ELEMENTS]
        if wrong:
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "elements",
                    f"expected chemical symbols separated by "
                    f"spaces (e.g. 'Nd Pr'), found {', '.join(map(repr, wrong))}",
                )
            )
    return problems


def _stage_orders(tables: Tables) -> dict[str, dict[str, float]]:
    """Stage -> order for each mineral of stages.csv (unparseable orders read as NaN)."""
    df = tables.get("stages")
    out: dict[str, dict[str, float]] = {}
    if df is None or not {"mineral", "stage", "order"} <= set(df.columns):
        return out
    order = pd.to_numeric(df["order"], errors="coerce").astype(float).tolist()
    for mineral, stage, position in zip(df["mineral"], df["stage"], order, strict=True):
        out.setdefault(str(mineral), {})[str(stage)] = position
    return out


def _numbers(df: pd.DataFrame, *columns: str) -> dict[str, dict[Any, float]]:
    """Columns as numbers by row label (blank or unparseable cells read as NaN)."""
    return {
        c: pd.to_numeric(df[c].replace("", None), errors="coerce").astype(float).to_dict()
        for c in columns
    }


def _range_problems(
    where: str, df: pd.DataFrame, value: str, numbers: dict[str, dict[Any, float]]
) -> list[Problem]:
    """low <= high, and the central value within them, wherever both are given."""
    problems = []
    for i in df.index:
        v, low, high = (numbers[c][i] for c in (value, "low", "high"))
        if math.isnan(low) or math.isnan(high):
            continue
        if low > high:
            problems.append(
                Problem(where, _row(i), "low", f"expected low <= high, found {low:g} > {high:g}")
            )
        elif not math.isnan(v) and not low <= v <= high:
            problems.append(
                Problem(
                    where,
                    _row(i),
                    value,
                    f"expected {value} within [{low:g}, {high:g}], found {v:g}",
                )
            )
    return problems


def check_recipes(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Recipes name known minerals and stages, feed a product's first stage, have one
    principal input per product stage and plausible quantities within their ranges."""
    df = tables.get("recipes")
    if df is None or df.empty:
        return []
    where = _file(paths, "recipes")
    orders = _stage_orders(tables)
    problems = []
    for i in df.index:
        for mineral_col, stage_col in (("product", "stage"), ("input", "input_stage")):
            mineral, stage = str(df.at[i, mineral_col]), str(df.at[i, stage_col])
            if mineral not in orders:
                problems.append(
                    Problem(
                        where,
                        _row(i),
                        mineral_col,
                        f"unknown mineral {mineral!r}; expected one listed in stages.csv",
                    )
                )
            elif stage not in orders[mineral]:
                problems.append(
                    Problem(
                        where,
                        _row(i),
                        stage_col,
                        f"unknown stage {stage!r} of {mineral}; expected one listed in stages.csv",
                    )
                )
        product, stage = str(df.at[i, "product"]), str(df.at[i, "stage"])
        chain = orders.get(product, {})
        if stage in chain and chain[stage] > min(chain.values()):
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "stage",
                    f"a recipe feeds the first stage "
                    f"of {product}; {stage!r} is fed by the stage before it",
                )
            )
        if df.at[i, "principal"] not in ("yes", "no"):
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "principal",
                    f"expected 'yes' or 'no', found {df.at[i, 'principal']!r}",
                )
            )
    numbers = _numbers(df, "quantity", "low", "high")
    problems += _range_problems(where, df, "quantity", numbers)
    for key, idx in df.groupby(["product", "stage"], sort=False).groups.items():
        product, stage = cast(tuple, key)
        principal = int((df.loc[idx, "principal"] == "yes").sum())
        if principal != 1:
            problems.append(
                Problem(
                    where,
                    _row(idx[0]),
                    "principal",
                    f"{product} {stage} has {principal} principal inputs; expected exactly one",
                )
            )
        total = sum(numbers["quantity"][j] for j in idx)
        if total > MAX_RECIPE_INPUT:
            problems.append(
                Problem(
                    where,
                    _row(idx[0]),
                    "quantity",
                    f"{product} {stage} takes "
                    f"{total:g} t of inputs per t; expected at most "
                    f"{MAX_RECIPE_INPUT:g}",
                )
            )
    return problems


def check_product_shares(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """Each share names a product of the row's family at one of its stages, and the shares
    of one family, stage, country, year and measure sum to 1."""
    df = tables.get("product_shares")
    if df is None or df.empty:
        return []
    where = _file(paths, "product_shares")
    minerals = tables.get("minerals")
    family_of: dict[str, str] = {}
    if minerals is not None and "family" in minerals.columns:
        family_of = dict(zip(minerals["mineral"], minerals["family"], strict=True))
    orders = _stage_orders(tables)
    problems = []
    for i in df.index:
        product, family = str(df.at[i, "product"]), str(df.at[i, "family"])
        stage = str(df.at[i, "stage"])
        if family_of.get(product) != family:
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "product",
                    f"{product!r} is not a product "
                    f"of {family!r}; expected a mineral whose family is "
                    f"{family!r} in minerals.csv",
                )
            )
        elif stage not in orders.get(product, {}):
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "stage",
                    f"unknown stage {stage!r} of {product}; expected one listed in stages.csv",
                )
            )
        if df.at[i, "measure"] not in PRODUCT_MEASURES:
            problems.append(
                Problem(
                    where,
                    _row(i),
                    "measure",
                    f"expected one of {list(PRODUCT_MEASURES)}, found {df.at[i, 'measure']!r}",
                )
            )
    numbers = _numbers(df, "share", "low", "high")
    problems += _range_problems(where, df, "share", numbers)
    keys = ["family", "stage", "iso3", "year", "measure"]
    for key, idx in df.groupby(keys, sort=False).groups.items():
        total = sum(numbers["share"][j] for j in idx)
        if abs(total - 1.0) > PRODUCT_SHARE_TOLERANCE:
            label = dict(zip(keys, cast(tuple, key), strict=True))
            problems.append(
                Problem(
                    where,
                    _row(idx[0]),
                    "share",
                    f"shares for {label} sum to "
                    f"{total:.4f}; expected 1 (within {PRODUCT_SHARE_TOLERANCE})",
                )
            )
    return problems


FIRST_USE_TOLERANCE = 0.01


def check_first_use_sectors(tables: Tables, paths: Mapping[str, str]) -> list[Problem]:
    """The industries' shares of one mineral's first use (``first_use_sectors``) sum to 1:
    every tonne of its final use goes to some industry, and no tonne to two."""
    df = tables.get("first_use_sectors")
    if df is None or df.empty or not {"mineral", "share"} <= set(df.columns):
        return []
    shares = pd.to_numeric(df["share"], errors="coerce")
    problems = []
    for mineral, idx in df.groupby("mineral", sort=False).groups.items():
        total = float(shares.loc[idx].sum())
        if math.isfinite(total) and abs(total - 1.0) > FIRST_USE_TOLERANCE:
            problems.append(
                Problem(
                    _file(paths, "first_use_sectors"),
                    _row(idx[0]),
                    "share",
                    f"the industries' shares of {mineral}'s first use sum to {total:.4f}; "
                    f"expected 1 (within {FIRST_USE_TOLERANCE}): every tonne of its final use "
                    "goes to one industry",
                    "1",
                    f"{total:.4f}",
                )
            )
    return problems


CHECKS: tuple[Callable[[Tables, Mapping[str, str]], list[Problem]], ...] = (
    check_columns,
    check_values,
    check_keys,
    check_stages,
    check_provenance,
    check_codes,
    check_units,
    check_share_sums,
    check_world_totals,
    check_stock_ranges,
    check_minerals,
    check_recipes,
    check_product_shares,
    check_first_use_sectors,
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


def check_csv_shape(
    path: str | Path, text: str, *, cut_last_line: bool = False, extra_blank_ok: bool = False
) -> list[Problem]:
    """Every row has the header's number of fields and every quote is closed.

    pandas pads a short row with blanks, so a file cut in the middle of a line would
    otherwise load with its last figure cut short ("27" for "270000"). With
    ``cut_last_line``, a file whose last line has no line break is refused as well: a cut
    that falls inside the last field leaves the field count intact. Rows are counted as
    pandas counts them (blank lines skipped, the header is row 1).
    """
    where = str(path)
    if not text.strip():
        return [Problem(where, None, None, "the file is empty; expected a header row")]
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width = 0
    row = 0
    try:
        for fields in reader:
            if not fields or fields == [""]:
                continue
            row += 1
            if row == 1:
                width = len(fields)
                continue
            if len(fields) < width:
                problems.append(
                    Problem(
                        where,
                        row,
                        None,
                        f"row has {len(fields)} of the header's {width} fields (ends with "
                        f"{fields[-1]!r}): the line is cut short; expected {width} fields",
                        expected=f"{width} fields",
                        found=f"{len(fields)} fields",
                    )
                )
            elif len(fields) > width and not (
                extra_blank_ok and not any(f.strip() for f in fields[width:])
            ):
                problems.append(
                    Problem(
                        where,
                        row,
                        None,
                        f"row has {len(fields)} fields; expected the header's {width}",
                        expected=f"{width} fields",
                        found=f"{len(fields)} fields",
                    )
                )
    except csv.Error as exc:
        problems.append(
            Problem(
                where,
                row + 1,
                None,
                f"a quoted field is never closed ({exc}): the file looks cut off; "
                "expected a closing '\"'",
            )
        )
        return problems
    if cut_last_line and not text.endswith(("\n", "\r")):
        problems.append(
            Problem(
                where,
                row,
                None,
                "the last line does not end with a line break: the file looks cut off in the "
                "middle of a row; download it again (if it is complete, end it with a line break)",
            )
        )
    return problems


def check_balance(tables: Tables, derived: Tables, base_year: int) -> list[Problem]:
    """Derived consumption and trade are finite and not negative, and each stage's world
    consumption equals its world production in the base year (what the network relies on)."""
    problems = []
    for name in ("consumption", "trade"):
        df = derived.get(name)
        if df is None or df.empty:
            continue
        values = df["value"].astype(float)
        bad = ~values.map(math.isfinite) | (values < 0)
        for i in df.index[bad]:
            problems.append(
                Problem(
                    f"{name} (derived)",
                    None,
                    "value",
                    f"{df.at[i, 'mineral']!s}/{df.at[i, 'stage']!s}: derived value "
                    f"{values.at[i]!r}; expected a finite number >= 0 (check the stage's "
                    "yield and production)",
                )
            )
    consumption = derived.get("consumption")
    production = tables.get("production")
    if consumption is None or consumption.empty or production is None:
        return problems
    for (mineral, stage), used in consumption.groupby(["mineral", "stage"], sort=False):
        made = production[
            (production["mineral"] == mineral)
            & (production["stage"] == stage)
            & (production["iso3"] != "WLD")
            & (production["year"] == used["year"].max())
        ]
        supply, demand = float(made["value"].sum()), float(used["value"].sum())
        if supply > 0 and abs(demand - supply) > 1e-6 * supply:
            problems.append(
                Problem(
                    "consumption (derived)",
                    None,
                    "value",
                    f"{mineral}/{stage}: world consumption {demand:g} does not balance world "
                    f"production {supply:g} in {base_year}",
                )
            )
    return problems


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read a CSV as strings exactly as written, so validation sees what the user wrote."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            [Problem(str(path), None, None, f"expected UTF-8 text: {exc}")]
        ) from exc
    raise_on(check_csv_shape(path, text))
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(
            [Problem(str(path), None, None, f"not a valid CSV file: {exc}")]
        ) from exc
    return df.apply(lambda s: s.str.strip())
