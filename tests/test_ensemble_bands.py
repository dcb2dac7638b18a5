"""Percentile bands over time: each run's monthly path is kept, and the bands read from it.

The bands are computed in DuckDB from the batch files; here they are held to numpy's
percentiles over the same paths, which the batch test (test_ensemble.py) holds to single runs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from oreshock.cli import common
from oreshock.cli.app import app
from oreshock.ensemble.bands import QUANTILES, path_columns, shortfall_bands
from oreshock.ensemble.runner import (
    MANIFEST,
    DamagedBatchError,
    EnsembleSpec,
    load_results,
    run_ensemble,
)
from oreshock.ensemble.sampling import EnsembleError
from oreshock.report.charts import line_chart

SCENARIO = "japan-rare-earths-2026"


@pytest.fixture(scope="module")
def ensemble(network, tmp_path_factory):
    root = tmp_path_factory.mktemp("bands")
    spec = EnsembleSpec(SCENARIO, "full-response", runs=24, seed=5, batch_size=10)
    return run_ensemble(spec, network=network, out=root / "ens", db=root / "db.duckdb")


def test_bands_are_the_percentiles_of_the_runs_paths(ensemble):
    bands = shortfall_bands(ensemble.folder, db=ensemble.db)
    columns = path_columns(ensemble.folder)
    assert columns and len(bands) == len(columns) == len(ensemble.outcome_names) // 3
    paths = load_results(ensemble.folder, columns, db=ensemble.db)
    assert len(paths) == 24
    moved = 0
    for column in columns:
        runs = np.stack(paths[column].to_numpy()).astype(float)  # (runs, months)
        frame = bands[column.removeprefix("path.shortfall_pct.")]
        assert list(frame.index) == list(range(1, 61))
        expected = np.percentile(runs, [100 * q for q in QUANTILES], axis=0).T
        np.testing.assert_allclose(frame[["p5", "p25", "p50", "p75", "p95"]], expected, atol=1e-9)
        np.testing.assert_allclose(frame["mean"], runs.mean(axis=0), atol=1e-9)
        assert (np.diff(frame.to_numpy()[:, :5], axis=1) >= 0).all()  # p5 <= ... <= p95
        moved += int((frame["p95"] > frame["p5"]).any())
    assert moved  # the sampled parameters do spread the shortfall over time


def test_results_hold_the_figures_and_paths_only_when_named(ensemble):
    figures = load_results(ensemble.folder, db=ensemble.db)
    assert not [c for c in figures.columns if c.startswith("path.")]
    assert figures[ensemble.outcome_names].dtypes.eq(float).all()


def test_an_ensemble_without_paths_reads_and_has_no_bands(ensemble, tmp_path):
    """An ensemble of batch format 1 (no monthly paths) still reads; it has no bands."""
    old = tmp_path / "old"
    old.mkdir()
    manifest = json.loads((ensemble.folder / MANIFEST).read_text())
    columns = manifest.pop("paths")
    (old / MANIFEST).write_text(json.dumps(manifest))
    for f in sorted(ensemble.folder.glob("batch-*.parquet")):
        pd.read_parquet(f).drop(columns=columns).to_parquet(old / f.name, index=False)
    assert shortfall_bands(old) == {}
    assert len(load_results(old)) == 24


def test_a_damaged_batch_is_refused_not_banded(ensemble, tmp_path):
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / MANIFEST).write_bytes((ensemble.folder / MANIFEST).read_bytes())
    files = sorted(ensemble.folder.glob("batch-*.parquet"))
    for f in files:
        (cut / f.name).write_bytes(f.read_bytes())
    data = files[1].read_bytes()
    (cut / files[1].name).write_bytes(data[: len(data) // 2])
    with pytest.raises(DamagedBatchError, match=files[1].name):
        shortfall_bands(cut)


def test_a_band_chart_shades_the_bands_behind_the_median():
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    low, mid, high = [0.0] * 12, [float(m) for m in range(12)], [2.0 * m for m in range(12)]
    svg = line_chart(
        {"Median": mid}, months, "Japan, NdPr (metal)", "% of demand",
        bands=[("Middle 90%", low, high), ("Middle 50%", mid, high)],
    )  # fmt: skip
    assert svg.count('class="band"') == 2 and svg.count('class="series"') == 1
    assert svg.index('class="band"') < svg.index('class="series"')  # drawn behind the line
    assert all(label in svg for label in ("Median", "Middle 90%", "Middle 50%"))
    assert svg.count('class="legend-item"') == 3


def test_the_command_prints_names_fits_80_columns_and_writes_every_month(
    ensemble, tmp_path, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(common.out, "width", 80)
    out = tmp_path / "bands.csv"
    args = ["ensembles", "bands", ensemble.ensemble_id, "--db", str(ensemble.db)]
    done = CliRunner().invoke(app, [*args, "--cell", "ree_ndpr.metal", "--out", str(out),
                                    "--lang", "ja"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "日本・ネオジム・プラセオジム" in done.stdout and "中央値" in done.stdout
    assert "JPN" not in done.stdout and "2026-03" in done.stdout
    assert max(cell_len(line) for line in done.stdout.splitlines()) <= 80
    written = pd.read_csv(out)
    assert list(written["cell"].unique()) == ["JPN.ree_ndpr.metal"] and len(written) == 60
    bands = shortfall_bands(ensemble.folder, db=ensemble.db)["JPN.ree_ndpr.metal"]
    np.testing.assert_allclose(written["p95"], bands["p95"], atol=5e-4)  # 3 decimals
    wrong = CliRunner().invoke(app, [*args, "--cell", "nope.metal"])
    assert wrong.exit_code != 0 and "ree_ndpr.metal" in wrong.output  # names the cells there are


def test_an_ensemble_with_no_batch_yet_is_said_to_have_none(ensemble, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / MANIFEST).write_bytes((ensemble.folder / MANIFEST).read_bytes())
    with pytest.raises(EnsembleError, match="no results written yet"):
        shortfall_bands(empty)
