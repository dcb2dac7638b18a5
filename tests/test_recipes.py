"""Rare earths by element group and magnet grade: products of a family joined by recipes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from oreshock.core.errors import ScenarioError
from oreshock.data.datasets import bundled_path
from oreshock.model.network import origin_composition
from oreshock.model.scenario import Scenario, open_scenario
from oreshock.model.simulate import simulate
from oreshock.testing.helpers import assert_mass_balance, assert_no_negative

FLAGSHIP = open_scenario("japan-rare-earths-2026")
APRIL_2025 = ["Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"]


def _japan_total(result, mineral: str, variable: str = "shortfall") -> float:
    run = result.runs[mineral]
    return float(run.series[variable][:, 0, run.chain.index("JPN")].sum())


def test_rare_earths_run_as_element_groups_and_magnet_grades(network):
    products = set(network.products("rare_earths"))
    assert "rare_earths" not in network.chains
    assert {"ree_ndpr", "ree_dytb", "ree_sm", "ree_lace", "ree_y", "ree_other"} <= products
    assert {"ndfeb_dytb", "ndfeb_plain"} <= products
    assert set(network.chains["ree_dytb"].elements) == {"Dy", "Tb"}
    # Chains joined by a recipe share one country axis, so origins pass between them.
    assert network.chains["ndfeb_dytb"].countries == network.chains["ree_dytb"].countries


def test_products_add_up_to_the_family(network, dataset):
    """Products split the family's sourced output; rows a product has of its own (Lynas's
    NdPr capacity, samarium metal for SmCo) come on top."""
    production = dataset.table("production")
    production = production[production["iso3"] != "WLD"]
    own = pd.read_csv(bundled_path() / "production.csv")
    products = network.products("rare_earths")
    for stage in ("mining", "separation", "metal", "magnets"):
        family = production[
            (production["mineral"] == "rare_earths") & (production["stage"] == stage)
        ]
        family = family[family["year"] == family["year"].max()]
        extra = own[
            own["mineral"].isin(products) & (own["stage"] == stage) & (own["iso3"] != "WLD")
        ]
        parts = sum(
            float(chain.production[:, chain.stages.index(stage)].sum())
            for chain in (network.chains[p] for p in products)
            if stage in chain.stages
        )
        assert parts == pytest.approx(family["value"].sum() + extra["value"].sum(), rel=1e-6), stage


def test_baseline_is_steady_with_recipes(network):
    result = simulate(network, Scenario(name="baseline", months=12, minerals=["rare_earths"]))
    for mineral, run in result.runs.items():
        scale = max(run.chain.production.max(), 1.0)
        assert np.abs(run.series["shortfall"]).max() <= 1e-9 * scale, mineral
    assert_mass_balance(result)


def test_recipe_stage_consumes_its_inputs_in_the_stated_proportions(network):
    """Independent check on the exported series: where an input has no final use of its own,
    what it consumed each month equals the recipes' output x quantity."""
    result = simulate(network, FLAGSHIP.build("heavy-elements-control"))
    checked = 0
    for source in ("ree_ndpr", "ree_dytb"):
        run = result.runs[source]
        s = run.chain.stages.index("metal")
        expected = np.zeros_like(run.series["consumption"][:, :, :, s])
        for product in ("ndfeb_dytb", "ndfeb_plain"):
            made = result.runs[product].series["production"][:, :, :, 0]
            for item in network.chains[product].recipe:
                if item.mineral == source:
                    expected += made * item.quantity
        no_final = run.chain.final_use[:, s] <= 0
        got = run.series["consumption"][:, :, no_final, s]
        np.testing.assert_allclose(got, expected[:, :, no_final], rtol=1e-9, atol=1e-6)
        checked += int(no_final.sum())
    assert checked > 0


def test_dytb_control_stops_high_grade_magnets_and_not_the_others(network):
    result = simulate(network, FLAGSHIP.build("heavy-elements-control"))
    assert_mass_balance(result)
    assert_no_negative(result)
    assert _japan_total(result, "ree_dytb") > 0
    assert _japan_total(result, "ndfeb_dytb") > 0
    high = result.runs["ndfeb_dytb"]
    j = high.chain.index("JPN")
    made = high.series["production"][:, 0, j, 0]
    assert made.min() < made[0] or made[0] < high.chain.production[j, 0] / 12
    for untouched in ("ndfeb_plain", "ree_ndpr", "ree_lace"):
        assert _japan_total(result, untouched) <= 1e-9 * _japan_total(
            result, untouched, "demand"
        ), untouched


@pytest.mark.parametrize("product", ["ree_dytb", "ndfeb_dytb", "ree_ndpr", "ndfeb_plain"])
def test_tighter_ban_never_lowers_shortfall_per_product(network, product):
    shortfalls = []
    for share in (0.25, 0.5, 1.0):
        scenario = FLAGSHIP.build("no-response", {("shocks", 0, "share"): share, ("months",): 24})
        shortfalls.append(_japan_total(simulate(network, scenario), product))
    assert all(b >= a - 1e-6 * max(shortfalls[-1], 1.0) for a, b in pairwise(shortfalls))


def test_japan_ndpr_origin_follows_the_offtakes(network):
    """Lynas's NdPr oxide feeds the Japanese-owned metal plants in Vietnam as a published
    flow, so Vietnam's NdPr metal carries no Chinese origin and Japan's NdPr metal is far less
    Chinese than the family's all-rare-earth import share (70%, JOGMEC) says."""
    chain = network.chains["ree_ndpr"]
    sep, metal = chain.stages.index("separation"), chain.stages.index("metal")
    j, vnm, mys, chn = (chain.index(c) for c in ("JPN", "VNM", "MYS", "CHN"))
    assert chain.trade[sep, mys, vnm] > 0
    assert chain.trade[sep, chn, vnm] == 0
    composition = origin_composition(chain)
    assert composition[metal, vnm, chn] < 0.01
    assert composition[metal, j, chn] < 0.5


def test_unknown_element_is_an_error_naming_the_field(network):
    scenario = Scenario(
        name="typo",
        months=6,
        shocks=[
            {
                "type": "export_ban",
                "exporter": "CHN",
                "destinations": ["JPN"],
                "elements": ["Dz"],
                "start": "2026-01",
            }
        ],
    )
    with pytest.raises(ScenarioError, match=r"elements.*Dz"):
        simulate(network, scenario)


def test_elements_name_the_products_that_carry_them(network):
    scenario = Scenario(
        name="dy-only",
        months=12,
        minerals=["rare_earths"],
        shocks=[
            {
                "type": "export_ban",
                "exporter": "CHN",
                "destinations": ["JPN"],
                "elements": ["Dy"],
                "start": "2026-01",
            }
        ],
    )
    result = simulate(network, scenario, warn=False)
    assert _japan_total(result, "ree_lace") == 0
    assert _japan_total(result, "ree_dytb") > 0
