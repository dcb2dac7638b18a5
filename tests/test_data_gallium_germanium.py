"""Gallium and germanium on the bundled data (issue 12): demand by country, origin-traced
exposure to China, and the shipped scenario gallium-germanium-2023. A gallium ban on the US
and a germanium ban on the EU each run the target short after its commercial stocks (the
reported buffer) are drawn down; Japan's and Korea's stockpiles cover most of the licensing
gap. Figures and sources: docs/sources/gallium-germanium.md."""

from __future__ import annotations

import numpy as np
import pytest

from oreshock.core.months import month_index
from oreshock.model.metrics import exposure
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate

SCENARIO = "gallium-germanium-2023"
MINERALS = ("gallium", "germanium")
START = "2023-08"


@pytest.fixture(scope="module")
def runs(network):
    file = open_scenario(SCENARIO)
    return {
        v: simulate(network, file.build(v), warn=False)
        for v in ("licensing", "licensing-stockpiles", "us-ban", "eu-germanium-ban")
    }


def _row(result, country: str, mineral: str) -> dict:
    (row,) = [
        r
        for r in result.summary_records()
        if r["country"] == country and r["mineral"] == mineral and r["stage"] == "refining"
    ]
    return row


def _path(result, country: str, mineral: str, variable: str) -> np.ndarray:
    run = result.runs[mineral]
    c = run.chain.index(country)
    s = run.chain.stages.index("refining")
    return np.asarray(run.series[variable][:, 0, c, s])


def test_demand_by_country(dataset):
    demand = dataset.table("demand")
    for mineral in MINERALS:
        rows = demand[(demand["mineral"] == mineral) & (demand["stage"] == "refining")]
        assert {"USA", "JPN", "KOR", "XEU", "CHN"} <= set(rows["iso3"]), mineral
        assert (rows["value"] > 0).all()
    gallium = demand[demand["mineral"] == "gallium"]
    # China's own use is its output less its customs exports (750,000 - 69,440 kg).
    assert float(gallium.loc[gallium["iso3"] == "CHN", "value"].iloc[0]) == 680560


@pytest.mark.parametrize(
    ("country", "mineral"),
    [
        ("USA", "gallium"),
        ("JPN", "gallium"),
        ("KOR", "gallium"),
        ("XEU", "gallium"),
        ("USA", "germanium"),
        ("XEU", "germanium"),
    ],
)
def test_china_origin_exposure_is_positive(network, country, mineral):
    e = exposure(network, country, mineral, "refining", "CHN")
    assert 0 < e.total_share <= 1


def test_baseline_has_no_shortfall(network):
    result = simulate(network, open_scenario("baseline").build(None), warn=False)
    for r in result.summary_records():
        if r["mineral"] in MINERALS:
            assert r["cumulative_shortfall_pct"] == 0, r


def test_us_gallium_ban_runs_the_us_short_after_its_stocks(runs):
    """From December 2024 no Chinese gallium reaches the US directly: commercial stocks (2
    months, assumed) carry it for a while, then it is short; nobody else is hit."""
    result = runs["us-ban"]
    ban = month_index(START, "2024-12")
    for mineral in MINERALS:
        row = _row(result, "USA", mineral)
        assert row["months_to_shortfall"] is not None and row["months_to_shortfall"] > ban
        assert row["cumulative_shortfall_pct"] > 0
        stock = _path(result, "USA", mineral, "stock")
        assert stock[ban + 1] < stock[ban - 1]  # the buffer is drawn first
        shortfall = _path(result, "USA", mineral, "shortfall")
        assert shortfall[:ban].sum() == 0
    for r in result.summary_records():
        if r["country"] != "USA" and r["mineral"] in MINERALS:
            assert r["cumulative_shortfall_pct"] == 0, r


def test_eu_germanium_ban_runs_the_eu_short_after_its_stocks(runs):
    result = runs["eu-germanium-ban"]
    ban = month_index(START, "2024-12")
    row = _row(result, "XEU", "germanium")
    assert row["months_to_shortfall"] is not None and row["months_to_shortfall"] > ban
    assert row["cumulative_shortfall_pct"] > 5
    stock = _path(result, "XEU", "germanium", "stock")
    assert stock[ban + 1] < stock[ban - 1]
    assert _row(result, "XEU", "gallium")["cumulative_shortfall_pct"] == 0


def test_licensing_hits_importers_and_stockpiles_cover_korea(runs):
    """Licensing stops China's exports for two months: Japan, Korea and the EU run short of
    gallium; released national stockpiles cover Korea and most of Japan's gap."""
    plain, held = runs["licensing"], runs["licensing-stockpiles"]
    for country in ("JPN", "KOR", "XEU", "USA"):
        assert _row(plain, country, "gallium")["cumulative_shortfall_pct"] > 0
    korea = _row(held, "KOR", "gallium")
    assert korea["months_to_shortfall"] is None  # never short by more than 1% of demand
    for country in ("JPN", "KOR"):
        assert (
            _row(held, country, "gallium")["cumulative_shortfall_pct"]
            < 0.1 * _row(plain, country, "gallium")["cumulative_shortfall_pct"]
        )
