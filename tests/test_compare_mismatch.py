"""Comparing runs of different horizons or datasets says so, in English and Japanese: `oreshock
runs compare` on stderr, the API's compare in ``notes``, the dashboard's compare view above
the table (Chromium)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.report.comparison import mismatch_notes
from oreshock.store.store import Store, run_rows
from oreshock.web.app import create_app
from tests.browser import needs_chromium, open_page
from tests.test_web_faults import LOCAL, Server

runner = CliRunner()


@pytest.fixture(scope="module")
def stored(network, tmp_path_factory) -> tuple[Path, list[str]]:
    """Three runs of one variant: 12 months, 24 months, and 12 months again."""
    db = tmp_path_factory.mktemp("cmp") / "runs.duckdb"
    file = open_scenario("japan-rare-earths-2026")
    ids = []
    with Store(db) as store:
        for months in (12, 24, 12):
            scenario = file.build("no-response", {("months",): months})
            ids.append(store.save_rows(run_rows(simulate(network, scenario))))
    return db, ids


def test_the_cli_says_when_horizons_differ_in_the_language_asked(stored):
    db, (a, b, c) = stored
    en = runner.invoke(app, ["runs", "compare", a, b, "--db", str(db), "--json"])
    assert en.exit_code == 0, en.output
    assert "different horizons (12, 24 months)" in en.stderr
    assert json.loads(en.stdout)  # the table itself is unchanged
    ja = runner.invoke(app, ["runs", "compare", a, b, "--db", str(db), "--lang", "ja"])
    assert "期間が異なります（12, 24か月）" in ja.stderr
    same = runner.invoke(app, ["runs", "compare", a, c, "--db", str(db)])
    assert same.exit_code == 0 and "warning" not in same.stderr


def test_the_api_gives_notes_in_both_languages(stored):
    db, (a, b, c) = stored
    with TestClient(create_app(db), base_url=LOCAL) as client:
        notes = client.get(f"/api/compare?ids={a}&ids={b}").json()["notes"]
        assert [n["code"] for n in notes] == ["cmp_horizons_differ"]
        assert "12, 24 months" in notes[0]["en"] and "12, 24か月" in notes[0]["ja"]
        assert client.get(f"/api/compare?ids={a}&ids={c}").json()["notes"] == []


def test_different_datasets_are_named():
    records = [
        {"months": 12, "dataset_name": "bundled", "dataset_version": "2026.1",
         "dataset_hash": "aaaaaaaa1111"},
        {"months": 12, "dataset_name": "bundled", "dataset_version": "2026.2",
         "dataset_hash": "bbbbbbbb2222"},
    ]  # fmt: skip
    (note,) = mismatch_notes(records)
    assert note["code"] == "cmp_datasets_differ"
    assert "bundled 2026.1 (aaaaaaaa); bundled 2026.2 (bbbbbbbb)" in note["en"]
    assert "異なるデータセット" in note["ja"]


@needs_chromium
def test_the_compare_view_shows_the_note(stored, tmp_path):
    db, (a, b, _) = stored
    with Server(db) as server, open_page(server.url, tmp_path / "p", "ja-JP") as page:
        page.goto(f"{server.url}/#/compare?ids={a},{b}")
        page.wait_for_function("document.querySelector('#view').dataset.ready === '/compare'")
        assert "期間が異なります" in page.inner_text("#compare-notes")
        assert "12 か月" in page.inner_text("#compare-table")
        page.click("#lang-en")
        page.wait_for_function(
            "document.querySelector('#compare-notes')?.textContent.includes('different horizons')"
        )
        assert page.foreign == [] and page.script_errors == []
