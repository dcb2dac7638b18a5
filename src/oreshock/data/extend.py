"""Extend a dataset folder with rows read from published files, all or nothing.

Rows replace those with the same key (a newer release of the same figure); values are
converted to the dataset's units (each stage's unit; for reserves, the unit the dataset
already uses for that mineral); minerals and stages the dataset does not model are left out.
Where a published world total is below the sum of its countries beyond rounding, the sum is
used and marked estimated, the rule the bundled data follow. The new folder is written beside
the old one with a manifest giving each file's sha256, validated as a whole, and only then
swapped in, so a failure leaves the folder as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import cast

import pandas as pd

from oreshock.core.errors import DataFileError, Problem
from oreshock.core.units import UnitError, factor
from oreshock.data.datasets import bundled_path, load_dataset, read_tables
from oreshock.data.manifest import write_manifest
from oreshock.data.schema import column_names
from oreshock.data.validate import WORLD_TOTAL_TOLERANCE

KEYS = {
    "production": ["mineral", "stage", "iso3", "year"],
    "capacity": ["mineral", "stage", "iso3", "year"],
    "reserves": ["mineral", "iso3", "year"],
    "trade": ["mineral", "stage", "exporter", "importer", "year"],
}


def _unit_keys(rows: pd.DataFrame) -> list[tuple[str, str]]:
    stages = rows["stage"] if "stage" in rows.columns else [""] * len(rows)
    return list(zip(rows["mineral"], stages, strict=True))


def _target_units(name: str, raw: dict[str, pd.DataFrame]) -> dict[tuple[str, str], str]:
    if name == "reserves":
        old = raw.get("reserves", pd.DataFrame(columns=["mineral", "unit"]))
        return {(m, ""): u for m, u in zip(old["mineral"], old["unit"], strict=True)}
    stages = raw["stages"]
    return {
        (m, s): u
        for m, s, u in zip(stages["mineral"], stages["stage"], stages["unit"], strict=True)
    }


def to_dataset_units(
    name: str, rows: pd.DataFrame, raw: dict[str, pd.DataFrame], source: str
) -> pd.DataFrame:
    """Rows in the dataset's units, limited to what the dataset models."""
    rows = rows[rows["mineral"].isin(set(raw["minerals"]["mineral"]))].reset_index(drop=True)
    unit_of = _target_units(name, raw)
    if name == "reserves":
        for key, unit in zip(_unit_keys(rows), rows["unit"], strict=True):
            unit_of.setdefault(key, unit)
    keys = _unit_keys(rows)
    modelled = [key in unit_of for key in keys]
    values = rows["value"].astype(float).to_numpy().copy()
    units = rows["unit"].astype(str).to_numpy().copy()
    problems = []
    for i, (key, unit) in enumerate(zip(keys, units, strict=True)):
        if not modelled[i]:
            continue
        try:
            values[i] *= factor(unit, unit_of[key])
        except UnitError as exc:
            where = ", ".join(
                f"{c}={rows.at[i, c]!s}" for c in ("mineral", "iso3", "year") if c in rows
            )
            problems.append(Problem(source, None, "unit", f"{where}: {exc}"))
            continue
        units[i] = unit_of[key]
    if problems:
        raise DataFileError(problems)
    return rows.assign(value=values, unit=units)[modelled].reset_index(drop=True)


def close_world_totals(rows: pd.DataFrame) -> pd.DataFrame:
    """Use the sum of countries where a published world total falls below it beyond rounding."""
    if "iso3" not in rows.columns or rows.empty:
        return rows
    rows = rows.copy()
    keys = ["mineral", "stage", "year"] if "stage" in rows.columns else ["mineral", "year"]
    for _, idx in rows.groupby(keys, sort=False).groups.items():
        group = rows.loc[idx]
        world = group.index[group["iso3"] == "WLD"]
        parts = float(group.loc[group["iso3"] != "WLD", "value"].sum())
        if len(world) != 1:
            continue
        published = float(cast(float, rows.at[world[0], "value"]))
        if parts > published * (1 + WORLD_TOTAL_TOLERANCE):
            rows.at[world[0], "value"] = parts
            rows.at[world[0], "status"] = "estimated"
            rows.at[world[0], "method"] = (
                f"published world total {published:g} is below the sum of countries; the sum is used"
            )
    return rows


def extend_dataset(
    target: str | Path, tables: dict[str, pd.DataFrame], source: str
) -> dict[str, int]:
    """Merge ``tables`` into the dataset folder ``target`` (a copy of the bundled one if new).

    Returns the number of rows merged per table. Raises DataFileError, leaving ``target``
    untouched, when a row cannot be converted or the merged dataset does not validate.
    """
    target = Path(target)
    base = target if (target / "dataset.toml").exists() else bundled_path()
    raw, _ = read_tables(base)
    merged: dict[str, int] = {}
    for name, rows in tables.items():
        if rows.empty or name not in KEYS:
            continue
        rows = to_dataset_units(name, rows[column_names(name)], raw, source)
        rows = rows.astype(object).where(rows.notna(), "").astype(str)
        keys = KEYS[name]
        old = raw.get(name, pd.DataFrame(columns=column_names(name)))
        flagged = old.merge(rows[keys].drop_duplicates(), on=keys, how="left", indicator=True)
        old = old[(flagged["_merge"] == "left_only").to_numpy()]
        combined = pd.concat([old, rows], ignore_index=True)
        numeric = combined.assign(value=pd.to_numeric(combined["value"]))
        closed = close_world_totals(numeric)
        raw[name] = closed.assign(value=[format(v, ".15g") for v in closed["value"]])
        merged[name] = len(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for file in base.glob("*.toml"):
            shutil.copy2(file, staging / file.name)
        for name, df in raw.items():
            df.to_csv(staging / f"{name}.csv", index=False)
        write_manifest(staging, sorted(f"{name}.csv" for name in raw))
        load_dataset(staging)  # validates everything; raises DataFileError with all problems
        if target.exists():
            retired = target.with_name(f".{target.name}.old")
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return merged
