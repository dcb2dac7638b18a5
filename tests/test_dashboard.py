"""Dashboard end to end in headless Debian Chromium (Playwright), against a real uvicorn server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from oreshock.core.options import get_option
from oreshock.model.scenario import shipped_scenarios
from oreshock.report.builder import CHROMIUM_FLAGS

CHROMIUM = Path(get_option("chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = list(CHROMIUM_FLAGS)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian chromium at /usr/bin/chromium (run scripts/install-system-deps.sh)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`oreshock serve`'s app under uvicorn on a free loopback port, with a fresh database."""
    db = tmp_path_factory.mktemp("dash") / "runs.duckdb"
    port = free_port()
    code = (
        "import uvicorn; from oreshock.web.app import create_app; "
        f"uvicorn.run(create_app({str(db)!r}), host='127.0.0.1', port={port}, log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/scenarios", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        # a fresh profile per run (Playwright passes it as --user-data-dir)
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale="ja-JP",
        )
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.set_default_timeout(30_000)
        yield pg
        context.close()
        assert not errors, errors


def ready(page, route: str) -> None:
    page.wait_for_selector(f'#view[data-ready="{route}"]')


def wait_for_result(page) -> None:
    """The builder moves to the run's page once the background run is stored."""
    page.wait_for_function(
        "location.hash.startsWith('#/run/') && "
        "document.querySelector('#view').dataset.ready === location.hash.slice(1)"
    )


def test_overview(page, server):
    page.goto(server + "/#/overview?mineral=rare_earths&stage=separation")
    ready(page, "/overview")
    assert page.locator("#ov-map svg circle.bubble").count() >= 3
    assert "HHI" in page.inner_text("#ov-metrics")
    assert page.locator("h2").inner_text() == "概要"  # Japanese by default
    page.screenshot(path=str(ARTIFACTS / "overview-ja.png"), full_page=True)


def test_build_and_run_scenario_then_switch_language(page, server):
    page.goto(server + "/#/builder")
    ready(page, "/builder")
    page.select_option("#b-exporter", "CHN")
    page.fill("#b-targets", "JPN")
    page.select_option("#b-mineral", "rare_earths")
    page.fill("#b-months", "24")
    page.check("#b-reexport")
    page.check("#b-stockpile")
    page.select_option("#b-sharing", "g7plus")
    page.screenshot(path=str(ARTIFACTS / "builder-ja.png"), full_page=True)
    page.click("#b-run")
    wait_for_result(page)
    assert "要約" in page.inner_text("#run-summary")
    assert page.locator("#run-charts svg.chart-line").count() >= 3
    assert page.locator("#run-charts svg.chart-sankey").count() >= 2
    assert page.locator("#run-charts svg.chart-map").count() >= 1
    price = page.locator('#run-charts figure[id^="fig-price-"]')
    assert price.count() >= 1 and "中国国外" in price.first.inner_text()  # USD/kg by region
    assert page.locator("#run-summary data").count() >= 3
    page.screenshot(path=str(ARTIFACTS / "run-ja.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_function("document.querySelector('#run-summary h3')?.textContent === 'Summary'")
    assert "Japan" in page.inner_text("#run-summary")
    page.screenshot(path=str(ARTIFACTS / "run-en.png"), full_page=True)
    # the impact on output and GDP: computed from the page, then shown with names
    page.click("#impact-btn")
    page.wait_for_selector("#run-impact table")
    assert "Japan" in page.inner_text("#run-impact") and "GDP" in page.inner_text("#run-impact")
    assert "Transport equipment" in page.inner_text("#run-impact")
    page.screenshot(path=str(ARTIFACTS / "run-impact-en.png"), full_page=True)


def test_the_builder_offers_and_runs_every_shipped_scenario(page, server):
    page.goto(server + "/#/builder")
    ready(page, "/builder")
    offered = {
        v.split("|")[0]
        for v in page.eval_on_selector_all("#b-shipped option", "els => els.map(e => e.value)")
    }
    assert offered == set(shipped_scenarios())
    others = sorted(set(shipped_scenarios()) - {"baseline", "japan-rare-earths-2026"})
    if not others:
        pytest.skip("no shipped scenario beside the flagship and the baseline")
    page.select_option("#b-shipped", f"{others[0]}|")
    page.click("#b-run-shipped")
    wait_for_result(page)
    assert page.locator("#run-summary").inner_text().strip()


def test_shipped_variants_and_compare(page, server):
    for variant in ("no-response", "full-response"):
        page.goto(server + "/#/builder")
        ready(page, "/builder")
        page.select_option("#b-shipped", f"japan-rare-earths-2026|{variant}")
        page.click("#b-run-shipped")
        wait_for_result(page)
    page.goto(server + "/#/runs")
    ready(page, "/runs")
    boxes = page.locator(".pick")
    assert boxes.count() >= 2  # the two runs started above, newest last
    boxes.nth(boxes.count() - 1).check()
    boxes.nth(boxes.count() - 2).check()
    page.click("#compare-btn")
    ready(page, "/compare")
    text = page.inner_text("#compare-table")
    # the variants by their titles, in whichever language the page is in
    english = "No response" in text and "Full response" in text
    assert english or ("対応なし" in text and "全対応" in text)
    assert "no-response" not in text and "full-response" not in text
    page.screenshot(path=str(ARTIFACTS / "compare-en.png"), full_page=True)


def test_make_a_plan_from_the_browser_and_read_it_in_both_languages(page, server):
    """The plans page starts a plan as a job, shows its progress, and opens the plan: what to
    buy, who pays under each rule, the charts, the engine's check; names, never ISO codes."""
    page.goto(server + "/#/plans")
    ready(page, "/plans")
    page.click("#lang-ja")  # an earlier test may have left the page in English
    ready(page, "/plans")
    offered = page.eval_on_selector_all("#p-scenario option", "els => els.map(e => e.value)")
    assert offered == ["japan-rare-earths-2026"]  # the shipped scenario with a plan: block
    page.fill("#p-scenarios", "2")
    page.fill("#p-caps", "0.1,0.05")
    page.fill("#p-verify", "2")
    page.click("#p-run")
    page.wait_for_function(
        "location.hash.startsWith('#/plan/') && "
        "document.querySelector('#view').dataset.ready === location.hash.slice(1)",
        timeout=300_000,
    )
    assert "強靱化計画" in page.inner_text("#plan-title")
    assert page.locator("#plan-items tr").count() >= 2
    assert page.locator("#plan-shares svg.chart-bar").count() == 1
    assert page.locator("#plan-shares svg.chart-line").count() == 1
    assert page.locator("#plan-verify tr").count() >= 2
    shares = page.inner_text("#plan-shares")
    assert "日本" in shares and "JPN" not in shares
    page.screenshot(path=str(ARTIFACTS / "plan-ja.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_function(
        "document.querySelector('#plan-title')?.textContent.startsWith('Resilience plan')"
    )
    assert "Japan" in page.inner_text("#plan-shares")
    page.screenshot(path=str(ARTIFACTS / "plan-en.png"), full_page=True)
    page.goto(server + "/#/plans")
    ready(page, "/plans")
    assert page.locator("#view a[href^='#/plan/']").count() >= 1
    page.click("#lang-ja")
