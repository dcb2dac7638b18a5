"""Extend a dataset folder with rows read from published files, all or nothing.

Rows replace those with the same key (a newer release of the same figure); values are
converted to the dataset's units (each stage's unit; for reserves, the unit the dataset
already uses for that mineral); minerals and stages the dataset does not model are left out.
Where a published world total is below the sum of its countries beyond rounding, the sum is
used and marked estimated, the rule the bundled data follow.

The folder is replaced through ``oreshock.core.atomic.replace_folder``, never edited in place:

1. the target is checked first: a folder that exists, is not empty and has no
   ``dataset.toml`` (or is the dataset shipped in the package) is refused before anything is
   read or written, so the tool never deletes what it did not make; a link is followed, so
   the link stays and the folder it names is extended. Then the import takes its turn (an
   ``flock`` on the parent folder, held until the swap), so two imports into one folder
   never both start from the old one; a folder moved aside by a crash between the two
   renames of an earlier swap is put back, and marked temporary folders of crashed imports
   are removed (``recover_folder``, safe only because of that turn). A folder whose files
   no longer match its own manifest is refused too: writing a new manifest would record a
   hand edit or a file cut short as intended;
2. the extended dataset is written into a temporary folder beside the target (marked as
   ours, so a crash leaves nothing a later run does not clean), with every other file of an
   existing dataset folder (a README, notes) carried over, a manifest giving each table
   file's sha256, and every file flushed to disk;
3. it is validated there by ``load_dataset``, which runs every check a later load would;
4. the caller's own step runs (``oreshock data import`` records the import in the store);
5. the temporary folder takes the target's place (two renames).

A failure in steps 1-4 (a bad file, a dataset that does not validate, a busy store, a full
disk, ``kill -9``) leaves the folder and the store as they were. A failure in step 5 leaves
the import recorded and the folder as it was, and ``SwapError`` says so; importing the file
again is safe, because its rows replace those with the same key. So a dataset folder never
holds imported rows that the store has no record of, and never a mix of old and new files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import pandas as pd

from oreshock.core.atomic import MARKER, check_replaceable, recover_folder, replace_folder
from oreshock.core.errors import DataFileError, OreshockError, Problem
from oreshock.core.options import get_option
from oreshock.core.units import UnitError, factor
from oreshock.data.datasets import bundled_path, load_dataset, read_tables
from oreshock.data.manifest import (
    MANIFEST,
    UPDATE_HINT,
    check_manifest,
    read_manifest,
    write_manifest,
)
from oreshock.data.schema import column_names, table_schema
from oreshock.data.validate import WORLD_TOTAL_TOLERANCE

WHAT = "a dataset folder"
"""How a refusal names the kind of folder ``--into`` must be."""

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


def is_dataset_folder(folder: Path) -> bool:
    """A folder this tool may replace: it holds a ``dataset.toml``."""
    return (folder / MANIFEST).is_file()


def check_target(target: str | Path) -> None:
    """Refuse a target that exists and is neither empty nor a dataset folder, or that is the
    dataset shipped inside the package, before any work is done."""
    folder = _resolved(Path(target))
    if folder.exists() and folder.resolve() == bundled_path().resolve():
        raise OreshockError(
            f"{target} is the dataset shipped with oreshock; choose another folder to extend "
            "(it starts as a copy of this one)"
        )
    check_replaceable(folder, is_dataset_folder, WHAT)


def _resolved(folder: Path) -> Path:
    """The folder a symbolic link points to, so the link stays and its folder is replaced."""
    return folder.resolve() if folder.is_symlink() else folder


@contextlib.contextmanager
def _turn(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder that holds ``folder`` while it is extended.

    Two imports into one folder then take turns: the second reads what the first swapped
    in, instead of both reading the old folder and the last swap dropping the other's rows.
    The lock is on the parent folder itself, so nothing is left beside the dataset; the
    kernel drops it when the process dies. The wait is bounded by the ``store_wait`` option.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder.parent, os.O_RDONLY)
    try:
        wait = float(get_option("store_wait"))
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise OreshockError(
                    f"{folder}: another oreshock import into {folder.parent} was still "
                    f"running after {wait:g} s; nothing was changed, try again when it has "
                    "finished (the store_wait option sets the wait)"
                )
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _try_lock(fd: int) -> bool:
    """Take the lock if free; True also where the file system has no ``flock`` (some network
    mounts), since refusing every import there would be worse than not taking turns."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
            return True
        raise
    return True


class SwapError(OreshockError):
    """The extended dataset was written and validated but could not take the target's place."""


@dataclass(frozen=True)
class Staged:
    """An extended dataset written and validated in its temporary folder, not yet in place."""

    folder: Path
    merged: dict[str, int]


def check_base(base: Path) -> None:
    """Refuse to extend a folder whose files no longer match its manifest.

    The new manifest is written from the files as they are, so extending a folder whose
    table was edited by hand or cut short would record the damage as intended; it is
    refused instead (nothing written), the way ``load_dataset`` refuses to read it.
    """
    meta, problems = read_manifest(base)
    if meta:
        tables = sorted(p.name for p in base.glob("*.csv") if p.stem in table_schema())
        problems += check_manifest(base, meta, tables)
    if problems:
        note = (
            f"{base} does not match its manifest; restore the files, or rewrite the manifest "
            f"with `{UPDATE_HINT}` if the changes are intended; nothing was written"
        )
        raise DataFileError([*problems, Problem(str(base), None, None, note)])


def merge_tables(
    base: Path, tables: dict[str, pd.DataFrame], source: str
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The raw tables of ``base`` with ``tables`` merged in, and the rows merged per table."""
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
    cited = {sid for df in tables.values() if "source_id" in df for sid in df["source_id"]}
    raw["sources"] = add_sources(raw["sources"], cited, source)
    return raw, merged


def add_sources(sources: pd.DataFrame, cited: set[str], file: str) -> pd.DataFrame:
    """``sources`` with a row for each source the imported rows cite that it lacks.

    Every row of a dataset cites a listed source, so without this only files of a source the
    dataset already lists (the bundled one: USGS MCS 2025) could be imported; a BACI or
    Comtrade file, or the next MCS edition, would be refused. The row names the file and
    asks for its published address and licence before the dataset is shared.
    """
    known = set(sources["source_id"])
    rows = [_source_row(sid, file) for sid in sorted(cited - known)]
    if not rows:
        return sources
    return pd.concat([sources, pd.DataFrame(rows, columns=sources.columns)], ignore_index=True)


PUBLISHERS = {
    "usgs": ("USGS Mineral Commodity Summaries world data", "U.S. Geological Survey",
             "US Government work (public domain)"),
    "cepii_baci": ("CEPII BACI bilateral trade", "CEPII", ""),
    "un_comtrade": ("UN Comtrade export", "United Nations Statistics Division", ""),
}  # fmt: skip
"""Source-id prefix -> (what the file is, publisher, licence where it is certain)."""


def _source_row(source_id: str, file: str) -> dict[str, str]:
    prefix = next((k for k in PUBLISHERS if source_id.startswith(k)), "")
    what, publisher, licence = PUBLISHERS.get(prefix, ("Imported file", "unknown", ""))
    path = Path(file)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "unknown"
    years = re.findall(r"(?:19|20)\d\d", source_id) or re.findall(r"(?:19|20)\d\d", path.name)
    return {
        "source_id": source_id,
        "title": f"{what} ({path.name})",
        "publisher": publisher,
        "url": path.name,
        "year": years[-1] if years else "unknown",
        "licence": licence,
        "note": f"Added by `oreshock data import` from {path.name} (sha256 {digest[:16]}); "
        "give its published address and licence here before sharing this dataset.",
    }


def _carry_over(base: Path, folder: Path, rewritten: set[str]) -> None:
    """Copy what the new folder keeps from ``base``: its manifest and, for a user's dataset
    folder (not the bundled one), every other file and folder in it, so nothing a user put
    there is lost when the folder is replaced."""
    shutil.copyfile(base / MANIFEST, folder / MANIFEST)
    if base == bundled_path():
        return
    for entry in base.iterdir():
        if entry.name in rewritten or entry.name in (MANIFEST, MARKER):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, folder / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, folder / entry.name, follow_symlinks=False)


def _fsync_files(folder: Path) -> None:
    """Flush every file of ``folder`` to disk, so the renamed folder is complete after a
    power cut as well as after a crash."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def write_dataset(folder: Path, base: Path, raw: dict[str, pd.DataFrame]) -> None:
    """Write ``raw`` as the table files of ``folder``, with the rest carried over from
    ``base`` and a manifest giving each table file's sha256."""
    files = {f"{name}.csv": df for name, df in raw.items()}
    _carry_over(base, folder, set(files))
    for name, df in files.items():
        df.to_csv(folder / name, index=False)
    write_manifest(folder, sorted(files))
    _fsync_files(folder)


def validate_staged(tmp: Path, folder: Path, source: str) -> None:
    """Run every check of ``load_dataset`` on the temporary folder; problems name the files
    of ``folder`` they were meant for (the temporary folder is gone when the user reads
    them) and say that nothing was written."""
    try:
        load_dataset(tmp)
    except DataFileError as exc:
        problems = [replace(p, path=p.path.replace(str(tmp), str(folder), 1)) for p in exc.problems]
        note = f"the dataset extended with {source} does not validate; nothing was written"
        raise DataFileError([*problems, Problem(str(folder), None, None, note)]) from None


@contextlib.contextmanager
def extending(target: str | Path, tables: dict[str, pd.DataFrame], source: str) -> Iterator[Staged]:
    """Write and validate the extended dataset beside ``target``; swap it in when the
    ``with`` block ends without error (steps 1-5 of the module docstring).

    The block is the place for what must happen before the swap (recording the import).
    Raises DataFileError (nothing written) when a row cannot be converted or the merged
    dataset does not validate, OreshockError when the target may not be replaced, and
    SwapError when the final renames fail.
    """
    folder = _resolved(Path(target))
    check_target(folder)
    with _turn(folder):
        recover_folder(folder)
        check_target(folder)
        base = folder if is_dataset_folder(folder) else bundled_path()
        check_base(base)
        raw, merged = merge_tables(base, tables, source)
        with _swapping(folder, base, raw, source, merged) as staged:
            yield staged


@contextlib.contextmanager
def _swapping(
    folder: Path, base: Path, raw: dict[str, pd.DataFrame], source: str, merged: dict[str, int]
) -> Iterator[Staged]:
    """Steps 2-5: write and validate beside ``folder``, yield, swap; OSErrors worded."""
    step, staged = "write", None
    try:
        with replace_folder(folder, is_dataset_folder, WHAT) as tmp:
            write_dataset(tmp, base, raw)
            validate_staged(tmp, folder, source)
            step, staged = "caller", tmp
            yield Staged(tmp, merged)
            step = "swap"
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if step == "write":
            raise OreshockError(
                f"{folder}: cannot write the extended dataset beside it ({reason}); "
                "nothing was changed"
            ) from None
        if step == "swap" and staged is not None and staged.exists():
            shutil.rmtree(staged, ignore_errors=True)  # ours, made above; unmarked by now
            recover_folder(folder)  # the old folder back in place if it had moved aside
            raise SwapError(
                f"{folder}: the extended dataset was validated but could not be moved into "
                f"place ({reason}); the folder is as it was"
            ) from None
        raise


def extend_dataset(
    target: str | Path, tables: dict[str, pd.DataFrame], source: str
) -> dict[str, int]:
    """Merge ``tables`` into the dataset folder ``target`` (a copy of the bundled one if new
    or empty); returns the number of rows merged per table.

    Raises DataFileError, leaving ``target`` untouched, when a row cannot be converted or the
    merged dataset does not validate; OreshockError when ``target`` is a non-empty folder
    that is not a dataset folder (nothing is written or deleted).
    """
    with extending(target, tables, source) as staged:
        pass
    return staged.merged
