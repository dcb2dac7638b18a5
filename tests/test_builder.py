"""The scenario workbench end to end in headless Chromium against a real uvicorn server: load
the flagship, add an export quota and a new plant, see the CLI's error for a bad value beside
its field, fix it, download the YAML and load it with the CLI's loader, run every variant and
read them side by side, in Japanese and English, no text overflowing, no request leaving."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oreshock.cli.app import app as cli
from oreshock.model.scenario import load_scenario, open_scenario
from tests.test_dashboard import ARTIFACTS, page, ready, server  # noqa: F401 (fixtures)

FLAGSHIP = "japan-rare-earths-2026"
DROPPED = ("heavy-elements-control", "stockpiles", "g7plus-sharing", "reexport-control")
OVERFLOW = """() => {
  const bad = [];
  const boxes = '#wb label, #wb .wb-label, #wb button, #wb legend, #wb th, #wb td, #wb li, '
    + '#wb p, #wb .wb-err, #wb h3, #view h2';
  document.querySelectorAll(boxes).forEach((el) => {
    if (el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      bad.push(el.tagName + ': ' + el.textContent.slice(0, 60));
    }
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page');
  return bad;
}"""


def settled(pg, state: str) -> None:
    """The server's answer to the document as it is now (the builder drops stale ones)."""
    pg.wait_for_function(
        f"document.querySelector('#wb-status')?.dataset.state === '{state}'", timeout=30_000
    )


def download(pg, folder: Path) -> Path:
    with pg.expect_download() as info:
        pg.click("#wb-download")
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def cli_validate(path: Path, monkeypatch) -> dict:
    """`oreshock scenarios validate FILE --json` run where the file is, named as downloaded."""
    monkeypatch.chdir(path.parent)
    result = CliRunner().invoke(cli, ["scenarios", "validate", path.name, "--json"])
    return json.loads(result.stdout)


def add_magnet_plant(pg, name: str) -> str:
    """A 1,000 t/yr NdFeB magnet plant in the United States added to the scenario's new
    capacity; returns its field path once the server finds the scenario valid."""
    pg.click("#wb-add-new_capacity")
    plant = "responses.new_capacity.0"
    pg.fill(f'[data-path="{plant}.name"]', name)
    pg.select_option(f'[data-path="{plant}.country"]', "USA")
    pg.select_option(f'[data-path="{plant}.mineral"]', "rare_earths")
    pg.select_option(f'[data-path="{plant}.stage"]', "magnets")
    pg.fill(f'[data-path="{plant}.capacity"]', "1000")
    settled(pg, "valid")
    return plant


def no_overflow(pg) -> None:
    assert pg.evaluate(OVERFLOW) == []


def test_workbench_builds_validates_downloads_and_runs(page, server, tmp_path, monkeypatch):  # noqa: F811
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server + "/#/workbench")
    ready(page, "/workbench")
    page.click("#lang-ja")
    ready(page, "/workbench")
    page.select_option("#wb-shipped", FLAGSHIP)
    page.click("#wb-load")
    settled(page, "valid")
    # choices by name in the reader's language, not ids
    destinations = page.inner_text('[data-field="shocks.0.destinations"]')
    assert "日本" in destinations and "JPN" not in destinations
    assert "輸出禁止" in page.inner_text("#wb-form")

    # an export quota with a bad value: the CLI's words beside the field
    page.select_option("#wb-add-shock", "export_quota")
    page.click("#wb-add-shock-btn")
    page.select_option('[data-path="shocks.1.exporter"]', "CHN")
    page.fill('[data-path="shocks.1.allowed"]', "1.5")
    settled(page, "invalid")
    beside = page.inner_text('[data-field="shocks.1.allowed"] .wb-err')
    assert "less than or equal to 1" in beside
    listed = page.eval_on_selector_all("#wb-problems li", "els => els.map(e => e.textContent)")
    said = cli_validate(download(page, tmp_path), monkeypatch)
    assert said["errors"] == listed and any(beside in line for line in listed)
    no_overflow(page)
    page.fill('[data-path="shocks.1.allowed"]', "0.5")
    settled(page, "valid")

    # a new plant (new capacity)
    plant = add_magnet_plant(page, "Test magnet plant")
    assert "米国" in page.inner_text(f'[data-field="{plant}.country"]')

    # an uncertain lead time, written as a distribution
    page.select_option(f'[data-path="{plant}.lead_months"][data-kind="dist"]', "triangular")
    for param, value in (("low", "12"), ("mode", "18"), ("high", "30")):
        page.fill(f'[data-path="{plant}.lead_months.{param}"]', value)
    settled(page, "valid")

    # a variant of our own: a tighter quota, stored as an override of the base
    page.click('.wb-tab[data-tab=""]')
    page.fill("#wb-new-variant", "tight-quota")
    page.click("#wb-add-variant")
    page.fill('[data-path="shocks.1.allowed"]', "0.2")
    settled(page, "valid")
    page.click('.wb-tab[data-tab="tight-quota"]')  # drawn again: what the variant sets is marked
    marked = page.eval_on_selector_all(".wb-own", "els => els.map(e => e.dataset.field)")
    assert marked == ["shocks.1.allowed"]

    # fewer variants, so the run is short; those extending a dropped one keep their meaning
    for name in DROPPED:
        page.click(f'.wb-tab[data-tab="{name}"]')
        page.click("#wb-drop-variant")
    settled(page, "valid")
    page.screenshot(path=str(ARTIFACTS / "workbench-ja.png"), full_page=True)

    saved = download(page, tmp_path)
    assert saved.name == f"{FLAGSHIP}.yaml"
    assert cli_validate(saved, monkeypatch)["valid"]
    file = open_scenario(saved)
    assert list(file.variants) == ["no-response", "full-response", "tight-quota"]
    base = load_scenario(saved)
    assert [s.type for s in base.shocks] == ["export_ban", "export_quota"]
    assert base.shocks[1].allowed == 0.5 and base.shocks[1].exporter == "CHN"
    assert base.responses.new_capacity[0].capacity == 1000
    assert file.uncertain()[("responses", "new_capacity", 0, "lead_months")] == {
        "dist": "triangular", "low": 12, "mode": 18, "high": 30}  # fmt: skip
    tight = load_scenario(saved, "tight-quota")
    assert tight.shocks[1].allowed == 0.2 and tight.shocks[0] == base.shocks[0]
    assert tight.responses == base.responses
    full = load_scenario(saved, "full-response")
    shipped = load_scenario(FLAGSHIP, "full-response")
    assert full.buffers == shipped.buffers and full.shocks == shipped.shocks
    assert full.responses.new_capacity == shipped.responses.new_capacity

    # run: every variant side by side, each linked to its run page
    page.click("#wb-run")
    page.wait_for_selector("#wb-side", timeout=300_000)
    heads = page.eval_on_selector_all("#wb-side th", "els => els.map(e => e.textContent)")
    assert heads[2:] == ["基本ケース", "対応なし", "全対応", "tight-quota"]  # titles, else the id
    assert page.locator("#wb-side th a[href^='#/run/']").count() == 4
    side = page.inner_text("#wb-side")
    assert "日本" in side and "JPN" not in side
    no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "workbench-run-ja.png"), full_page=True)

    # English: the same builder (the document is kept), every word in English
    page.click("#lang-en")
    ready(page, "/workbench")
    settled(page, "valid")
    text = page.inner_text("#wb-form")
    assert "Export quota" in text and "New capacity (plant)" in text and "Japan" in text
    no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "workbench-en.png"), full_page=True)
    page.click("#wb-side th a >> nth=2")
    ready(page, page.evaluate("location.hash.slice(1)"))
    assert "Full response" in page.inner_text("#run-title")  # the variant by its title

    away = [u for u in requests if not u.startswith((server, "blob:", "data:"))]
    assert away == []


def test_upload_shows_the_files_errors(page, server, tmp_path):  # noqa: F811
    bad = tmp_path / "bad.yaml"
    text = open_scenario(FLAGSHIP).path
    bad.write_text(Path(text).read_text("utf-8").replace("months: 60", "months: 0"), "utf-8")
    page.goto(server + "/#/workbench")
    ready(page, "/workbench")
    page.set_input_files("#wb-upload", str(bad))
    settled(page, "invalid")
    assert "greater than or equal to 1" in page.inner_text('[data-field="months"] .wb-err')
    page.fill('[data-path="months"]', "24")
    settled(page, "valid")
    notyaml = tmp_path / "notyaml.yaml"
    notyaml.write_text("name: [unclosed\n", "utf-8")
    page.set_input_files("#wb-upload", str(notyaml))
    settled(page, "refused")
    assert "not valid YAML" in page.inner_text("#wb-problems")


def test_every_field_of_the_format_has_its_place(page, server):  # noqa: F811
    """One of each shock, buffer and response added to a new scenario: every field the
    scenario classes define (docs/scenario.md) has its field in the form, by path."""
    from typing import get_args

    from oreshock.model import scenario as sc

    page.goto(server + "/#/workbench")
    ready(page, "/workbench")
    page.click("#wb-new")
    shocks = [cls.model_fields["type"].default for cls in get_args(get_args(sc.Shock)[0])]
    for kind in shocks:
        page.select_option("#wb-add-shock", kind)
        page.click("#wb-add-shock-btn")
    for kind in ("stockpiles", "sharing", "recycling", "new_capacity", "substitution"):
        page.click(f"#wb-add-{kind}")
    for part in ("rerouting", "market", "plan"):
        page.check(f"#wb-on-{part}")
    settled(page, "invalid")  # the required fields are empty
    fields = set(page.eval_on_selector_all("[data-field]", "els => els.map(e => e.dataset.field)"))
    expected = {f"shocks.{i}.{f}" for i, kind in enumerate(shocks)
                for cls in get_args(get_args(sc.Shock)[0]) if cls.model_fields["type"].default == kind
                for f in cls.model_fields if f != "type"}  # fmt: skip
    nested = {
        "buffers": sc.Buffers, "buffers.stockpiles.0": sc.Stockpile,
        "responses.sharing.0": sc.Sharing, "responses.rerouting": sc.Rerouting,
        "responses.recycling.0": sc.Recycling, "responses.new_capacity.0": sc.NewCapacity,
        "responses.substitution.0": sc.Substitution, "market": sc.Market, "plan": sc.PlanControl,
    }  # fmt: skip
    for prefix, cls in nested.items():
        expected |= {f"{prefix}.{f}" for f in cls.model_fields if f != "stockpiles"}
    containers = {"shocks", "buffers", "responses", "market", "plan", "variant"}
    expected |= {f for f in sc.Scenario.model_fields if f not in containers}
    assert expected - fields == set(sc.VARIANT_TITLES)  # a variant's, in its tab
    page.fill("#wb-new-variant", "mine")
    page.click("#wb-add-variant")
    page.wait_for_selector('[data-field="variant_title_ja"]')
    page.fill('[data-path="variant_title_ja"]', "自前の案")
    fields = set(page.eval_on_selector_all("[data-field]", "els => els.map(e => e.dataset.field)"))
    assert set(sc.VARIANT_TITLES) <= fields
    no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "workbench-every-field-ja.png"), full_page=True)


def test_every_shipped_scenario_comes_back_as_it_went_in(page, server, tmp_path):  # noqa: F811
    """Loaded into the builder and downloaded untouched, each shipped scenario builds the same
    base and variants with the CLI's loader."""
    from oreshock.model.scenario import shipped_scenarios

    page.goto(server + "/#/workbench")
    ready(page, "/workbench")
    for name in shipped_scenarios():
        page.select_option("#wb-shipped", name)
        page.click("#wb-load")
        settled(page, "valid")
        saved = download(page, tmp_path)
        got, want = open_scenario(saved).scenarios(), open_scenario(name).scenarios()
        assert list(got) == list(want)
        for variant, scenario in want.items():
            assert got[variant].model_dump() == scenario.model_dump(), (name, variant)
            assert open_scenario(saved).uncertain(variant) == open_scenario(name).uncertain(variant)


def test_a_narrow_window_keeps_every_text_in_its_box(page, server):  # noqa: F811
    page.set_viewport_size({"width": 760, "height": 900})
    try:
        for lang in ("ja", "en"):
            page.goto(server + "/#/workbench")
            ready(page, "/workbench")
            page.click(f"#lang-{lang}")
            ready(page, "/workbench")
            page.select_option("#wb-shipped", FLAGSHIP)
            page.click("#wb-load")
            settled(page, "valid")
            page.click('.wb-tab[data-tab="full-response"]')
            no_overflow(page)
            page.screenshot(path=str(ARTIFACTS / f"workbench-narrow-{lang}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
