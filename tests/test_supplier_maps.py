"""The trade-flow maps before and after: where a country's supply comes from, by shipping
country, in the base year and in the run's last month, named in the reader's language."""

from __future__ import annotations

import re

import pytest

from oreshock import Store, simulate
from oreshock.model.scenario import open_scenario
from oreshock.report.builder import report_data

LABEL = re.compile(r'class="map-label"[^>]*>([^<]+)<')


@pytest.fixture(scope="module")
def figures(network, tmp_path_factory):
    """The report figures of the flagship's re-export control, in Japanese and English."""
    result = simulate(network, open_scenario("japan-rare-earths-2026").build("reexport-control"))
    db = tmp_path_factory.mktemp("maps") / "r.duckdb"
    with Store(db) as store:
        run_id = store.save_run(result)
        return {lang: report_data(store, run_id, lang)["figures"] for lang in ("ja", "en")}


@pytest.mark.parametrize(("lang", "china"), [("ja", "中国"), ("en", "China")])
def test_china_supplies_before_and_not_after_a_reexport_control(figures, lang, china):
    shown = {f["id"]: f for f in figures[lang]}
    before, after = shown["suppliers-before-JPN"], shown["suppliers-after-JPN"]
    first, last = LABEL.findall(before["svg"]), LABEL.findall(after["svg"])
    assert any(label.startswith(china) for label in first), first
    assert not any(label.startswith(china) for label in last), last
    assert "JPN" not in before["title"] + after["title"] and "CHN" not in "".join(first + last)
    assert ("2030" in after["title"]) and ("2030" not in before["title"])
