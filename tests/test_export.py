"""Results in Python and out of the store: ``--version``, labelled arrays of a run (in memory
and stored), and ``runs export`` in each format, read back and compared with the store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.core.version import __version__
from oreshock.data.datasets import bundled_path
from oreshock.data.manifest import read_manifest
from oreshock.model.labelled import NODE_DIMS, PRICE_DIMS
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.export import stored_dataset
from oreshock.store.store import Store, open_read

runner = CliRunner()
KEYS = ["month", "country", "mineral", "stage", "variable"]


@pytest.fixture(scope="module")
def result(network):
    scenario = open_scenario("japan-rare-earths-2026").build("reexport-control")
    return simulate(network, scenario.model_copy(update={"months": 12}))


@pytest.fixture(scope="module")
def stored(result, tmp_path_factory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("export") / "r.duckdb"
    with Store(db) as store:
        run_id = store.save_run(result, sector_countries=["JPN"])
    return db, run_id


def _tidy(data: xr.Dataset) -> pd.Series:
    """Labelled arrays back to the store's tidy rows (month, country, mineral, stage,
    variable -> value), the cells no chain has dropped."""
    frames = []
    for name, array in data.data_vars.items():
        series = array.to_series().dropna().rename("value").reset_index()
        series = series.rename(columns={"region": "country"}).assign(variable=name)
        frames.append(series)
    tidy = pd.concat(frames, ignore_index=True)
    tidy["month"] = pd.to_datetime(tidy["month"]).astype("datetime64[ns]")
    return tidy.set_index(KEYS)["value"].sort_index()


def _stored_series(db: Path, run_id: str) -> pd.Series:
    with open_read(db) as store:
        ts = store.timeseries(run_id)
    ts["month"] = pd.to_datetime(ts["month"]).astype("datetime64[ns]")
    return ts.set_index(KEYS)["value"].sort_index()


def _invoke(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_version_names_the_package_and_the_bundled_dataset():
    done = _invoke("--version")
    assert done.exit_code == 0, done.output
    first, second = done.output.splitlines()
    meta, _ = read_manifest(bundled_path())
    assert first == f"oreshock {__version__}"
    assert second == f"dataset {meta['name']} {meta['version']} (base year {meta['base_year']})"


def test_a_run_as_labelled_arrays_has_named_dims_units_and_names(result):
    data = result.to_xarray()
    assert data["shortfall"].dims == NODE_DIMS
    assert data["price"].dims == PRICE_DIMS
    assert data["stock"].attrs["units"] == "t"
    assert data["shortfall"].attrs["units"] == "t/month"
    assert data["price"].attrs["units"] == "USD/kg"
    assert data["shortfall"].attrs["long_name"] == "demand not met"
    assert data["shortfall"].attrs["long_name_ja"] == "不足（満たされなかった需要）"
    assert data.sizes["month"] == 12
    assert str(data["month"].values[0])[:10] == "2026-01-01"
    assert data["month_index"].values.tolist() == list(range(12))
    japan = data.sel(country="JPN")
    assert japan["country_name_en"].item() == "Japan"
    assert japan["country_name_ja"].item() == "日本"
    assert data["region_name_en"].sel(region="ROW").item() == "Outside China"
    magnets = data.sel(mineral="ndfeb_dytb", stage="magnets")
    assert magnets["mineral_name_ja"].item().startswith("ネオジム磁石")
    assert magnets["stage_unit"].item() == "t NdFeB"
    assert data.attrs["scenario"] == "japan-rare-earths-2026"
    assert data.attrs["variant"] == "reexport-control"
    assert data.attrs["dataset_name"] == result.network.dataset_name
    assert data.attrs["dataset_version"] == result.network.dataset_version
    table = result.timeseries()
    table["month"] = pd.to_datetime(table["month"]).astype("datetime64[ns]")
    expected = table.set_index(KEYS)["value"].sort_index()
    pd.testing.assert_series_equal(_tidy(data), expected, check_names=False)


def test_a_stored_run_reads_back_as_the_same_arrays(stored, result):
    db, run_id = stored
    with open_read(db) as store:
        data = stored_dataset(store, run_id)
    assert data.attrs["run_id"] == run_id
    assert data.attrs["code_version"] == __version__
    assert data.attrs["months"] == 12
    pd.testing.assert_series_equal(_tidy(data), _stored_series(db, run_id), check_names=False)
    xr.testing.assert_equal(data.drop_attrs(), result.to_xarray().drop_attrs())


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_folder_exports_hold_the_stored_tables(stored, tmp_path, fmt):
    db, run_id = stored
    folder = tmp_path / "out"
    done = _invoke("runs", "export", run_id, "--format", fmt, "--out", str(folder), "--db", str(db))
    assert done.exit_code == 0, done.output
    read = pd.read_parquet if fmt == "parquet" else pd.read_csv
    names = {p.name for p in folder.iterdir()}
    tables = ("timeseries", "flows", "sectors", "sector_series", "summary")
    assert names == {f"{t}.{fmt}" for t in tables} | {"run.json"}
    ts = read(folder / f"timeseries.{fmt}")
    ts["month"] = pd.to_datetime(ts["month"]).astype("datetime64[ns]")
    pd.testing.assert_series_equal(
        ts.set_index(KEYS)["value"].sort_index(), _stored_series(db, run_id), check_names=False
    )
    with open_read(db) as store:
        flows, record = store.flows(run_id), store.run(run_id)
        ends = store.sector_series(run_id)
    got_ends = read(folder / f"sector_series.{fmt}")
    assert len(ends) > 0 and got_ends["sector"].tolist() == ends["sector"].tolist()
    np.testing.assert_allclose(got_ends["short"], ends["short"])
    got = read(folder / f"flows.{fmt}")
    np.testing.assert_allclose(got["value"], flows["value"])
    assert got["exporter"].tolist() == flows["exporter"].tolist()
    meta = json.loads((folder / "run.json").read_text("utf-8"))
    assert meta["run_id"] == run_id and meta["scenario"] == "japan-rare-earths-2026"
    assert meta["dataset_hash"] == record["dataset_hash"]
    assert {"variable": "stock", "unit": "t"}.items() <= meta["units"][6].items()


def test_netcdf_export_reads_back_with_xarray(stored, tmp_path):
    db, run_id = stored
    path = tmp_path / "run.nc"
    done = _invoke("runs", "export", run_id, "--out", str(path), "--db", str(db))  # from suffix
    assert done.exit_code == 0, done.output
    assert str(path) in done.output
    with xr.open_dataset(path, engine="h5netcdf") as data:
        data.load()
    assert data.attrs["run_id"] == run_id
    assert data["demand"].attrs["units"] == "t/month"
    assert data["demand"].attrs["long_name_ja"].startswith("需要")
    assert data["country_name_ja"].sel(country="JPN").item() == "日本"
    pd.testing.assert_series_equal(_tidy(data), _stored_series(db, run_id), check_names=False)
    with xr.open_dataset(path, engine="h5netcdf", group="flows") as flows:
        values = flows["value"].to_numpy()
    with open_read(db) as store:
        np.testing.assert_allclose(values, store.flows(run_id)["value"].to_numpy())


def test_excel_export_has_a_readme_and_one_sheet_per_table(stored, tmp_path):
    db, run_id = stored
    path = tmp_path / "run.xlsx"
    args = ["runs", "export", run_id, "--format", "xlsx", "--out", str(path), "--db", str(db)]
    done = _invoke(*args, "--lang", "ja")
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "readme", "summary", "timeseries", "prices", "flows", "sectors", "sector_series"
    ]  # fmt: skip
    readme = {r[0]: r[1] for r in book["readme"].iter_rows(min_row=2, values_only=True)}
    with open_read(db) as store:
        record = store.run(run_id)
    assert readme["実行ID"] == run_id
    assert readme["シナリオ"] == "japan-rare-earths-2026"
    assert readme["データセットのバージョン"] == record["dataset_version"]
    assert readme["stock"].startswith("t: ")
    rows = list(book["timeseries"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:4] == ["月", "国", "国名", "チェーン"]
    sheet = pd.DataFrame(rows[1:], columns=header)
    japan = sheet[(sheet["国"] == "JPN") & (sheet["段階"] == "magnets")]
    assert set(japan["国名"]) == {"日本"}
    stored_rows = _stored_series(db, run_id)
    column = "不足（満たされなかった需要） (t/month)"
    for row in japan.head(24).itertuples(index=False):
        month, mineral = pd.Timestamp(row[0]), row[header.index("チェーン")]
        key = (month, "JPN", mineral, "magnets", "shortfall")
        assert row[header.index(column)] == pytest.approx(stored_rows[key])


def test_default_export_path_is_the_run_id_in_the_current_folder(stored, tmp_path, monkeypatch):
    db, run_id = stored
    monkeypatch.chdir(tmp_path)
    done = _invoke("runs", "export", run_id, "--format", "netcdf", "--db", str(db), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["files"] == [f"{run_id}.nc"]
    assert (tmp_path / f"{run_id}.nc").is_file()
    assert not list(tmp_path.glob(".*tmp*")), "a temporary file was left behind"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "zip"], "unknown export format 'zip'; expected one of: parquet, csv"),
        (["--format", "netcdf", "--out", "{tmp}/run.xlsx"], "a netcdf file is named *.nc"),
        (["--format", "csv", "--out", "{tmp}/file.txt"], "is a file; --format csv writes"),
        (["--format", "xlsx", "--out", "{tmp}/file.txt/run.xlsx"], "cannot write the export"),
    ],
)
def test_bad_format_or_path_is_refused_clearly(stored, tmp_path, args, message):
    db, run_id = stored
    (tmp_path / "file.txt").write_text("not a folder")
    filled = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = _invoke("runs", "export", run_id, *filled, "--db", str(db))
    assert done.exit_code == 2, done.output
    assert message in " ".join(done.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_unknown_run_is_refused(stored):
    db, _ = stored
    done = _invoke("runs", "export", "nosuchrun", "--format", "xlsx", "--db", str(db))
    assert done.exit_code == 2
    assert "no run 'nosuchrun'" in done.output


def test_a_run_with_no_shortfall_exports_in_every_format(tmp_path):
    """The mini dataset's baseline: nothing runs short (no month to shortfall anywhere), its
    names come from --data."""
    mini = str(Path(__file__).parent / "data" / "mini_dataset")
    db = str(tmp_path / "r.duckdb")
    done = _invoke("run", "baseline", "--data", mini, "--db", db, "--months", "6", "--json")
    assert done.exit_code == 0, done.output
    run_id = json.loads(done.stdout)["runs"][0]["run_id"]
    for fmt in ("netcdf", "xlsx", "csv", "parquet"):
        out = tmp_path / fmt
        args = ["runs", "export", run_id, "--format", fmt, "--db", db, "--data", mini]
        suffix = {"netcdf": ".nc", "xlsx": ".xlsx"}.get(fmt, "")
        written = _invoke(*args, "--out", f"{out}{suffix}")
        assert written.exit_code == 0, (fmt, written.output)
    with xr.open_dataset(tmp_path / "netcdf.nc", engine="h5netcdf", group="summary") as summary:
        months = summary["months_to_shortfall"].to_numpy()
    assert np.isnan(months).all()
    pd.testing.assert_series_equal(
        _tidy(xr.load_dataset(tmp_path / "netcdf.nc", engine="h5netcdf")),
        _stored_series(Path(db), run_id),
        check_names=False,
    )
