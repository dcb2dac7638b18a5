"""End uses over time: each sector's monthly tonnes wanted and short are stored with a run
(store schema 7), hashed with it, kept by recovery folders, and drawn in its report; runs
stored before keep their content hashes."""

from __future__ import annotations

import hashlib
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from oreshock import Store, simulate
from oreshock.model.scenario import open_scenario
from oreshock.report.builder import report_data
from oreshock.store import integrity, recovery
from oreshock.store.store import run_rows

FLAGSHIP = "japan-rare-earths-2026"


@pytest.fixture(scope="module")
def result(network):
    return simulate(network, open_scenario(FLAGSHIP).build("full-response"))


@pytest.fixture
def stored(result, tmp_path):
    db = tmp_path / "r.duckdb"
    with Store(db) as store:
        run_id = store.save_run(result)
    return db, run_id


def test_the_stored_series_sum_to_the_sector_summaries(result, stored):
    db, run_id = stored
    with Store(db, read_only=True) as store:
        series, sectors = store.sector_series(run_id), store.sectors(run_id)
        assert store.check_run(run_id) == integrity.OK
    assert len(series) == len(sectors) * result.scenario.months
    assert series["month"].min() == pd.Timestamp("2026-01-01")
    keys = ["country", "mineral", "stage", "sector"]
    totals = series.groupby(keys)[["wanted", "short"]].sum()
    peaks = series.assign(r=series["short"] / series["wanted"].where(series["wanted"] > 0))
    peaks = peaks.groupby(keys)["r"].max().fillna(0.0)
    joined = sectors.set_index(keys)
    cumulative = 100 * totals["short"] / totals["wanted"].where(totals["wanted"] > 0)
    np.testing.assert_allclose(
        cumulative.fillna(0.0).loc[joined.index], joined["cumulative_shortfall_pct"], atol=1e-7
    )
    np.testing.assert_allclose(
        100 * peaks.loc[joined.index], joined["peak_shortfall_pct"], atol=1e-7
    )
    assert (joined["cumulative_shortfall_pct"] > 0).any()  # the flagship does stop end uses


def test_the_series_are_part_of_the_runs_hash(stored):
    db, run_id = stored
    with Store(db) as store:
        store.con.execute(
            "UPDATE sector_series SET short = short + 1 WHERE run_id = ? AND short > 0", [run_id]
        )
        assert store.check_run(run_id) == integrity.DAMAGED
        store.con.execute("DELETE FROM sector_series WHERE run_id = ?", [run_id])
        assert store.check_run(run_id) == integrity.DAMAGED  # rows gone: not what was saved
        store.delete_run(run_id)
        left = store.con.execute("SELECT count(*) FROM sector_series").fetchone()
    assert left == (0,)


def test_a_run_without_series_keeps_the_hash_of_three_tables(result, tmp_path):
    """A run stored before schema 7 has no series: its hash is still the three-table hash
    it was given, so upgrading a store never makes its runs read as damaged."""
    rows = run_rows(result)
    rows.sector_series = pd.DataFrame()
    with Store(tmp_path / "r.duckdb") as store:
        run_id = store.save_rows(rows)
        stored = store.con.execute(
            "SELECT content_hash FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        digests = [
            f"{t} {integrity.table_digest(store.con, t, run_id)}\n"
            for t in ("timeseries", "flows", "sectors")
        ]
        assert store.check_run(run_id) == integrity.OK
        assert store.sector_series(run_id).empty
        figures = report_data(store, run_id, "en")["figures"]
    assert stored == (hashlib.sha256("".join(digests).encode()).hexdigest(),)
    assert not [f for f in figures if f["id"].startswith("end-uses")]  # nothing to draw


def test_a_version_6_store_is_upgraded_and_its_runs_stay_intact(result, tmp_path):
    path = tmp_path / "v6.duckdb"
    rows = run_rows(result)
    rows.sector_series = pd.DataFrame()
    with Store(path) as store:
        old = store.save_rows(rows)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE sector_series")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as store:
        assert store.schema_version_found == 6
        assert store.check_run(old) == integrity.OK
        new = store.save_run(result)
        assert store.check_run(new) == integrity.OK and not store.sector_series(new).empty


def test_a_recovery_folder_keeps_the_series(result, tmp_path):
    rows = run_rows(result)
    folder = recovery.keep([rows], tmp_path / "r.duckdb", "the store was busy")
    kept = recovery.read(folder)[0].rows
    pd.testing.assert_frame_equal(kept.sector_series, rows.sector_series, check_dtype=False)
    manifest = json.loads((folder / recovery.MANIFEST).read_text())
    del manifest["runs"][0]["files"]["sector_series"]  # a folder kept before schema 7
    (folder / recovery.MANIFEST).write_text(json.dumps(manifest))
    assert recovery.read(folder)[0].rows.sector_series.empty


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_draws_end_uses_over_time_by_name(stored, lang):
    db, run_id = stored
    with Store(db, read_only=True) as store:
        figures = report_data(store, run_id, lang)["figures"]
        sectors = store.sectors(run_id)
    chart = next(f for f in figures if f["id"] == "end-uses-JPN")
    hit = sectors[(sectors["country"] == "JPN") & (sectors["cumulative_shortfall_pct"] > 0)]
    assert chart["svg"].count('class="series"') == min(len(hit), 8)
    assert all(name in chart["svg"] for name in hit[f"name_{lang}"].head(3))
    assert not [s for s in hit["sector"] if f">{s}<" in chart["svg"]]  # names, not ids
