"""Run labels and run lists: a label stored with a run (``oreshock run --label``, ``"label"``
of ``POST /api/runs``), lists filtered by scenario, label and date that show each run's
horizon, and the upgrade of a store written before runs had labels (schema version 5)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli import common
from oreshock.cli.app import app
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.schema import SCHEMA_VERSION
from oreshock.store.store import Store, open_read, run_rows
from oreshock.testing.faults import write_drill
from oreshock.web.app import create_app
from tests.browser import ARTIFACTS, needs_chromium, open_page
from tests.test_web_faults import LOCAL, Server

MINI = str(Path(__file__).parent / "data" / "mini_dataset")
runner = CliRunner()


def _listed(db: Path, *options: str) -> list[dict]:
    result = runner.invoke(app, ["runs", "list", "--db", str(db), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_label_is_stored_and_lists_filter_by_scenario_label_and_date(tmp_path, monkeypatch):
    db = tmp_path / "runs.duckdb"
    drill = str(write_drill(tmp_path, "store-drill"))
    for label in ("Baseline A [draft]", None):
        args = ["run", drill, "--data", MINI, "--db", str(db), "--json"]
        result = runner.invoke(app, args + (["--label", label] if label else []))
        assert result.exit_code == 0, result.output
    every = _listed(db)
    k = len(open_scenario(drill).variants) or 1  # one run per variant
    assert [r["label"] for r in every] == ["Baseline A [draft]"] * k + [None] * k
    assert all(r["months"] == open_scenario(drill).build().months for r in every)
    assert [r["label"] for r in _listed(db, "--label", "baseline")] == ["Baseline A [draft]"] * k
    assert len(_listed(db, "--scenario", every[0]["scenario"])) == 2 * k
    assert _listed(db, "--scenario", "no-such-scenario") == []
    today = dt.datetime.now(dt.UTC).date()
    assert len(_listed(db, "--since", today.isoformat())) == 2 * k
    assert _listed(db, "--since", (today + dt.timedelta(days=1)).isoformat()) == []
    # the table shows the label and the horizon too, and so does `runs show`
    monkeypatch.setattr(common.out, "width", 200)  # the label whole, not folded to 80 columns
    table = runner.invoke(app, ["runs", "list", "--db", str(db), "--no-check"])
    assert "[draft]" in table.stdout and "months" in table.stdout  # as written, not markup
    shown = runner.invoke(app, ["runs", "show", every[0]["run_id"], "--db", str(db)])
    assert "label: Baseline A [draft]" in shown.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["runs", "list", "--since", "31/01/2026"], "--since '31/01/2026': expected a date"),
        (["run", "DRILL", "--label", "two\nlines"], "label: holds a control character"),
        (["run", "DRILL", "--label", "x" * 201], "label: 201 characters"),
    ],
)
def test_bad_labels_and_dates_are_refused_saying_what_is_expected(tmp_path, args, said):
    drill = str(write_drill(tmp_path, "store-drill"))
    args = [drill if a == "DRILL" else a for a in args]
    result = runner.invoke(app, [*args, "--db", str(tmp_path / "runs.duckdb")])
    assert result.exit_code == 2 and said in result.output, result.output
    assert not (tmp_path / "runs.duckdb").exists() or not _listed(tmp_path / "runs.duckdb")


def test_a_version_5_store_is_upgraded_and_takes_labels(network, tmp_path):
    """Version 6 adds ``runs.label`` and ``jobs.ensemble_id``: a version-5 file's runs list
    with no label, the commands that only read upgrade it, and labelled runs are saved in."""
    path = tmp_path / "v5.duckdb"
    result = simulate(network, open_scenario("japan-rare-earths-2026").build("no-response"))
    with Store(path) as store:
        old = store.save_rows(run_rows(result))
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE runs DROP COLUMN label")
    con.execute("ALTER TABLE jobs DROP COLUMN ensemble_id")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    con.close()
    with open_read(path) as store:
        assert store.schema_version_found == SCHEMA_VERSION
        listed = store.list_runs()
        assert listed["run_id"].tolist() == [old] and listed["label"].isna().all()
    with Store(path) as store:
        new = store.save_rows(run_rows(result, label="after the upgrade"))
        assert store.run(new)["label"] == "after the upgrade"
        assert store.list_runs(label="UPGRADE")["run_id"].tolist() == [new]


def test_api_runs_take_a_label_and_the_list_filters(tmp_path):
    body = {"scenario": "japan-rare-earths-2026", "variant": "no-response", "months": 6}
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        job = client.post("/api/runs", json=body | {"label": "  Board meeting  "}).json()
        client.post("/api/runs", json=body)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = client.get("/api/runs").json()
            if len(runs) == 2 and all(r["status"] == "done" for r in runs):
                break
            time.sleep(0.2)
        labelled = client.get("/api/runs?label=board").json()
        assert [r["label"] for r in labelled] == ["Board meeting"]
        assert (
            labelled[0]["months"] == 6
            and labelled[0]["run_id"] == client.get(f"/api/runs/{job['id']}").json()["run_id"]
        )
        assert len(client.get("/api/runs?scenario=japan-rare-earths-2026").json()) == 2
        assert client.get("/api/runs?since=2999-01-01").json() == []
        bad = client.get("/api/runs?since=yesterday")
        assert bad.status_code == 422 and "since" in bad.json()["detail"]
        refused = client.post("/api/runs", json=body | {"label": "a\tb"})
        assert refused.status_code == 422 and "label" in refused.json()["detail"]
        long = client.post("/api/runs", json=body | {"label": "x" * 201})
        assert long.status_code == 422 and "label" in long.json()["detail"]


@needs_chromium
def test_the_dashboard_runs_list_shows_labels_and_horizons_and_filters(network, tmp_path):
    """The runs page lists each run's label and horizon by its scenario's title, and its
    filters (label, scenario, date) narrow the list, in Japanese and English."""
    db = tmp_path / "runs.duckdb"
    file = open_scenario("japan-rare-earths-2026")
    with Store(db) as store:
        for months, label in ((12, "Board meeting"), (24, None)):
            scenario = file.build("no-response", {("months",): months})
            store.save_rows(run_rows(simulate(network, scenario), label=label))
    ready = "document.querySelector('#view').dataset.ready === '/runs'"
    with Server(db) as server, open_page(server.url, tmp_path / "p", "ja-JP") as page:
        page.goto(server.url + "/#/runs")
        page.wait_for_function(ready)
        listed = page.inner_text("#runs-list")
        assert "ラベル" in listed and "期間（月）" in listed and "Board meeting" in listed
        assert "中国による対日レアアース輸出規制" in listed and "\t24\t" in listed
        page.fill("#f-label", "board")
        page.click("#f-apply")
        page.wait_for_function(f"location.hash.includes('label=board') && {ready}")
        assert page.locator("#runs-list .pick").count() == 1
        page.fill("#f-since", "2999-01-01")
        page.click("#f-apply")
        page.wait_for_function(f"location.hash.includes('since=2999') && {ready}")
        assert page.locator("#runs-list .pick").count() == 0
        page.click("#lang-en")
        page.wait_for_function(
            "document.querySelector('#runs-filter legend')?.textContent === 'Filter'"
        )
        assert "Horizon (months)" in page.inner_text("#runs-list")
        page.screenshot(path=str(ARTIFACTS / "runs-filter-en.png"), full_page=True)
        assert page.foreign == [] and page.script_errors == []
