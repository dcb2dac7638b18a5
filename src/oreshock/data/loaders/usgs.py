"""USGS Mineral Commodity Summaries world data release (e.g. ``MCS2025_World_Data.csv``).

Published layout (doi:10.5066/P13XCP3R): ``SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS,
PROD_<y1>, PROD_EST_ <y2>, PROD_NOTES, CAP_<y1>, CAP_EST_ <y2>, CAP_NOTES, RESERVES_<y2>,
RESERVE_NOTES``. Years change every edition, so they are read from the header.

Only commodity/TYPE pairs listed in ``usgs_commodities.csv`` are loaded; the rest of the file
(cement, gypsum, ...) is ignored. Values are converted to tonnes with the factor in that file.
Withheld ("W"), "NA", "—", qualitative words ("Large", "Negligible") and blank cells are
skipped, never read as zero. ">N" is kept as the lower bound N and the method says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import pandas as pd

from oreshock.core.errors import Problem
from oreshock.data.loaders.common import HERE, Problems, read_csv_text, to_schema

REQUIRED = ["COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS"]
# Cell texts that mean "no number published"; compared after trimming and lower-casing.
NO_VALUE = frozenset(
    {"", "w", "(w)", "na", "n/a", "nan", "xx", "—", "–", "-", "--", "---", "do.",
     "large", "small", "very small", "moderate", "moderate to large", "negligible", "none"}
)  # fmt: skip
_NUMBER = re.compile(
    r"(?P<op>[<>]=?)?\s*(?P<sign>-)?(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)(?P<rest>.*)", re.S
)
_FOOTNOTE = re.compile(r"\s+\d{1,2}$")
_COLUMN_KINDS = (
    ("production", "estimated", re.compile(r"PROD_EST_\s*(\d{4})")),
    ("production", "reported", re.compile(r"PROD_(\d{4})")),
    ("capacity", "estimated", re.compile(r"CAP_EST_\s*(\d{4})")),
    ("capacity", "reported", re.compile(r"CAP_(\d{4})")),
    ("reserves", "reported", re.compile(r"RESERVES?_(\d{4})")),
)
_NOTES = {"production": "PROD_NOTES", "capacity": "CAP_NOTES", "reserves": "RESERVE_NOTES"}
# How far the countries of one commodity may sum from the published world total before the
# file is refused. USGS rounds world totals, adds estimates for unlisted countries and leaves
# withheld ("W") countries out of the list, so the sum is often a few percent off (antimony
# 2024: 4% above) and may fall well short; a sum far above the total, or a small fraction of
# it, means a row is counted twice, is in the wrong unit or was cut short ("27" for "270000").
WORLD_SUM_ABOVE = 0.10
WORLD_SUM_BELOW = 0.50


@dataclass(frozen=True)
class ValueColumn:
    """One numeric column of the release: which table, which year, what USGS calls it."""

    name: str
    table: str
    year: int
    status: str


def _norm(text: str) -> str:
    """Case-, space- and apostrophe-insensitive key for labels typed by hand at USGS."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()


@cache
def commodity_rules() -> pd.DataFrame:
    """Rows of usgs_commodities.csv with a normalised commodity key, in file order."""
    rules = pd.read_csv(HERE / "usgs_commodities.csv", dtype=str, keep_default_na=False)
    rules["key"] = rules["commodity"].map(_norm)
    rules["type_key"] = rules["type_contains"].map(_norm)
    return rules


@cache
def country_names() -> dict[str, str]:
    """USGS country label -> ISO3 (WLD for world totals, OTH for other countries)."""
    names = pd.read_csv(HERE / "country_names.csv", dtype=str, keep_default_na=False)
    return {_norm(n): iso for n, iso in zip(names["name"], names["iso3"], strict=True)}


def country_iso3(label: str) -> str | None:
    """ISO3 for a USGS label; trailing footnote numbers ("World total (rounded) 10") ignored."""
    names = country_names()
    key = _norm(label)
    if key in names:
        return names[key]
    return names.get(_FOOTNOTE.sub("", key))


def value_columns(columns: pd.Index) -> list[ValueColumn]:
    """Find the year columns of this edition from the header (first matching pattern wins)."""
    found = []
    for name in columns:
        for table, status, pattern in _COLUMN_KINDS:
            match = pattern.fullmatch(name)
            if match:
                found.append(ValueColumn(name, table, int(match.group(1)), status))
                break
    return found


def parse_cell(text: str) -> tuple[float | None, str | None, str | None]:
    """Parse one USGS value cell into (value, remark for the method, error)."""
    clean = text.strip()
    if clean.casefold() in NO_VALUE or clean.casefold().startswith("included"):
        return None, None, None
    match = _NUMBER.fullmatch(clean)
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
    """Read the release into oreshock ``production``, ``capacity`` and ``reserves`` tables.

    Raises DataFileError listing every missing column, unknown country, unit mismatch,
    non-numeric or negative value among the mapped rows.
    """
    path = Path(path)
    problems = Problems()
    frame = read_csv_text(path, problems, REQUIRED)
    if frame is None:
        problems.raise_if_any()
    assert frame is not None
    columns = value_columns(frame.columns)
    if not any(c.table == "production" for c in columns):
        header = ",".join(frame.columns)
        problems.add(path, 1, "PROD_<year>", "a production column like 'PROD_2023'", header)
    problems.raise_if_any()

    rules = commodity_rules()
    records: dict[str, list[dict]] = {"production": [], "capacity": [], "reserves": []}
    seen: dict[tuple, int] = {}
    text_rows = cast(list[dict[str, Any]], frame.to_dict("records"))  # every cell is text
    for index, row in enumerate(text_rows):
        line = index + 2
        candidates = rules[rules["key"] == _norm(row["COMMODITY"])]
        type_key = _norm(row["TYPE"])
        matches: list[Any] = list(candidates.itertuples())  # rows of commodity text
        rule = next((r for r in matches if r.type_key in type_key), None)
        if rule is None:
            continue
        iso3 = country_iso3(row["COUNTRY"])
        if iso3 is None:
            problems.add(path, line, "COUNTRY", "a country listed in country_names.csv",
                         row["COUNTRY"])  # fmt: skip
            continue
        unit_meas = _norm(row["UNIT_MEAS"])
        if unit_meas and unit_meas != _norm(rule.unit_meas):
            problems.add(path, line, "UNIT_MEAS", f"{rule.unit_meas!r} for {rule.commodity}",
                         row["UNIT_MEAS"])  # fmt: skip
            continue
        src = source_id(row.get("SOURCE", "") or "MCS")
        for column in columns:
            value, remark, error = parse_cell(row[column.name])
            if error:
                problems.add(path, line, column.name, error, row[column.name])
                continue
            if value is None:
                continue
            if value < 0:
                problems.add(path, line, column.name, "a value >= 0", row[column.name])
                continue
            reserves = column.table == "reserves"
            factor_text = rule.reserves_factor if reserves else rule.unit_factor
            if not factor_text:
                continue  # reserves deliberately not loaded for this commodity (see its note)
            note = " ".join(str(row.get(_NOTES[column.table], "")).split())
            status, method = _status(column, row["TYPE"], note)
            method = "; ".join(m for m in (method, remark) if m) or None
            record = {
                "mineral": rule.reserves_mineral if reserves else rule.mineral,
                "stage": rule.stage,
                "iso3": iso3,
                "year": column.year,
                "value": value * float(factor_text),
                "unit": rule.reserves_unit if reserves else rule.unit,
                "status": status,
                "source_id": src,
                "method": method,
            }
            key = (column.table, record["mineral"], record["stage"], iso3, column.year)
            if key in seen:
                problems.add(path, line, "COUNTRY",
                             f"one row per country; row {seen[key]} already gives "
                             f"{rule.mineral} {column.table} {column.year} for {iso3}",
                             row["COUNTRY"])  # fmt: skip
                continue
            seen[key] = line
            records[column.table].append(record)
    problems.extend(check_last_block(path, text_rows))
    if not problems.items:  # rows refused above would make the sums fall short anyway
        problems.extend(check_world_sums(path, records))
    problems.raise_if_any()
    return {table: to_schema(table, pd.DataFrame(rows, columns=_COLUMNS))
            for table, rows in records.items()}  # fmt: skip


def check_last_block(path: Path, rows: list[dict[str, Any]]) -> list[Problem]:
    """A release lists each commodity's countries and then its World total, so a file whose
    last commodity has no World total row, where others have one, was cut short."""
    world = {_norm(r["COMMODITY"]) for r in rows if country_iso3(r["COUNTRY"]) == "WLD"}
    if not rows or not world:
        return []
    last = _norm(rows[-1]["COMMODITY"])
    if last in world:
        return []
    return [
        Problem(
            str(path),
            len(rows) + 1,
            "COUNTRY",
            f"the file ends inside the {rows[-1]['COMMODITY'].strip()!r} rows, before their "
            f"'World total' row ({len(world)} other commodities have one): the file looks cut "
            "short; expected a World total row after the countries",
            expected="a World total row",
            found=rows[-1]["COUNTRY"],
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
