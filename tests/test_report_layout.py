"""Reports as a person holds them: PDFs on A4 (or Letter when asked), in both languages, and
charts whose text, legends and map labels fit and do not collide, measured in headless
Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock import Store
from oreshock.cli.app import app
from oreshock.core.errors import OreshockError
from oreshock.core.options import get_option
from oreshock.model.variants import run_variants
from oreshock.report.builder import CHROMIUM_FLAGS, write_report
from oreshock.report.charts import line_chart, month_ticks
from oreshock.web.app import create_app

FLAGSHIP = "japan-rare-earths-2026"
CHROMIUM = Path(get_option("chromium"))
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"
)
SIZES = {"a4": (595, 842), "letter": (612, 792)}  # points


@pytest.fixture(scope="module")
def flagship(tmp_path_factory, network) -> tuple[Path, list[str]]:
    """The base case and two responses of the flagship, stored."""
    path = tmp_path_factory.mktemp("layout") / "runs.duckdb"
    results = run_variants(FLAGSHIP, network, variants=["no-response", "full-response"])
    with Store(path) as store:
        ids = [store.save_run(r) for r in results]
    return path, ids


def media_boxes(pdf: bytes) -> set[tuple[int, int]]:
    """Width and height (rounded points) of every page's MediaBox."""
    found = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return {(round(float(w)), round(float(h))) for w, h in found}


@needs_chromium
@pytest.mark.parametrize(("lang", "paper"), [("ja", None), ("en", None), ("ja", "letter")])
def test_pdf_pages_are_a4_unless_letter_is_asked(flagship, tmp_path, lang, paper):
    db, ids = flagship
    extra = {} if paper is None else {"paper": paper}
    out = write_report(ids[0], tmp_path / "r.pdf", lang=lang, fmt="pdf", db_path=db, **extra)
    boxes = media_boxes(out.read_bytes())
    assert boxes == {SIZES[paper or "a4"]}, boxes


@needs_chromium
def test_cli_report_takes_paper_and_refuses_others(flagship, tmp_path):
    db, ids = flagship
    out = tmp_path / "r.pdf"
    args = ["report", ids[0], "--out", str(out), "--format", "pdf", "--db", str(db)]
    done = CliRunner().invoke(app, [*args, "--paper", "letter"])
    assert done.exit_code == 0, done.output
    assert media_boxes(out.read_bytes()) == {SIZES["letter"]}
    bad = CliRunner().invoke(app, [*args, "--paper", "b5"])
    assert bad.exit_code == 2
    assert "expected one of a4, letter, found 'b5'" in bad.output


def test_unknown_paper_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(OreshockError, match="unknown paper 'a3'; expected one of: a4, letter"):
        write_report("000000000000", tmp_path / "x.pdf", fmt="pdf", paper="a3")
    assert not (tmp_path / "x.pdf").exists()


def test_api_report_page_is_sized_for_the_paper_asked(flagship):
    db, ids = flagship
    with TestClient(create_app(db), base_url="http://localhost") as client:
        url = f"/api/runs/{ids[0]}/report.html"
        assert "size: A4;" in client.get(url, params={"lang": "ja"}).text
        assert "size: Letter;" in client.get(url, params={"paper": "letter"}).text
        bad = client.get(url, params={"paper": "b5"})
        plan = client.get("/api/plans/000000000000/report.html", params={"paper": "b5"})
    assert bad.status_code == plan.status_code == 422
    assert "paper" in bad.text and "paper" in plan.text


GEOMETRY = """() => [...document.querySelectorAll('svg.chart')].map((svg) => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; };
  return {
    title: svg.querySelector('title').textContent,
    svg: box(svg),
    texts: [...svg.querySelectorAll('text')].map((e) => [e.textContent, box(e)]),
    legend: [...svg.querySelectorAll('.legend-item')].map(box),
    labels: [...svg.querySelectorAll('.map-label, .node-label')].map(box),
    ticks: [...svg.querySelectorAll('.tick')].map(box),
  };
})"""


def texts_outside(charts: list[dict]) -> list[tuple]:
    """(chart title, text, box) of every text that reaches outside its chart (GEOMETRY)."""
    return [
        (c["title"], text, box)
        for c in charts
        for text, box in c["texts"]
        if box[0] < c["svg"][0] - 0.5
        or box[1] < c["svg"][1] - 0.5
        or box[2] > c["svg"][2] + 0.5
        or box[3] > c["svg"][3] + 0.5
    ]


def colliding_parts(charts: list[dict]) -> list[tuple]:
    """(chart title, part, pairs) where legend items, labels or ticks overlap (GEOMETRY)."""
    return [
        (c["title"], part, _colliding(c[part]))
        for c in charts
        for part in ("legend", "labels", "ticks")
        if _colliding(c[part])
    ]


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _colliding(boxes: list[list[float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if _overlap(boxes[i], boxes[j])
    ]


@pytest.fixture(scope="module")
def chart_geometry(flagship, tmp_path_factory):
    """Boxes of every chart and its texts, as Chromium lays out the report (ja and en)."""
    from playwright.sync_api import sync_playwright

    db, ids = flagship
    folder = tmp_path_factory.mktemp("charts")
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        for lang in ("ja", "en"):
            html = write_report(ids[0], folder / f"{lang}.html", lang=lang, db_path=db)
            page.goto(Path(html).as_uri())
            out[lang] = page.evaluate(GEOMETRY)
        browser.close()
    return out


@needs_chromium
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_chart_texts_lie_inside_their_svg(chart_geometry, lang):
    charts = chart_geometry[lang]
    kinds = {c["title"] for c in charts}
    assert len(charts) >= 10, kinds  # paths, prices, Sankeys, the map and the variants
    outside = texts_outside(charts)
    assert not outside, outside[:5]


@needs_chromium
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_legend_items_ticks_and_map_labels_do_not_collide(chart_geometry, lang):
    charts = chart_geometry[lang]
    assert any(len(c["legend"]) >= 5 for c in charts)  # the variants' legend wraps
    assert any(len(c["labels"]) >= 3 for c in charts)  # the map and the Sankeys' nodes
    assert not colliding_parts(charts)


def test_month_ticks_fall_on_quarters_or_years():
    five_years = [f"{2026 + k // 12}-{k % 12 + 1:02d}" for k in range(60)]
    assert month_ticks(five_years) == [(12 * k, str(2026 + k)) for k in range(5)]
    two_years = five_years[3:27]  # April 2026 to March 2028
    ticks = month_ticks(two_years)
    assert [label for _, label in ticks] == ["2026-07", "2027-01", "2027-07", "2028-01"] or all(
        label[5:] in ("01", "04", "07", "10") for _, label in ticks
    )
    assert len(month_ticks(five_years[:12])) == 4  # a year: its quarters
    assert month_ticks(["10%", "5%"]) == [(0, "10%"), (1, "5%")]  # not months: as given


def test_a_long_legend_wraps_into_rows_and_cuts_nothing():
    labels = [f"EU27（個別掲載国以外）{k}" for k in range(8)]
    svg = line_chart({label: [1.0, 2.0] for label in labels}, ["2026-01", "2026-02"], "t", "%")
    assert all(label in svg for label in labels)
    height = float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', svg)[1])
    one = line_chart({"a": [1.0, 2.0]}, ["2026-01", "2026-02"], "t", "%")
    assert height > float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', one)[1]) + 30


@needs_chromium
def test_api_prints_the_japanese_report_to_an_a4_pdf(flagship):
    """The dashboard's PDF link: the server prints the report with its Chromium, A4 unless
    Letter is asked, named for the run and the language."""
    db, ids = flagship
    with TestClient(create_app(db), base_url="http://localhost") as client:
        pdf = client.get(f"/api/runs/{ids[0]}/report.pdf", params={"lang": "ja"})
        letter = client.get(f"/api/runs/{ids[0]}/report.pdf", params={"paper": "letter"})
        bad = client.get(f"/api/runs/{ids[0]}/report.pdf", params={"paper": "b5"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f"oreshock-{ids[0]}-ja.pdf" in pdf.headers["content-disposition"]
    assert media_boxes(pdf.content) == {SIZES["a4"]}
    assert media_boxes(letter.content) == {SIZES["letter"]}
    assert bad.status_code == 422
