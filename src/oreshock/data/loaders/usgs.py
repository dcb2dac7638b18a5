"""USGS Mineral Commodity Summaries world production tables, in every layout USGS has
published them in a data release: the MCS2022-MCS2024 per-commodity world files
(``mcs2023-lithi_world.csv``), the MCS2025 world data file (doi:10.5066/P13XCP3R) and the
MCS2026 long file (``MCS2026_Commodities_Data.csv``); ``usgs_layouts.py`` describes each.
Years and units are read from each file, never assumed.

Only commodity/type pairs listed in ``usgs_commodities.csv`` are loaded; the rest of the file
(cement, gypsum, ...) is ignored. Values are converted to tonnes with the factor in that file,
and a unit written with the values (``Prod_kt_2022``, MCS2026 ``Unit``) must be the unit that
factor converts from: USGS has published wrong units in column names (the MCS2024 revision
notes correct eleven files). Withheld ("W"), "NA", "—", qualitative words ("Large",
"Negligible") and blank cells are skipped, never read as zero. ">N" is kept as the lower
bound N and the method says so.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from oreshock.core.errors import Problem
from oreshock.data.loaders.common import (
    HERE,
    Problems,
    check_columns,
    read_csv_text,
    to_schema,
)
from oreshock.data.loaders.usgs_layouts import (
    COMBINED_REQUIRED,
    LONG_REQUIRED,
    PER_COMMODITY_REQUIRED,
    UNIT_WORDS,
    Row,
    ValueColumn,
    combined_rows,
    file_commodity,
    file_edition,
    long_rows,
    per_commodity_columns,
    per_commodity_rows,
    type_column,
    value_columns,
)
from oreshock.data.loaders.usgs_layouts import norm as _norm

REQUIRED = COMBINED_REQUIRED
# Cell texts that mean "no number published"; compared after trimming and lower-casing.
NO_VALUE = frozenset(
    {"", "w", "(w)", "na", "n/a", "nan", "xx", "—", "–", "-", "--", "---", "do.",
     "large", "small", "very small", "moderate", "moderate to large", "negligible", "none"}
)  # fmt: skip
_NUMBER = re.compile(
    r"(?P<op>[<>]=?)?\s*(?P<sign>-)?(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)(?P<rest>.*)", re.S
)
_FOOTNOTE = re.compile(r"\s+\d{1,2}$")
_GLUED_DIGITS = re.compile(r"(?<=[a-z)])\d{1,2}$")
_ESTIMATE_MARK = re.compile(r"e(?=\d)")  # "e20,000" (MCS2024 vanadium): USGS's estimate mark
# Tonnes per unit, for units written with each value (column names, MCS2026 Unit column).
UNIT_FACTORS = {"metric tons": 1.0, "thousand metric tons": 1000.0, "kilograms": 0.001}
# How far the countries of one commodity may sum from the published world total before the
# file is refused. USGS rounds world totals, adds estimates for unlisted countries and leaves
# withheld ("W") countries out of the list, so the sum is often a few percent off (antimony
# 2024: 4% above) and may fall well short; a sum far above the total, or a small fraction of
# it, means a row is counted twice, is in the wrong unit or was cut short ("27" for "270000").
WORLD_SUM_ABOVE = 0.10
WORLD_SUM_BELOW = 0.50


@cache
def commodity_rules() -> pd.DataFrame:
    """Rows of usgs_commodities.csv with a normalised commodity key, in file order."""
    rules = pd.read_csv(HERE / "usgs_commodities.csv", dtype=str, keep_default_na=False)
    rules["key"] = rules["commodity"].map(_norm)
    rules["type_key"] = rules["type_contains"].map(_norm)
    return rules


@cache
def rules_by_commodity() -> dict[str, list[Any]]:
    """Commodity key -> its rules in file order, so each row looks up only its own."""
    found: dict[str, list[Any]] = {}
    for rule in commodity_rules().itertuples():
        found.setdefault(str(rule.key), []).append(rule)
    return found


def find_rule(commodity: str, type_text: str, table: str | None = None) -> Any | None:
    """First rule of the commodity whose type words occur in the type; None when the row
    is not read (no rule, or a rule with no mineral, which skips rows on purpose).

    With ``table`` (a type naming no stage, MCS2026 "Reserves"), a type that matches no
    rule falls to the commodity's only rule loading that table, if it has exactly one.
    """
    type_key = _norm(type_text)
    rules = rules_by_commodity().get(_norm(commodity), [])
    rule = next((r for r in rules if r.type_key in type_key), None)
    if rule is None and table is not None:
        loading = [r for r in rules if r.mineral and _factor(r, table)]
        rule = loading[0] if len(loading) == 1 else None
    return rule if rule is not None and rule.mineral else None


@cache
def country_names() -> dict[str, str]:
    """USGS country label -> ISO3 (WLD for world totals, OTH for other countries)."""
    names = pd.read_csv(HERE / "country_names.csv", dtype=str, keep_default_na=False)
    return {_norm(n): iso for n, iso in zip(names["name"], names["iso3"], strict=True)}


def country_match(label: str) -> tuple[str | None, str | None]:
    """(ISO3, remark) for a USGS label. Footnote marks are ignored: "World total (rounded) 10"
    (MCS2025), glued digits "Other countries4" (MCS2024), and a glued "e" for estimated
    ("Japane", "Russiae"), which makes the value an estimate and the remark says so."""
    names = country_names()
    key = _norm(label)
    for candidate in (key, _FOOTNOTE.sub("", key), _GLUED_DIGITS.sub("", key)):
        if candidate in names:
            return names[candidate], None
    if key.endswith("e") and key[:-1] in names:
        return names[key[:-1]], f"USGS country label {label.strip()!r}: footnote e, estimated"
    return None, None


def country_iso3(label: str) -> str | None:
    """ISO3 for a USGS label (see country_match), None when the label is not known."""
    return country_match(label)[0]


def parse_cell(text: str) -> tuple[float | None, str | None, str | None]:
    """Parse one USGS value cell into (value, remark for the method, error)."""
    clean = text.strip()
    if clean.casefold() in NO_VALUE or clean.casefold().startswith("included"):
        return None, None, None
    marked = _ESTIMATE_MARK.match(clean) is not None
    match = _NUMBER.fullmatch(clean[1:] if marked else clean)
    if match is None:
        return None, None, "a number, blank, W, NA or a USGS qualitative word"
    op, rest = match.group("op"), match.group("rest")
    if op and op.startswith("<"):
        return None, None, None  # an upper bound gives no usable quantity
    if rest and not (rest[0].isspace() or rest[0] == "(" or rest.strip().lower() == "e"):
        return None, None, "a number (footnote text must follow a space)"
    value = float(match.group("num").replace(",", ""))
    if match.group("sign"):
        value = -value
    remarks = []
    if marked:
        remarks.append(f"USGS gives {clean!r}; 'e' marks an estimate")
    if op:
        remarks.append(f"USGS gives {clean!r}; value is the lower bound")
    elif rest.strip():
        remarks.append(f"footnote text {rest.strip()!r} after the number dropped")
    return value, "; ".join(remarks) or None, None


def source_id(text: str) -> str:
    """``MCS2025`` -> ``usgs_mcs2025``: the source key cited by every row."""
    key = re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_") or "mcs"
    return key if key.startswith("usgs") else f"usgs_{key}"


def _status(column: ValueColumn, type_text: str, note: str) -> tuple[str, str | None]:
    """Status and method for one value: USGS estimates stay labelled as estimates."""
    if column.status == "estimated":
        method = "USGS estimate as published"
        return "estimated", method + (f"; USGS note: {note}" if note else "")
    if column.table == "reserves":
        return "reported", None
    if "estimated" in _norm(type_text):
        return "estimated", f"USGS TYPE says estimated: {type_text.strip()!r}"
    if "estimat" in _norm(note):
        return "estimated", f"USGS note: {note}"
    return "reported", None


def load_usgs(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a release into oreshock ``production``, ``capacity`` and ``reserves`` tables.

    Raises DataFileError listing every missing column, unknown country, unit mismatch,
    non-numeric or negative value among the mapped rows.
    """
    path = Path(path)
    problems = Problems()
    rows, per_commodity = read_rows(path, problems)
    problems.raise_if_any()
    records = map_rows(path, rows, problems)
    problems.extend(check_last_block(path, rows, per_commodity))
    if not problems.items:  # rows refused above would make the sums fall short anyway
        problems.extend(check_world_sums(path, records))
    problems.raise_if_any()
    return {table: to_schema(table, pd.DataFrame(rows, columns=_COLUMNS))
            for table, rows in records.items()}  # fmt: skip


def read_rows(path: Path, problems: Problems) -> tuple[list[Row], bool]:
    """The file's rows in whichever layout it has; True when it is a per-commodity file.

    A header with ``Statistics_detail`` is the MCS2026 long file, one with ``Country`` (not
    ``COUNTRY``) a per-commodity file; any other header is held to the combined layout, so
    a wrong file is told what that layout needs.
    """
    frame = read_csv_text(path, problems, [])
    if frame is None:
        return [], False
    if "Statistics_detail" in frame.columns:
        edition = file_edition(path, problems)
        check_columns(path, frame.columns, LONG_REQUIRED, problems)
        return ([] if problems.items or not edition else long_rows(frame, edition)), False
    if "Country" in frame.columns and "COUNTRY" not in frame.columns:
        return per_commodity_file(path, frame, problems), True
    check_columns(path, frame.columns, REQUIRED, problems)
    columns = value_columns(frame.columns)
    if not any(c.table == "production" for c in columns):
        header = ",".join(frame.columns)
        problems.add(path, 1, "PROD_<year>", "a production column like 'PROD_2023'", header)
    return ([] if problems.items else combined_rows(frame, columns)), False


def per_commodity_file(path: Path, frame: pd.DataFrame, problems: Problems) -> list[Row]:
    """Rows of an MCS2022-MCS2024 per-commodity file, once its name and header check out."""
    file = file_commodity(path, problems)
    required = PER_COMMODITY_REQUIRED if type_column(frame) is None else ["Country"]
    check_columns(path, frame.columns, required, problems)
    columns, notes = per_commodity_columns(path, frame.columns, problems)
    if problems.items or file is None:
        return []
    return per_commodity_rows(frame, columns, notes, file)


def map_rows(path: Path, rows: list[Row], problems: Problems) -> dict[str, list[dict]]:
    """Schema records of every mapped value; problems for every cell that cannot be read."""
    records: dict[str, list[dict]] = {"production": [], "capacity": [], "reserves": []}
    seen: dict[tuple, int] = {}
    reported: set[tuple] = set()
    for row in rows:
        for table, record in row_records(path, row, problems, reported):
            key = (table, record["mineral"], record["stage"], record["iso3"], record["year"])
            if key in seen:
                problems.add(path, row.line, row.country_field,
                             f"one row per country; row {seen[key]} already gives "
                             f"{record['mineral']} {table} {record['year']} for "
                             f"{record['iso3']}", row.country)  # fmt: skip
                continue
            seen[key] = row.line
            records[table].append(record)
    return records


def row_records(
    path: Path, row: Row, problems: Problems, reported: set[tuple]
) -> list[tuple[str, dict]]:
    """(table, record) of each mapped value of one row; the row's country and unit are
    checked once, and only when a value of the row is mapped."""
    table = None if row.type_names_stage else row.cells[0][0].table
    rules = {c.product: find_rule(row.commodity, c.product or row.type_text, table)
             for c, _ in row.cells}  # fmt: skip
    first = next((r for r in rules.values() if r is not None), None)
    if first is None:
        return []
    iso3, remark = country_match(row.country)
    if iso3 is None:
        problems.add(path, row.line, row.country_field,
                     "a country listed in country_names.csv", row.country)  # fmt: skip
        return []
    if _norm(row.unit) and _norm(row.unit) != _norm(first.unit_meas):
        problems.add(path, row.line, "UNIT_MEAS", f"{first.unit_meas!r} for {first.commodity}",
                     row.unit)  # fmt: skip
        return []
    found = []
    for column, text in row.cells:
        rule = rules[column.product]
        value = None if rule is None else cell_value(path, row, column, text, rule, problems)
        if value is not None and unit_ok(path, column, rule, problems, reported):
            found.append((column.table, _record(row, column, rule, value, iso3, remark)))
    return found


def _factor(rule: Any, table: str) -> str:
    """The rule's factor to tonnes for this table; empty when the table is not loaded."""
    return str(rule.reserves_factor if table == "reserves" else rule.unit_factor)


def cell_value(
    path: Path, row: Row, column: ValueColumn, text: str, rule: Any, problems: Problems
) -> tuple[float, str | None, bool] | None:
    """(value as published, remark, marked estimated) of one mapped cell; None when blank,
    withheld, not loaded for this commodity, or wrong (then a problem names the cell)."""
    value, remark, error = parse_cell(text)
    if error:
        problems.add(path, row.line, column.name, error, text)
        return None
    if value is None:
        return None
    if column.year < 0:
        problems.add(path, row.line, "Year", "a four-digit year", row.year_text)
        return None
    if value < 0:
        problems.add(path, row.line, column.name, "a value >= 0", text)
        return None
    if not _factor(rule, column.table):
        return None  # reserves deliberately not loaded for this commodity (see its note)
    return value, remark, _ESTIMATE_MARK.match(text.strip()) is not None


def unit_ok(
    path: Path, column: ValueColumn, rule: Any, problems: Problems, reported: set[tuple]
) -> bool:
    """A unit written with the value (a column name, MCS2026 ``Unit``) is the one the
    rule's factor converts from; a mismatch is reported once where the unit is written.
    Columns without a unit follow the row's UNIT_MEAS, checked with the row."""
    if not column.unit:
        return True
    factor = float(_factor(rule, column.table))
    if UNIT_FACTORS.get(_norm(column.unit)) == factor:
        return True
    where = (column.unit_line, column.unit_field or column.name)
    if where not in reported:
        reported.add(where)
        words = next((w for w, f in UNIT_FACTORS.items() if f == factor), f"x{factor:g} t")
        found = column.unit if column.unit_field else column.name
        abbreviations = ", ".join(f"{a} = {w}" for a, w in UNIT_WORDS.items())
        problems.add(path, *where,
                     f"{rule.commodity} {column.table} in {words!r}, the unit oreshock reads "
                     f"it in (in column names {abbreviations}; USGS has published wrong "
                     "units in column names)", found)  # fmt: skip
    return False


def _record(
    row: Row,
    column: ValueColumn,
    rule: Any,
    cell: tuple[float, str | None, bool],
    iso3: str,
    country_remark: str | None,
) -> dict:
    """One schema record; USGS estimates (column, type, note, value or country footnote)
    stay labelled as estimates, with the reason in ``method``."""
    value, remark, marked = cell
    reserves = column.table == "reserves"
    status, method = _status(column, row.type_text, row.notes.get(column.table, ""))
    if reserves:
        country_remark = None  # a footnote e on the country marks its production estimated
    if country_remark or marked:
        status = "estimated"
    method = "; ".join(m for m in (method, country_remark, remark) if m) or None
    return {
        "mineral": rule.reserves_mineral if reserves else rule.mineral,
        "stage": rule.stage,
        "iso3": iso3,
        "year": column.year,
        "value": value * float(_factor(rule, column.table)),
        "unit": rule.reserves_unit if reserves else rule.unit,
        "status": status,
        "source_id": source_id(row.source),
        "method": method,
    }


def check_last_block(path: Path, rows: list[Row], per_commodity: bool = False) -> list[Problem]:
    """A release lists each commodity's countries and then its World total, so a file whose
    last commodity has no World total row, where others have one, was cut short. A
    per-commodity file (one commodity, each block of countries closed by a World total) must
    end with a World total row."""
    world = {_norm(r.commodity) for r in rows if country_iso3(r.country) == "WLD"}
    if not rows or not world or country_iso3(rows[-1].country) == "WLD":
        return []
    last = rows[-1]
    if per_commodity:
        where = "before a 'World total' row closes them"
    elif _norm(last.commodity) in world:
        return []
    else:
        where = f"before their 'World total' row ({len(world)} other commodities have one)"
    return [
        Problem(
            str(path),
            last.line,
            last.country_field,
            f"the file ends inside the {last.commodity.strip()!r} rows, {where}: the file "
            "looks cut short; expected a World total row after the countries",
            expected="a World total row",
            found=last.country,
        )
    ]


def check_world_sums(path: Path, records: dict[str, list[dict]]) -> list[Problem]:
    """The countries of each commodity, stage and year add up to near the World total row."""
    problems = []
    for table in ("production", "capacity"):
        totals: dict[tuple, float] = {}
        parts: dict[tuple, float] = {}
        for r in records[table]:
            key = (r["mineral"], r["stage"], r["year"])
            if r["iso3"] == "WLD":
                totals[key] = r["value"]
            else:
                parts[key] = parts.get(key, 0.0) + r["value"]
        for key, world in totals.items():
            summed = parts.get(key)
            if summed is None or world <= 0:
                continue
            if summed > world * (1 + WORLD_SUM_ABOVE) or summed < world * (1 - WORLD_SUM_BELOW):
                mineral, stage, year = key
                problems.append(
                    Problem(
                        str(path),
                        None,
                        "COUNTRY",
                        f"{mineral} {stage} {table} {year}: the countries sum to {summed:g} t, "
                        f"{summed / world:.0%} of the published World total {world:g} t; "
                        f"expected between {1 - WORLD_SUM_BELOW:.0%} and "
                        f"{1 + WORLD_SUM_ABOVE:.0%} of it (a row cut short, counted twice or "
                        "in the wrong unit?)",
                        expected=f"{1 - WORLD_SUM_BELOW:.0%}-{1 + WORLD_SUM_ABOVE:.0%} of world",
                        found=f"{summed:g}",
                    )
                )
    return problems


_COLUMNS = ["mineral", "stage", "iso3", "year", "value", "unit", "status", "source_id", "method"]
