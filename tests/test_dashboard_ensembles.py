"""The dashboard's Ensembles page in headless Chromium against a real `oreshock serve`: an
ensemble started from the form (with its progress), its page in Japanese and English (names,
not ids), and the list after a server restart. No request leaves the server."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, needs_chromium, open_page
from tests.test_report_layout import GEOMETRY, colliding_parts, texts_outside
from tests.test_web_faults import Server

pytestmark = needs_chromium
SHOWN = "document.querySelector('#view').dataset.ready"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("dash-ens") / "runs.duckdb"


@pytest.fixture(scope="module")
def started(db, tmp_path_factory):
    """An ensemble started from the form in Japanese; yields (server url, page) on its page."""
    with Server(db) as server, open_page(server.url, tmp_path_factory.mktemp("p"), "ja-JP") as page:
        page.goto(server.url + "/#/ensembles")
        page.wait_for_function(f"{SHOWN} === '/ensembles'")
        assert page.locator("h2").inner_text() == "アンサンブル"
        page.select_option("#e-scenario", "japan-rare-earths-2026|full-response")
        page.fill("#e-runs", "12")
        page.fill("#e-batch", "4")
        page.click("#e-run")
        page.wait_for_selector("#e-progress")  # the progress is shown while it runs
        page.wait_for_function(
            f"location.hash.startsWith('#/ensemble/') && {SHOWN}?.startsWith('/ensemble/')",
            timeout=240_000,
        )
        yield server, page
        assert page.foreign == [] and page.script_errors == []


def test_the_ensemble_page_in_japanese_then_english(started):
    _, page = started
    assert "日本" in page.inner_text("#ens-title + p")
    assert page.locator("#ens-timeline svg").count() == 1
    assert page.locator("#ens-bands figure.band svg polygon.band").count() >= 2
    assert "中央値" in page.inner_text("#ens-bands") and "JPN" not in page.inner_text("#ens-bands")
    charts = page.evaluate(GEOMETRY)  # the bands, runs short over time: nothing cut or piled
    assert len(charts) >= 3 and not texts_outside(charts) and not colliding_parts(charts)
    assert "試行の" in page.inner_text("#ens-failure")
    outcomes = page.inner_text("#ens-outcomes")
    assert "日本・" in outcomes and "不足までの月数" in outcomes and "JPN" not in outcomes
    assert page.locator("#ens-prim table, #ens-prim p").count() >= 1
    assert "Sobol" in page.inner_text("#ens-sobol")
    page.screenshot(path=str(ARTIFACTS / "ensemble-ja.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_function(
        "document.querySelector('#ens-failure h3')?.textContent === 'Failure probability'"
    )
    text = page.inner_text("#view")
    assert "Japan, " in text and "Months to shortfall" in text and "of runs fail" in text
    page.screenshot(path=str(ARTIFACTS / "ensemble-en.png"), full_page=True)


def test_the_list_after_a_restart_links_the_ensemble(started):
    """The server restarted on the same store lists the ensemble by its scenario's title,
    with its status and sampler named in the reader's language."""
    server, page = started
    server.stop()
    server.start()
    page.allowed.add(server.url.split("//", 1)[1])
    page.goto(server.url + "/#/ensembles")
    page.wait_for_function(f"{SHOWN} === '/ensembles'")
    listed = page.inner_text("#ens-list")  # a new address: the page opens in Japanese
    assert "完了" in listed and "ラテン超方格" in listed and "レアアース" in listed
    page.click("#ens-list a")
    page.wait_for_function(f"{SHOWN}?.startsWith('/ensemble/')")
    assert page.locator("#ens-timeline svg").count() == 1


def test_a_bad_parameter_is_refused_on_the_form_naming_it(started):
    server, page = started
    page.goto(server.url + "/#/ensembles")
    page.wait_for_function(f"{SHOWN} === '/ensembles'")
    page.fill("#e-runs", "12")
    page.fill("#e-param", "responses.rerouting.growth=uniform:0.02:0.1\nnothing")
    page.click("#e-run")
    page.wait_for_selector("#e-error")
    error = page.inner_text("#e-error")
    assert "param[1]" in error and "NAME=uniform:LOW:HIGH" in error
