"""An analyst's whole journey from the browser alone, in Japanese, against a real `oreshock
serve` and headless Chromium: load the flagship in the workbench, add an export quota and a new
plant, run the edited scenario as an ensemble and read its page, make a plan for g7plus from
it and download the plan's Japanese PDF on A4. No request leaves the server."""

from __future__ import annotations

import re

import pytest

from tests.browser import needs_chromium, open_page
from tests.test_builder import add_magnet_plant, settled
from tests.test_web_faults import Server

pytestmark = needs_chromium
SHOWN = "document.querySelector('#view').dataset.ready"
A4 = (595, 842)


def shown(page, route_start: str, timeout: float = 240_000) -> None:
    """Wait until the page of a route starting ``route_start`` is drawn."""
    page.wait_for_function(
        f"location.hash.startsWith('#{route_start}') && {SHOWN}?.startsWith('{route_start}')",
        timeout=timeout,
    )


def edit_the_flagship(page) -> None:
    """The flagship with an export quota on China and a magnet plant in the United States."""
    page.select_option("#wb-shipped", "japan-rare-earths-2026")
    page.click("#wb-load")
    settled(page, "valid")
    page.select_option("#wb-add-shock", "export_quota")
    page.click("#wb-add-shock-btn")
    page.select_option('[data-path="shocks.1.exporter"]', "CHN")
    page.fill('[data-path="shocks.1.allowed"]', "0.5")
    settled(page, "valid")
    add_magnet_plant(page, "Magnet plant")


def test_from_the_workbench_to_an_ensemble_a_plan_and_its_japanese_pdf(tmp_path):
    with (
        Server(tmp_path / "runs.duckdb") as server,
        open_page(server.url, tmp_path / "profile", "ja-JP") as page,
    ):
        page.goto(server.url + "/#/workbench")
        shown(page, "/workbench", 30_000)
        edit_the_flagship(page)

        page.select_option("#wb-ens-variant", "full-response")
        page.fill("#wb-ens-runs", "8")
        page.click("#wb-ensemble")
        shown(page, "/ensemble/")
        assert page.locator("#ens-timeline svg").count() == 1  # runs short over time
        assert page.locator("#ens-bands figure.band polygon.band").count() >= 2  # the bands
        assert "日本" in page.inner_text("#ens-title + p")
        assert "試行の" in page.inner_text("#ens-failure")

        page.goto(server.url + "/#/workbench")  # the edited scenario is kept for the session
        shown(page, "/workbench", 30_000)
        settled(page, "valid")
        assert page.input_value('[data-path="shocks.1.allowed"]') == "0.5"
        page.select_option("#wb-plan-members", "g7plus")
        page.fill("#wb-plan-scenarios", "3")
        page.click("#wb-plan")
        shown(page, "/plan/", 600_000)
        assert page.locator("#plan-items table").count() == 1
        with page.expect_download() as info:
            page.click("#plan-pdf")
        pdf, name = info.value.path().read_bytes(), info.value.suggested_filename
        assert page.foreign == [] and page.script_errors == []
    assert pdf.startswith(b"%PDF")
    boxes = {
        (round(float(w)), round(float(h)))
        for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    }
    assert boxes == {A4}
    assert re.search(r"oreshock-plan-\w+-ja\.pdf", name)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_workbench_asks_for_a_valid_scenario_before_an_ensemble(tmp_path, lang):
    """An ensemble of a scenario with problems is not started: the page says to fix them."""
    locale = "ja-JP" if lang == "ja" else "en-US"
    with (
        Server(tmp_path / "runs.duckdb") as server,
        open_page(server.url, tmp_path / "profile", locale) as page,
    ):
        page.goto(server.url + "/#/workbench")
        shown(page, "/workbench", 30_000)
        page.click(f"#lang-{lang}")
        shown(page, "/workbench", 30_000)
        page.select_option("#wb-shipped", "japan-rare-earths-2026")
        page.click("#wb-load")
        settled(page, "valid")
        page.fill('[data-path="months"]', "-5")
        settled(page, "invalid")
        page.click("#wb-ensemble")
        page.wait_for_function("document.querySelector('#wb-further-status').textContent !== ''")
        said = page.inner_text("#wb-further-status")
        assert said in (
            "先に上に示した問題を直してください。",
            "Fix the problems listed above first.",
        )
        assert page.foreign == [] and page.script_errors == []
