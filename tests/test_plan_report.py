"""The plan's report: names instead of ids in both languages, every item and member shown,
numbers as the plan has them, and a page headless Chromium renders with nothing cut off and
nothing fetched from outside the machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oreshock.core.options import get_option
from oreshock.data.datasets import load_dataset
from oreshock.model.scenario import load_scenario
from oreshock.plan.projects import from_table
from oreshock.plan.runner import make_plan
from oreshock.report.builder import CHROMIUM_FLAGS
from oreshock.report.plan import plan_data, render_plan_html, write_plan_report

CHROMIUM = Path(get_option("chromium"))


@pytest.fixture(scope="module")
def record(network):
    projects = from_table(load_dataset().table("projects"))
    plan = make_plan(network, load_scenario("japan-rare-earths-2026"), "g7plus", 0.05,
                     scenarios=3, caps=[0.1, 0.05], verify_scenarios=3,
                     projects=projects)  # fmt: skip
    return plan.record()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_report_names_everything_and_keeps_the_plans_numbers(record, lang):
    dataset = load_dataset()
    data = plan_data(record, dataset, lang)
    html = render_plan_html(data)
    for iso3 in record["members"]:
        assert not re.search(rf"\b{iso3}\b", html), iso3  # names, never codes
    for item in record["items"]:
        assert not re.search(rf"\b{re.escape(item['product'])}\b", html)
        assert f"{item['cost_usd'] / 1e6:,.1f}" in html
    assert len(data["bought"]) == len(record["items"])
    assert len(data["shares"]) == len(record["members"])
    assert html.count("<svg") == 2  # the split by rule and the cost-vs-cap curve
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert not re.search(r"\d\.\d{6,}", html)  # no float noise
    if lang == "ja":
        assert "強靱化計画" in html and "シミュレーション検証" in html


def test_an_unknown_format_is_refused(record, tmp_path):
    from oreshock.core.errors import OreshockError

    with pytest.raises(OreshockError, match="unknown format 'docx'"):
        write_plan_report(record, tmp_path / "p.docx", load_dataset(), fmt="docx")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_chromium_renders_the_report_whole_and_offline(record, tmp_path, lang):
    from playwright.sync_api import sync_playwright

    page_file = write_plan_report(record, tmp_path / f"plan-{lang}.html", load_dataset(), lang=lang)
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.on(
            "request", lambda r: outside.append(r.url) if not r.url.startswith("file:") else None
        )
        page.goto(Path(page_file).as_uri())
        cut = page.evaluate(
            """() => [...document.querySelectorAll('td, th, h1, h2, p')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
        )
        sections = page.evaluate("() => [...document.querySelectorAll('section')].map(s => s.id)")
        spilled = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart')].flatMap((svg) => {
                 const s = svg.getBoundingClientRect();
                 return [...svg.querySelectorAll('text')].filter((e) => {
                   const r = e.getBoundingClientRect();
                   return r.left < s.left - 0.5 || r.right > s.right + 0.5
                     || r.top < s.top - 0.5 || r.bottom > s.bottom + 0.5;
                 }).map((e) => e.textContent);
               })"""
        )
        browser.close()
    assert not outside, outside
    assert not cut, cut
    assert not spilled, spilled  # every label, tick and legend entry inside its chart
    assert sections == ["summary", "items", "shares", "verification"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_the_pdf_is_printed_on_the_paper_asked(record, tmp_path, paper, size):
    out = write_plan_report(
        record, tmp_path / "plan.pdf", load_dataset(), lang="ja", fmt="pdf", paper=paper
    )
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", out.read_bytes())
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {size}
