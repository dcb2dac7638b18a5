"""Reports say names, not ids, in the reader's language: no mineral, stage or country code of
the dataset in the text of the Japanese or English report of the flagship, an assumptions
table with named parameters, units and ranges, and no float noise anywhere a person reads."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from oreshock import Store
from oreshock.model.variants import run_variants
from oreshock.report.assumptions import number
from oreshock.report.builder import write_report

FLAGSHIP = "japan-rare-earths-2026"
NOISE = re.compile(r"\d\.\d{7,}|\d\.\d*(?:0{5,}|9{5,})\d")  # 0.060000000000000005, 2.9999999


class Text(HTMLParser):
    """What a person reads of a page, by section: element text (SVG text and tooltips
    included), not attributes, styles or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.by_section: dict[str, list[str]] = {}
        self.section = "head"
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script"):
            self.hidden += 1
        if tag == "section":
            self.section = dict(attrs).get("id") or "?"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.by_section.setdefault(self.section, []).append(data.strip())


def page_text(html: str) -> dict[str, str]:
    parser = Text()
    parser.feed(html)
    return {k: "\n".join(v) for k, v in parser.by_section.items()}


@pytest.fixture(scope="module")
def reports(tmp_path_factory, network) -> dict[tuple[str, str], dict[str, str]]:
    """Text of the base case and the full response of the flagship, in ja and en."""
    folder = tmp_path_factory.mktemp("names")
    db = folder / "runs.duckdb"
    results = run_variants(FLAGSHIP, network, variants=[None, "reexport-control", "full-response"])
    with Store(db) as store:
        ids = {r.scenario.variant or "base": store.save_run(r) for r in results}
    out = {}
    for case in ("base", "full-response"):
        for lang in ("ja", "en"):
            page = write_report(ids[case], folder / f"{case}-{lang}.html", lang=lang, db_path=db)
            out[(case, lang)] = page_text(Path(page).read_text("utf-8"))
    return out


def _ids(dataset) -> tuple[set[str], set[str], set[str]]:
    minerals = set(dataset.table("minerals")["mineral"])
    stages = set(dataset.table("stages")["stage"])
    countries = set(dataset.table("countries")["iso3"])
    return minerals, stages, countries


@pytest.mark.parametrize("case", ["base", "full-response"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_dataset_ids_in_the_text(reports, dataset, case, lang):
    minerals, stages, countries = _ids(dataset)
    sections = reports[(case, lang)]
    # Source titles are cited as published; the run's provenance names the dataset's files.
    text = "\n".join(v for k, v in sections.items() if k not in ("sources", "provenance"))
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))
    # In English, "separation" and "copper" are words too; ids with "_" never are.
    ids = minerals | stages if lang == "ja" else {i for i in minerals | stages if "_" in i}
    assert not sorted(words & ids), sorted(words & ids)
    assert not sorted(words & countries), sorted(words & countries)
    assert "日本" in text if lang == "ja" else "Japan" in text


@pytest.mark.parametrize("case", ["base", "full-response"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_float_noise_anywhere(reports, case, lang):
    for section, text in reports[(case, lang)].items():
        assert not NOISE.findall(text), (section, NOISE.findall(text)[:5])


def test_assumptions_are_a_named_table_in_the_readers_language(reports):
    ja = reports[("full-response", "ja")]["assumptions"]
    en = reports[("full-response", "en")]["assumptions"]
    assert "{" not in ja and "{" not in en  # no raw JSON
    english_keys = re.findall(r"\b[a-z]+_[a-z_]+\b", ja)
    assert not english_keys, english_keys
    # the recycling rate: 6% as run, sampled from 2-10% by ensembles (the scenario file)
    assert "リサイクルで賄う使用量の割合（立ち上げ後）\n6%\n2% – 10%" in ja
    assert "Recycled share of use (at full ramp)\n6%\n2% – 10%" in en
    assert "Lead time\n24 months\n18 months – 36 months" in en
    assert "Price elasticity of final use\n0.28\n" in en
    assert "日本の国家備蓄" in ja and "National stockpile of Japan" in en


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.060000000000000005, "0.06"),
        (6.000000000000001, "6"),
        (9000.0, "9,000"),
        (0.28, "0.28"),
        (2.9999999, "3"),
        (123456.7, "123,457"),
        (0.000123456, "0.000123"),
        (-1.25, "-1.25"),
    ],
)
def test_numbers_have_sensible_significant_digits(value, shown):
    assert number(value) == shown


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_variants_are_named_by_their_titles(reports, lang):
    """The variants compared (their sentences, the overlaid charts' legends) read by their
    titles in the report's language; ids stay only in the run's provenance."""
    sections = reports[("full-response", lang)]
    text = "\n".join(v for k, v in sections.items() if k != "provenance")
    titles = {
        "ja": ("全対応", "第三国経由の再輸出も規制"),
        "en": ("Full response", "Re-export control"),
    }
    assert all(title in text for title in titles[lang]), titles[lang]
    assert "full-response" not in text and "reexport-control" not in text
