"""Graphite on the bundled data (issue 12): Korean, Japanese, Indian and Mexican demand,
origin-traced exposure to China, and the shipped scenario graphite-2023. A hypothetical ban on
Korea and Japan runs both short once their commercial stocks are drawn down; rerouting lowers
the loss; licensing from December 2023 hits importers for a few months. Figures and sources:
docs/sources/graphite.md."""

from __future__ import annotations

import numpy as np
import pytest

from oreshock.core.months import month_index
from oreshock.model.metrics import exposure
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate

SCENARIO = "graphite-2023"
START = "2023-12"
BAN = "2025-01"


@pytest.fixture(scope="module")
def runs(network):
    file = open_scenario(SCENARIO)
    return {
        v: simulate(network, file.build(v), warn=False)
        for v in (
            "licensing",
            "licensing-stockpiles",
            "korea-japan-ban",
            "korea-japan-ban-rerouting",
        )
    }


def _row(result, country: str) -> dict:
    (row,) = [
        r
        for r in result.summary_records()
        if r["country"] == country and r["mineral"] == "graphite" and r["stage"] == "refining"
    ]
    return row


def _path(result, country: str, variable: str) -> np.ndarray:
    run = result.runs["graphite"]
    c = run.chain.index(country)
    s = run.chain.stages.index("refining")
    return np.asarray(run.series[variable][:, 0, c, s])


def test_demand_by_country_keeps_the_world_total(dataset):
    demand = dataset.table("demand")
    rows = demand[(demand["mineral"] == "graphite") & (demand["stage"] == "refining")]
    assert {"CHN", "XEU", "USA", "KOR", "JPN", "IND", "MEX", "OTH"} <= set(rows["iso3"])
    assert (rows["value"] > 0).all()
    production = dataset.table("production")
    world = production[
        (production["mineral"] == "graphite")
        & (production["stage"] == "refining")
        & (production["iso3"] == "WLD")
    ]
    assert rows["value"].sum() == pytest.approx(float(world["value"].iloc[0]))


def test_trade_matches_demand_times_share(dataset):
    """The pinned CHN->KOR and CHN->JPN flows are the importer's demand x China's share."""
    demand = dataset.table("demand")
    shares = dataset.table("import_shares")
    trade = dataset.table("trade")
    for country in ("KOR", "JPN"):
        d = float(
            demand[(demand["mineral"] == "graphite") & (demand["iso3"] == country)]["value"].iloc[0]
        )
        s = float(
            shares[
                (shares["mineral"] == "graphite")
                & (shares["importer"] == country)
                & (shares["exporter"] == "CHN")
            ]["share"].iloc[0]
        )
        f = float(
            trade[
                (trade["mineral"] == "graphite")
                & (trade["exporter"] == "CHN")
                & (trade["importer"] == country)
            ]["value"].iloc[0]
        )
        assert f == pytest.approx(d * s, rel=1e-3), country


@pytest.mark.parametrize("country", ["KOR", "JPN"])
def test_china_origin_exposure_above_half(network, country):
    e = exposure(network, country, "graphite", "refining", "CHN")
    assert 0.5 < e.total_share <= 1


def test_baseline_has_no_graphite_shortfall(network):
    result = simulate(network, open_scenario("baseline").build(None), warn=False)
    rows = [r for r in result.summary_records() if r["mineral"] == "graphite"]
    assert rows
    for r in rows:
        assert r["cumulative_shortfall_pct"] == 0, r
        assert r["months_to_shortfall"] is None, r


@pytest.mark.parametrize("country", ["KOR", "JPN"])
def test_korea_japan_ban_runs_both_short_after_their_stocks(runs, country):
    """From January 2025 no Chinese graphite reaches Korea or Japan: commercial stocks (2
    months, assumed) carry them briefly, then they are short within six months of the ban and
    lose more than a fifth of demand over the horizon."""
    result = runs["korea-japan-ban"]
    ban = month_index(START, BAN)
    row = _row(result, country)
    assert row["months_to_shortfall"] is not None
    assert ban <= row["months_to_shortfall"] <= ban + 6
    assert row["cumulative_shortfall_pct"] > 20
    stock = _path(result, country, "stock")
    assert stock[ban + 1] < stock[ban - 1]  # the buffer is drawn first
    assert _path(result, country, "shortfall")[:ban].sum() == 0


def test_ban_hits_only_its_targets(runs):
    for r in runs["korea-japan-ban"].summary_records():
        if r["mineral"] == "graphite" and r["country"] not in ("KOR", "JPN"):
            assert r["cumulative_shortfall_pct"] == 0, r


@pytest.mark.parametrize("country", ["KOR", "JPN"])
def test_rerouting_lowers_the_ban_shortfall(runs, country):
    plain = _row(runs["korea-japan-ban"], country)["cumulative_shortfall_pct"]
    rerouted = _row(runs["korea-japan-ban-rerouting"], country)["cumulative_shortfall_pct"]
    assert 0 < rerouted < plain


def test_licensing_hits_importers_and_korea_stockpile_covers_korea(runs):
    """Licensing cuts China's exports to a quarter for three months: Korea and Japan run short
    of graphite; Korea's released national stockpile covers Korea, not Japan."""
    plain, held = runs["licensing"], runs["licensing-stockpiles"]
    for country in ("KOR", "JPN"):
        row = _row(plain, country)
        assert row["months_to_shortfall"] is not None and row["cumulative_shortfall_pct"] > 0
    assert _row(held, "KOR")["months_to_shortfall"] is None
    assert (
        _row(held, "KOR")["cumulative_shortfall_pct"]
        < 0.1 * _row(plain, "KOR")["cumulative_shortfall_pct"]
    )
    japan = _row(held, "JPN")  # Korea's stockpile is not Japan's: Japan stays short
    assert japan["months_to_shortfall"] is not None
    assert japan["cumulative_shortfall_pct"] >= 0.9 * _row(plain, "JPN")["cumulative_shortfall_pct"]
