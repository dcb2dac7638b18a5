"""Commands that write files need no --out: they write a file named after what they export
into the current folder and say where, in the chosen language."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from oreshock.cli.app import app

runner = CliRunner()
FLAGSHIP = "japan-rare-earths-2026"


@pytest.fixture()
def here(tmp_path, monkeypatch):
    """A fresh current folder and results database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORESHOCK_DB", str(tmp_path / "r.duckdb"))
    return tmp_path


def test_report_defaults_to_the_run_id(here):
    done = runner.invoke(
        app, ["run", FLAGSHIP, "--variant", "no-response", "--months", "12", "--json"]
    )
    assert done.exit_code == 0, done.output
    run_id = json.loads(done.stdout)["runs"][0]["run_id"]
    written = runner.invoke(app, ["report", run_id, "--lang", "ja"])
    assert written.exit_code == 0, written.output
    assert written.stdout.strip() == f"{run_id}.html に書き出しました"
    assert "<html" in (here / f"{run_id}.html").read_text("utf-8")[:500].lower()
    deleted = runner.invoke(app, ["runs", "delete", run_id, "--lang", "ja"])
    assert deleted.stdout.strip() == f"{run_id} を削除しました"


def test_ensemble_export_defaults_to_the_ensemble_id(here):
    done = runner.invoke(
        app,
        [
            "ensemble",
            FLAGSHIP,
            "--variant",
            "g7plus-sharing",
            "--runs",
            "4",
            "--workers",
            "1",
            "--no-stock-ranges",
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    ensemble_id = json.loads(done.stdout)["ensemble_id"]
    written = runner.invoke(app, ["ensembles", "export", ensemble_id])
    assert written.exit_code == 0, written.output
    assert written.stdout.strip() == f"wrote 4 runs to {ensemble_id}.parquet"
    assert len(pd.read_parquet(here / f"{ensemble_id}.parquet")) == 4
