"""The data model written as data: one row per table column in ``tables.csv``.

Defaults, validation and the data documentation all read this one file, so a new column is
added in one place.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

STATUSES = ("reported", "estimated", "assumed")
REGION_CODES = {"WLD": "World total", "OTH": "Rest of world"}


@dataclass(frozen=True)
class Column:
    """One column of one table: its type, unit, whether a value is required and whether it
    is part of the table's primary key (one row per key, so a second row is a conflict)."""

    table: str
    name: str
    type: str
    unit: str
    required: bool
    description: str
    key: bool = False


@cache
def table_schema() -> dict[str, tuple[Column, ...]]:
    """Map each table name to its columns, in file order."""
    text = resources.files("oreshock.data.schema").joinpath("tables.csv").read_text("utf-8")
    tables: dict[str, list[Column]] = {}
    for row in csv.DictReader(text.splitlines()):
        tables.setdefault(row["table"], []).append(
            Column(
                table=row["table"],
                name=row["column"],
                type=row["type"],
                unit=row["unit"],
                required=row["required"] == "yes",
                description=row["description"],
                key=row.get("key", "") == "yes",
            )
        )
    return {name: tuple(cols) for name, cols in tables.items()}


def column_names(table: str) -> list[str]:
    """Column names of ``table`` in their required order."""
    return [c.name for c in table_schema()[table]]


def primary_key(table: str) -> list[str]:
    """Columns that identify one row of ``table``: two rows with the same key conflict."""
    return [c.name for c in table_schema()[table] if c.key]


# Types whose cells are numbers (``positive``: strictly above zero, e.g. a stage yield).
NUMBER_TYPES = ("float", "fraction", "int", "positive")

# Tables whose rows carry a quantity in the stage unit and so must state that unit.
STAGE_UNIT_TABLES = ("production", "capacity", "demand", "trade")
