"""The layouts USGS has published its MCS world production tables in, each read into rows.

The loader maps commodities, countries and values once (``usgs.py``); what differs between
editions is only where each thing is written, so each layout here turns its file into
:class:`Row` objects and nothing else:

- MCS2025 world data release, one file for all commodities (``MCS2025_World_Data.csv``):
  ``SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS, PROD_<y1>, PROD_EST_ <y2>, PROD_NOTES,
  CAP_<y1>, CAP_EST_ <y2>, CAP_NOTES, RESERVES_<y2>, RESERVE_NOTES``.
- MCS2022-MCS2024 data releases, one file per commodity (``mcs2023-lithi_world.csv``):
  ``Source, Country, Type, Prod_<unit>_<y1>, Prod_<unit>_est_<y2>, Prod_notes,
  Reserves_<unit>, Reserves_notes``. The commodity is named only in the file name and the
  unit only in the column names (``t``, ``kt``, ``kg``). MCS2022 writes ``_Est_`` and has
  neither notes nor reserves; MCS2024 writes ``Prod_note`` in some files, pads rows with
  empty fields and ends files with empty rows; titanium names its product in the column
  (``Prod_Sponge_t_Est_2022``, ``Cap_Pigment_t_2023``); the MCS2024 fluorspar file has the
  type text itself where the ``Type`` header belongs.
- MCS2026 data release, one long file (``MCS2026_Commodities_Data.csv``, Windows-1252):
  ``MCS chapter, Section, Commodity, Country, Statistics, Statistics_detail, Unit, Year,
  Value, Notes, Is critical mineral 2025, Other notes``, one row per value. Only the
  ``World ...`` sections are world tables (the others are U.S. salient statistics); the
  unit and year are those of the row's value, and estimates say "Estimated." in Notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import pandas as pd

from oreshock.data.loaders.common import HERE, Problems

COMBINED_REQUIRED = ["COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS"]
PER_COMMODITY_REQUIRED = ["Country", "Type"]
LONG_REQUIRED = ["Section", "Commodity", "Country", "Statistics", "Statistics_detail", "Unit",
                 "Year", "Value", "Notes"]  # fmt: skip
_TABLES = ("production", "capacity", "reserves")
_COLUMN_KINDS = (
    ("production", "estimated", re.compile(r"PROD_EST_\s*(\d{4})")),
    ("production", "reported", re.compile(r"PROD_(\d{4})")),
    ("capacity", "estimated", re.compile(r"CAP_EST_\s*(\d{4})")),
    ("capacity", "reported", re.compile(r"CAP_(\d{4})")),
    ("reserves", "reported", re.compile(r"RESERVES?_(\d{4})")),
)
_COMBINED_NOTES = {"production": "PROD_NOTES", "capacity": "CAP_NOTES",
                   "reserves": "RESERVE_NOTES"}  # fmt: skip
_KINDS = {"prod": "production", "cap": "capacity", "reserves": "reserves"}
_PER_COMMODITY_NOTE = re.compile(r"(?P<kind>Prod|Cap|Reserves)_notes?")
_ESTIMATE = frozenset({"est", "Est"})
# Unit abbreviations in per-commodity column names, as the MCS2024 revision notes spell
# them out ("changed units in field names to kt (thousand metric tons)").
UNIT_WORDS = {"t": "metric tons", "kt": "thousand metric tons", "kg": "kilograms"}
_EDITION = re.compile(r"mcs(?P<edition>\d{4})", re.I)
_FILE_NAME = re.compile(r"mcs(?P<edition>\d{4})-(?P<slug>[a-z]+(?:-[a-z]+)*)_world", re.I)


@dataclass(frozen=True)
class ValueColumn:
    """One numeric column: which table, which year, what USGS calls it.

    ``unit`` holds the unit words when the column names its own unit (per-commodity files);
    empty when the row's UNIT_MEAS applies. ``product`` is the product a column names.
    ``unit_line`` and ``unit_field`` say where that unit is written, for problems: row 1 and
    the column's own name, or (MCS2026) the value's row and its ``Unit`` column.
    """

    name: str
    table: str
    year: int
    status: str
    unit: str = ""
    product: str = ""
    unit_line: int = 1
    unit_field: str = ""


@dataclass
class Row:
    """One published row, whatever the layout: where it is, what it is, its value cells."""

    line: int
    commodity: str
    country: str
    type_text: str
    source: str
    unit: str  # the row's unit words (UNIT_MEAS); "" when each column names its own
    cells: list[tuple[ValueColumn, str]]
    notes: dict[str, str] = field(default_factory=dict)
    country_field: str = "COUNTRY"  # the header of the country column, for problems
    # False when the type is a statistic naming no stage ("Reserves", "Production capacity"),
    # as in MCS2026: the value then belongs to its commodity's one rule for that table.
    type_names_stage: bool = True
    year_text: str = ""  # MCS2026 Year cell when it is not a year (kept for the problem)


def norm(text: str) -> str:
    """Case-, space- and apostrophe-insensitive key for labels typed by hand at USGS."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()


def value_columns(columns: pd.Index) -> list[ValueColumn]:
    """Year columns of a combined release, from its header (first matching pattern wins)."""
    found = []
    for name in columns:
        for table, status, pattern in _COLUMN_KINDS:
            match = pattern.fullmatch(name)
            if match:
                found.append(ValueColumn(name, table, int(match.group(1)), status))
                break
    return found


def _text_rows(frame: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """(spreadsheet row, cells) of each row holding any text; MCS2024 files end with rows
    of empty fields, which say nothing and must not read as a commodity without a total."""
    records = cast(list[dict[str, Any]], frame.to_dict("records"))  # every cell is text
    return [(i + 2, r) for i, r in enumerate(records) if any(str(v).strip() for v in r.values())]


def combined_rows(frame: pd.DataFrame, columns: list[ValueColumn]) -> list[Row]:
    """Rows of a release with one file for all commodities (MCS2025 layout)."""
    return [
        Row(
            line=line,
            commodity=r["COMMODITY"],
            country=r["COUNTRY"],
            type_text=r["TYPE"],
            source=r.get("SOURCE", "") or "MCS",
            unit=r["UNIT_MEAS"],
            cells=[(c, r[c.name]) for c in columns],
            notes={t: " ".join(str(r.get(n, "")).split()) for t, n in _COMBINED_NOTES.items()},
        )
        for line, r in _text_rows(frame)
    ]


@cache
def commodity_slugs() -> dict[str, str]:
    """Per-commodity file slug ("lithi") -> commodity as usgs_commodities.csv names it."""
    slugs = pd.read_csv(HERE / "usgs_slugs.csv", dtype=str, keep_default_na=False)
    return dict(zip(slugs["slug"].str.lower(), slugs["commodity"], strict=True))


def _named(
    path: Path, pattern: re.Pattern[str], problems: Problems, expected: str
) -> re.Match[str] | None:
    """The match of ``pattern`` in the file's name, or a problem saying what was expected:
    USGS puts in the name what no column of the file says."""
    match = pattern.search(path.name)
    if match is None:
        problems.add(path, None, None, expected, path.name)
    return match


def file_commodity(path: Path, problems: Problems) -> tuple[str, str] | None:
    """(edition, commodity) of a per-commodity file, read from its name as USGS gives it
    (``mcs2023-lithi_world.csv``): the file itself never names its commodity."""
    match = _named(path, _FILE_NAME, problems, "a per-commodity file named as USGS names it, "
                   "like 'mcs2023-lithi_world.csv' (only the name says which commodity it is)")  # fmt: skip
    if match is None:
        return None
    slug = match.group("slug").lower()
    commodity = commodity_slugs().get(slug)
    if commodity is None:
        problems.add(path, None, None, "a commodity listed in usgs_slugs.csv (the "
                     "commodities oreshock reads)", slug)  # fmt: skip
        return None
    return f"MCS{match.group('edition')}", commodity


@dataclass(frozen=True)
class _Name:
    """A per-commodity column name taken apart: ``Prod_Sponge_t_Est_2022``."""

    kind: str
    product: str
    unit: str
    estimated: bool
    year: int | None


def _split_name(name: str) -> _Name | None:
    """Kind, product, unit, estimate flag and year of a value column name, else None.

    Split on "_" rather than matched whole: the unit is the last part before ``est`` and the
    year, and anything between the kind and the unit is a product (titanium "Sponge",
    potash "ore_K2O_equiv").
    """
    parts = name.split("_")
    if parts[0] not in ("Prod", "Cap", "Reserves"):
        return None
    year = int(parts.pop()) if re.fullmatch(r"\d{4}", parts[-1]) else None
    estimated = parts[-1] in _ESTIMATE
    if estimated:
        parts.pop()
    if len(parts) < 2 or not parts[-1].isalpha():
        return None
    return _Name(_KINDS[parts[0].lower()], "_".join(parts[1:-1]), parts[-1], estimated, year)


def per_commodity_columns(
    path: Path, columns: pd.Index, problems: Problems
) -> tuple[list[ValueColumn], dict[str, str]]:
    """Value and note columns of a per-commodity file; units and years from the names.

    Reserves columns mostly name no year: reserves are given for the latest production year.
    """
    notes: dict[str, str] = {}
    parsed: list[tuple[str, _Name]] = []
    for name in columns:
        note = _PER_COMMODITY_NOTE.fullmatch(name)
        if note:
            notes[_KINDS[note.group("kind").lower()]] = name
        elif (split := _split_name(name)) is not None:
            parsed.append((name, split))
    years = [n.year for _, n in parsed if n.kind == "production" and n.year is not None]
    if not years:
        header = ",".join(columns)
        problems.add(path, 1, "Prod_<unit>_<year>", "a production column like 'Prod_t_2022'",
                     header)  # fmt: skip
        return [], notes
    latest = max(years)
    return [_value_column(name, n, latest) for name, n in parsed], notes


def _value_column(name: str, split: _Name, latest: int) -> ValueColumn:
    """The value column a split name describes; no year means the latest production year."""
    status = "estimated" if split.estimated else "reported"
    unit = UNIT_WORDS.get(split.unit, split.unit)
    return ValueColumn(name, split.kind, split.year or latest, status, unit, split.product)


def type_column(frame: pd.DataFrame) -> str | None:
    """The column holding the row type: ``Type``, or (MCS2024 fluorspar) the third column
    when its header is the type text itself and every row repeats it."""
    if "Type" in frame.columns:
        return "Type"
    if len(frame.columns) < 3:
        return None
    third = frame.columns[2]
    values = {norm(v) for v in frame[third] if str(v).strip()}
    return third if values == {norm(third)} else None


def per_commodity_rows(
    frame: pd.DataFrame, columns: list[ValueColumn], notes: dict[str, str], file: tuple[str, str]
) -> list[Row]:
    """Rows of a per-commodity file (MCS2022-MCS2024 layouts); the caller checked Type."""
    edition, commodity = file
    kind = type_column(frame) or "Type"
    return [
        Row(
            line=line,
            commodity=commodity,
            country=r["Country"],
            type_text=r[kind],
            source=r.get("Source", "") or edition,
            unit="",
            cells=[(c, r[c.name]) for c in columns],
            notes={t: " ".join(str(r[n]).split()) for t, n in notes.items()},
            country_field="Country",
        )
        for line, r in _text_rows(frame)
    ]


def file_edition(path: Path, problems: Problems) -> str | None:
    """``MCS2026`` from a long file's name (``MCS2026_Commodities_Data.csv``): no column
    of that file says which edition it is."""
    match = _named(path, _EDITION, problems, "a file named as USGS names it, like "
                   "'MCS2026_Commodities_Data.csv' (only the name gives the edition)")  # fmt: skip
    if match is None:
        return None
    return f"MCS{match.group('edition')}"


def _long_row(line: int, r: dict[str, Any], edition: str) -> Row | None:
    """One value row of a long file; None outside the world tables or for a statistic that
    is neither production, capacity nor reserves."""
    table = norm(r["Statistics"])
    if table not in _TABLES or not norm(r["Section"]).startswith("world"):
        return None
    year_text = str(r["Year"]).strip()
    year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else -1
    column = ValueColumn("Value", table, year, "reported", str(r["Unit"]).strip(),
                         unit_line=line, unit_field="Unit")  # fmt: skip
    return Row(
        line=line,
        commodity=r["Commodity"],
        country=r["Country"],
        type_text=r["Statistics_detail"],
        source=edition,
        unit="",
        cells=[(column, r["Value"])],
        notes={table: " ".join(str(r["Notes"]).split())},
        country_field="Country",
        type_names_stage=table == "production",
        year_text=year_text,
    )


def long_rows(frame: pd.DataFrame, edition: str) -> list[Row]:
    """Rows of the world tables of a long file (MCS2026 layout), one value each."""
    rows = (_long_row(line, r, edition) for line, r in _text_rows(frame))
    return [row for row in rows if row is not None]
