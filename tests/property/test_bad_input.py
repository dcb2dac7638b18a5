"""Property tests: any damage to an input file ends in a clear DataFileError, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreshock.core.errors import DataFileError
from oreshock.core.options import get_option
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.data.loaders import load_comtrade, load_usgs
from oreshock.data.manifest import write_manifest

DATA = Path(__file__).resolve().parents[1] / "data"
NASTY = [
    "",
    "W",
    "-",
    "—",
    "abc",
    "1e400",
    "NaN",
    "-5",
    "1,234",
    ">5",
    "0.5",
    "Large",
    "ZZZ",
    "\u00e9",
    "1e-300",
]
SETTINGS = settings(
    max_examples=get_option("property_examples"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _damage(frame: pd.DataFrame, edits: list[tuple[int, int, str]]) -> pd.DataFrame:
    out = frame.copy()
    for row, col, value in edits:
        out.iat[row % len(out), col % len(out.columns)] = value
    return out


edits = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 100), st.sampled_from(NASTY)),
    min_size=1,
    max_size=6,
)


@SETTINGS
@given(changes=edits)
def test_damaged_usgs_file(tmp_path_factory, changes):
    source = DATA / "loaders" / "MCS2025_World_Data_slice.csv"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    path = tmp_path_factory.mktemp("usgs") / "MCS2025_World_Data.csv"
    _damage(frame, changes).to_csv(path, index=False)
    try:
        tables = load_usgs(path)
    except DataFileError as exc:
        assert exc.problems and all(p.path == str(path) for p in exc.problems)
    else:
        assert all((t["value"] >= 0).all() for t in tables.values() if not t.empty)


@SETTINGS
@given(changes=edits)
def test_damaged_comtrade_file(tmp_path_factory, changes):
    source = DATA / "loaders" / "comtrade_TradeData_2023_HS22.csv"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    path = tmp_path_factory.mktemp("comtrade") / "TradeData.csv"
    _damage(frame, changes).to_csv(path, index=False)
    try:
        load_comtrade(path)
    except DataFileError as exc:
        assert exc.problems


@SETTINGS
@given(
    table=st.sampled_from(["production", "demand", "import_shares", "stocks", "stages"]),
    changes=edits,
)
def test_damaged_dataset_folder(tmp_path_factory, table, changes):
    folder = tmp_path_factory.mktemp("ds") / "mini"
    shutil.copytree(DATA / "mini_dataset", folder)
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    _damage(frame, changes).to_csv(path, index=False)
    write_manifest(folder)  # the table checks, not only the changed sha256, must catch it
    try:
        load_dataset(folder)
    except DataFileError as exc:
        assert exc.problems
        assert all(p.path.endswith(".csv") or p.path.endswith(".toml") for p in exc.problems)


TABLES = ["countries", "demand", "groups", "import_shares", "minerals", "production",
          "reserves", "sources", "stages", "stocks"]  # fmt: skip
MANIFEST_EDITS = [
    ("name", '""'),
    ("version", "1"),
    ("base_year", '"2024"'),
    ("base_year", "99999"),
    ("files", "3"),
    ('"production.csv"', '"deadbeef"'),
    ('"stocks.csv"', '"' + "0" * 64 + '"'),
    ('"nowhere.csv"', '"' + "0" * 64 + '"'),
    ("[broken", ""),
]
mutation = st.one_of(
    st.tuples(st.just("duplicate"), st.sampled_from(TABLES), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.sampled_from(TABLES), st.integers(0, 50)),
    st.tuples(st.just("conflict"), st.sampled_from(TABLES), st.integers(0, 50), st.integers(0, 20),
              st.sampled_from([*NASTY, "1_000", "0", "1e3", "0.0"])),
    st.tuples(st.just("truncate"), st.sampled_from(TABLES), st.floats(0.0, 1.0)),
    st.tuples(st.just("manifest"), st.sampled_from(MANIFEST_EDITS)),
)  # fmt: skip


def _mutate(folder: Path, change: tuple) -> None:
    kind = change[0]
    if kind == "manifest":
        key, value = change[1]
        toml = folder / "dataset.toml"
        lines = [line for line in toml.read_text("utf-8").splitlines()
                 if not line.startswith(f"{key} =")]  # fmt: skip
        at = next(i for i, line in enumerate(lines) if line == "[files]")
        if key.startswith('"'):
            lines.append(f"{key} = {value}")
        else:
            lines.insert(at, f"{key} = {value}" if value else key)
        toml.write_text("\n".join(lines) + "\n", "utf-8")
        return
    path = folder / f"{change[1]}.csv"
    if kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * change[2])])
        return
    lines = path.read_bytes().splitlines(keepends=True)  # bytes: a cut may split a character
    header, rows = lines[:1], lines[1:]
    if not rows:
        return
    i = change[2] % len(rows)
    if kind == "duplicate":
        rows.insert(i, rows[i])
    elif kind == "delete":
        del rows[i]
    else:
        cells = rows[i].rstrip(b"\n").split(b",")
        cells[change[3] % len(cells)] = change[4].encode("utf-8")
        rows.insert(i + 1, b",".join(cells) + b"\n")
    path.write_bytes(b"".join(header + rows))


@SETTINGS
@given(changes=st.lists(mutation, min_size=1, max_size=4), rehash=st.booleans())
def test_mutated_dataset_folder_loads_or_lists_problems(tmp_path_factory, changes, rehash):
    """Duplicated, deleted, conflicting and cut rows, bad cells and manifest edits end in a
    loaded dataset or a DataFileError listing what is wrong, never another exception.

    With ``rehash`` the manifest is rewritten after the table edits (as a user is told to),
    so the table checks themselves must catch the damage.
    """
    folder = tmp_path_factory.mktemp("ds") / "mini"
    shutil.copytree(DATA / "mini_dataset", folder)
    before = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    for change in changes:
        if change[0] != "manifest":
            _mutate(folder, change)
    edited = before != {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    if rehash:
        write_manifest(folder)
    for change in changes:
        if change[0] == "manifest":
            _mutate(folder, change)
    try:
        ds = load_dataset(folder)
    except DataFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path and problem.message
            assert str(problem).startswith(problem.path)
    else:
        assert isinstance(ds, Dataset)
        assert rehash or not edited, "a table changed behind the manifest's back loaded"
