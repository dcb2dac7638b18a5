"""The dataset: versioned tables of figures with provenance, held in an embedded DuckDB.

``load_dataset()`` reads the bundled CSV files (or a folder of the same layout), validates
them, derives the estimated tables (apparent consumption at every stage, bilateral trade by
matrix balancing) and loads everything into DuckDB, where every value keeps its source, year,
unit and status.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from oreshock.core.errors import DataFileError, Problem, UnknownIdError
from oreshock.core.ids import stage_position
from oreshock.data.balance import derive_tables
from oreshock.data.manifest import check_manifest, read_manifest, vintages_of
from oreshock.data.products import expand_products
from oreshock.data.schema import NUMBER_TYPES, table_schema
from oreshock.data.validate import check_balance, raise_on, read_raw_table, validate_tables
from oreshock.data.vintages import (
    VintageNotice,
    previous_vintage,
    select_vintage,
    without_earlier_vintages,
)

OPTIONAL_TABLES = (
    "trade",
    "capacity",
    "stage_shares",
    "stocks",
    "recycling",
    "end_uses",
    "product_shares",
    "recipes",
    "prices",
    "projects",
    "impact_bridge",
    "gdp",
    "first_use_sectors",
)
# Columns added after folders were first written: a folder without them reads them as blank,
# so a dataset made before products existed still loads (as a dataset with no products).
LATER_COLUMNS = {"minerals": ("family", "elements")}
DERIVED_TABLES = ("consumption",)


def bundled_path() -> Path:
    """Folder of the dataset shipped inside the package."""
    return Path(str(resources.files("oreshock.data").joinpath("bundled")))


def read_tables(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Read every schema table found in ``path`` as raw strings, with their file paths.

    Raises one DataFileError naming every missing or unreadable file.
    """
    tables: dict[str, pd.DataFrame] = {}
    paths: dict[str, str] = {}
    problems: list[Problem] = []
    for name in table_schema():
        if name in DERIVED_TABLES:
            continue
        file = path / f"{name}.csv"
        if not file.exists():
            if name not in OPTIONAL_TABLES:
                problems.append(Problem(str(file), None, None, "required table file is missing"))
            continue
        try:
            tables[name] = with_later_columns(name, read_raw_table(file))
        except DataFileError as exc:
            problems.extend(exc.problems)
            continue
        paths[name] = str(file)
    raise_on(problems)
    return tables, paths


def with_later_columns(name: str, raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` with the later columns of its table added blank when the file has none of them."""
    later = [c for c in LATER_COLUMNS.get(name, ()) if c not in raw.columns]
    if not later or len(later) < len(LATER_COLUMNS[name]):
        return raw  # some but not all: check_columns names what is missing
    return raw.assign(**{c: "" for c in later})


def typed(name: str, raw: pd.DataFrame) -> pd.DataFrame:
    """Cast a validated raw table to its schema types (numbers as float64, years as int)."""
    df = raw.copy()
    for col in table_schema()[name]:
        if col.type in NUMBER_TYPES and col.type != "int":
            df[col.name] = pd.to_numeric(df[col.name].replace("", None), errors="raise").astype(
                "float64"
            )
        elif col.type == "int":
            df[col.name] = pd.to_numeric(df[col.name].replace("", None), errors="raise").astype(
                "Int64"
            )
        else:
            df[col.name] = df[col.name].astype(object)
    return df


def content_hash(path: Path) -> str:
    """sha256 over the dataset's files, so a run records exactly which data it used."""
    digest = hashlib.sha256()
    for file in sorted(path.glob("*.csv")) + sorted(path.glob("*.toml")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


@dataclass
class Dataset:
    """Tables of figures with provenance in a DuckDB connection, plus what identifies them."""

    con: duckdb.DuckDBPyConnection
    name: str
    version: str
    base_year: int
    content_hash: str
    path: Path
    files: dict[str, str] = field(default_factory=dict)
    vintages: list[int] = field(default_factory=list)
    notices: list[VintageNotice] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """One table as a DataFrame (estimated rows included, with their status)."""
        if name not in self.tables():
            raise UnknownIdError(f"unknown table {name!r}; expected one of {self.tables()}")
        return self.con.execute(f'SELECT * FROM "{name}"').df()

    def tables(self) -> list[str]:
        """Names of the tables held."""
        return [r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run a query against the dataset's DuckDB database."""
        return self.con.execute(query, params or []).df()

    @property
    def minerals(self) -> list[str]:
        return self.table("minerals")["mineral"].tolist()

    def stages(self, mineral: str) -> list[str]:
        """Stage ids of a mineral's chain in order."""
        self.check_mineral(mineral)
        rows = self.sql('SELECT stage FROM stages WHERE mineral = ? ORDER BY "order"', [mineral])
        return rows["stage"].tolist()

    def check_mineral(self, mineral: str) -> None:
        if mineral not in self.minerals:
            raise UnknownIdError(
                f"unknown mineral {mineral!r}; expected one of: {', '.join(self.minerals)}"
            )

    def resolve_stage(self, mineral: str, stage: str) -> str:
        """Check a stage id; ``refining`` names a chain's first processing stage too."""
        stages = self.stages(mineral)
        position = stage_position(stage, stages)
        if position is not None:
            return stages[position]
        raise UnknownIdError(
            f"unknown stage {stage!r} of {mineral}; expected one of: {', '.join(stages)}"
        )

    def group_members(self, group: str) -> list[str]:
        """ISO3 members of a country group; a bare ISO3 code is a group of one."""
        members = self.sql('SELECT iso3 FROM groups WHERE "group" = ? ORDER BY iso3', [group])
        if not members.empty:
            return members["iso3"].tolist()
        if group.upper() in set(self.table("countries")["iso3"]):
            return [group.upper()]
        groups = sorted(set(self.table("groups")["group"]))
        raise UnknownIdError(f"unknown group {group!r}; expected one of: {', '.join(groups)}")

    def check_country(self, iso3: str) -> str:
        code = iso3.upper()
        if code not in set(self.table("countries")["iso3"]):
            raise UnknownIdError(
                f"unknown country code {iso3!r}; see `oreshock data show countries`"
            )
        return code

    def sources_for(
        self, table: str, where: str = "TRUE", params: list | None = None
    ) -> pd.DataFrame:
        """Distinct sources cited by the rows of ``table`` that match ``where``."""
        return self.sql(
            f'SELECT DISTINCT s.source_id, s.title, s.url FROM "{table}" t '
            f"JOIN sources s USING (source_id) WHERE {where} ORDER BY s.source_id",
            params,
        )


def load_dataset(
    path: str | Path | None = None,
    *,
    base_year: int | None = None,
    database: str | Path = ":memory:",
) -> Dataset:
    """Validate a dataset folder (the bundled one by default) and load it into DuckDB.

    The checks (``data validate`` runs the same): the manifest (name, version, base year,
    the sha256 of every file), each file's shape, every table's columns, values, keys, codes,
    units and share sums, and that the derived tables balance. Raises one DataFileError
    listing every problem found.

    ``base_year`` reads the dataset as one of its vintages (manifest ``vintages``; default:
    the manifest's ``base_year``); what an earlier vintage lacks is in ``Dataset.notices``
    (``oreshock.data.vintages``).
    """
    folder = Path(path) if path is not None else bundled_path()
    meta, problems = read_manifest(folder)
    if problems and not (folder / "dataset.toml").exists():
        raise_on(problems)
    table_files = sorted(
        f"{name}.csv" for name in table_schema() if (folder / f"{name}.csv").exists()
    )
    if meta:
        problems.extend(check_manifest(folder, meta, table_files))
    try:
        raw, paths = read_tables(folder)
    except DataFileError as exc:
        raise DataFileError(problems + exc.problems) from None
    raise_on(problems + validate_tables(raw, paths))
    tables = {name: typed(name, df) for name, df in raw.items()}
    for name in OPTIONAL_TABLES:
        if name not in tables:
            tables[name] = typed(name, pd.DataFrame({c.name: [] for c in table_schema()[name]}))
    notices: list[VintageNotice] = []
    newest = int(meta["base_year"])
    available = vintages_of(meta)
    base_year = newest if base_year is None else base_year
    if base_year not in available:
        raise UnknownIdError(
            f"{folder}: no vintage for base year {base_year}; expected one of {available}"
        )
    tables = without_earlier_vintages(tables, previous_vintage(available, base_year))
    if base_year != newest:
        tables, notices = select_vintage(tables, base_year)
    tables = expand_products(tables, base_year)
    derived = derive_tables(tables, base_year)
    raise_on(check_balance(tables, derived, base_year))
    tables.update(derived)
    con = duckdb.connect(str(database))
    for name, df in tables.items():
        con.register("_incoming", df)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming')
        con.unregister("_incoming")
    return Dataset(
        con=con,
        name=str(meta["name"]),
        version=str(meta["version"]),
        base_year=base_year,
        content_hash=content_hash(folder),
        path=folder,
        files=paths,
        vintages=vintages_of(meta),
        notices=notices,
    )
