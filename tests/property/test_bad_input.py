"""Property tests: any damage to an input file ends in a clear DataFileError, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreshock.core.errors import DataFileError
from oreshock.core.options import get_option
from oreshock.data.datasets import load_dataset
from oreshock.data.loaders import load_comtrade, load_usgs

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
    try:
        load_dataset(folder)
    except DataFileError as exc:
        assert exc.problems
        assert all(p.path.endswith(".csv") or p.path.endswith(".toml") for p in exc.problems)
