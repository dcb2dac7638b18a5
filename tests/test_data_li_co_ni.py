"""Lithium, cobalt and nickel on the bundled data (issue 12): refining-stage demand for Japan,
Korea, the US, the EU, India and Mexico, world totals kept at USGS world output, Korea's
lithium reaching it from China (customs flows and the MOTIE/KOMIR import share), and a Chinese
export ban on Korea running Korea short of lithium. Figures and sources:
docs/sources/li-co-ni.md."""

from __future__ import annotations

import pytest

from oreshock.model.metrics import exposure
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate

MINERALS = ("lithium", "cobalt", "nickel")
COUNTRIES = ("JPN", "KOR", "USA", "XEU", "IND", "MEX")
# USGS MCS 2025 world mine output 2024, the world total each mineral's demand adds up to.
WORLD = {"lithium": 240_000, "cobalt": 290_000, "nickel": 3_700_000}
START = "2026-01"
BAN = "2026-03"


def _demand(dataset, mineral: str):
    demand = dataset.table("demand")
    return demand[
        (demand["mineral"] == mineral) & (demand["stage"] == "refining") & (demand["year"] == 2024)
    ]


def _row(result, country: str, mineral: str) -> dict:
    (row,) = [
        r
        for r in result.summary_records()
        if r["country"] == country and r["mineral"] == mineral and r["stage"] == "refining"
    ]
    return row


@pytest.fixture(scope="module")
def korea_ban(network):
    scenario = Scenario(
        name="korea-lithium-ban",
        start=START,
        months=24,
        minerals=["lithium"],
        shocks=[
            {
                "type": "export_ban",
                "exporter": "CHN",
                "destinations": ["KOR"],
                "minerals": ["lithium"],
                "start": BAN,
            }
        ],
    )
    return simulate(network, scenario, warn=False)


@pytest.mark.parametrize("mineral", MINERALS)
def test_every_country_has_demand(dataset, mineral):
    rows = _demand(dataset, mineral)
    assert set(COUNTRIES) <= set(rows["iso3"]), mineral
    assert (rows["value"] > 0).all()
    for country in COUNTRIES:
        (method,) = rows.loc[rows["iso3"] == country, "method"]
        assert method.strip(), (mineral, country)


@pytest.mark.parametrize("mineral", MINERALS)
def test_world_total_is_unchanged(dataset, mineral):
    rows = _demand(dataset, mineral)
    assert float(rows["value"].sum()) == pytest.approx(WORLD[mineral], abs=1e-6)
    production = dataset.table("production")
    world = production[
        (production["mineral"] == mineral)
        & (production["iso3"] == "WLD")
        & (production["year"] == 2024)
    ]
    assert float(world["value"].iloc[0]) == WORLD[mineral]
    # The OTH row states the remainder arithmetic.
    (oth,) = rows.loc[rows["iso3"] == "OTH", "method"]
    assert "Remainder" in oth and f"{WORLD[mineral]:,}" in oth


def test_reported_figures(dataset):
    li = _demand(dataset, "lithium").set_index("iso3")["value"]
    co = _demand(dataset, "cobalt").set_index("iso3")["value"]
    ni = _demand(dataset, "nickel").set_index("iso3")["value"]
    # Korean and Japanese customs, gross weight x Li share of Li2CO3 / LiOH.H2O.
    assert li["KOR"] == round(26_965 * 0.1879 + 101_447 * 0.1654)
    assert li["JPN"] == round(11_520 * 0.1879 + 37_640 * 0.1654)
    # USGS: US net lithium imports 1,600 t, net import reliance >50%: midpoint of 1,600-3,200.
    assert li["USA"] == 2_400
    # USGS: US apparent cobalt consumption 8,500 less 2,000 secondary; primary nickel 84,000.
    assert co["USA"] == 6_500
    assert ni["USA"] == 84_000
    # China's figures are unchanged.
    assert li["CHN"] == 141_600 and co["CHN"] == 171_100 and ni["CHN"] == 2_360_600


def test_import_shares_sum_to_one(dataset):
    shares = dataset.table("import_shares")
    for mineral, importer in (("lithium", "KOR"), ("lithium", "JPN"), ("cobalt", "KOR")):
        rows = shares[(shares["mineral"] == mineral) & (shares["importer"] == importer)]
        for _, year in rows.groupby("year"):
            assert float(year["share"].sum()) == pytest.approx(1.0)
        assert float(rows.loc[rows["exporter"] == "CHN", "share"].max()) > 0.5


@pytest.mark.parametrize(
    ("country", "mineral"), [("KOR", "lithium"), ("JPN", "lithium"), ("KOR", "cobalt")]
)
def test_china_origin_follows_the_import_share(network, dataset, country, mineral):
    shares = dataset.table("import_shares")
    (share,) = shares.loc[
        (shares["mineral"] == mineral)
        & (shares["importer"] == country)
        & (shares["exporter"] == "CHN"),
        "share",
    ]
    assert share > 0.5
    e = exposure(network, country, mineral, "refining", "CHN")
    assert 0.5 < e.total_share <= 1


def test_baseline_has_no_shortfall(network):
    result = simulate(
        network, Scenario(name="baseline", months=24, minerals=list(MINERALS)), warn=False
    )
    for r in result.summary_records():
        assert r["cumulative_shortfall_pct"] == 0, r


def test_china_ban_on_korea_runs_korea_short_of_lithium(korea_ban):
    korea = _row(korea_ban, "KOR", "lithium")
    assert korea["months_to_shortfall"] is not None
    # Korea's commercial stocks carry it past the start of the ban.
    assert korea["months_to_shortfall"] > 2
    assert korea["cumulative_shortfall_pct"] > 10
    assert korea["peak_shortfall_pct"] > 25
    run = korea_ban.runs["lithium"]
    k = run.chain.index("KOR")
    s = run.chain.stages.index("refining")
    shortfall = run.series["shortfall"][:, 0, k, s]
    assert shortfall[:2].sum() == 0  # nothing before the ban
    for r in korea_ban.summary_records():
        if r["country"] != "KOR":
            assert r["cumulative_shortfall_pct"] == 0, r
