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
from oreshock.report.builder import write_report
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
    assert bad.status_code == 422
    assert "paper" in bad.text
