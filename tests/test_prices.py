"""Prices by region and licence mechanics: the base year prices nothing, a control splits the
market in two, held licence orders ship when approved, and an old setting is refused."""

from __future__ import annotations

import numpy as np
import pytest

from oreshock.core.errors import ScenarioError
from oreshock.model.compile import licensed_share
from oreshock.model.prices import REGIONS
from oreshock.model.scenario import Licensing, Scenario, load_scenario
from oreshock.model.simulate import simulate

BAN = {"type": "export_ban", "exporter": "CHN", "destinations": ["JPN"], "start": "2026-03"}


def _run(network, shocks, months=18):
    scenario = Scenario(
        name="prices",
        months=months,
        minerals=["rare_earths"],
        buffers={"commercial_stocks": True},
        shocks=shocks,
    )
    return simulate(network, scenario, warn=False)


def test_no_shock_leaves_every_price_at_its_base(network):
    result = _run(network, [])
    for run in result.runs.values():
        np.testing.assert_allclose(run.price, 1.0, atol=1e-9)


def test_a_ban_raises_the_price_outside_china_and_lowers_it_inside(network):
    """Blocked exports stay in China (its cover rises, its price falls); Japan draws its
    stocks and then goes short (the price outside China rises)."""
    run = _run(network, [BAN]).runs["ndfeb_dytb"]
    inside = run.price[:, 0, REGIONS.index("CHN"), 0]
    outside = run.price[:, 0, REGIONS.index("ROW"), 0]
    assert inside[:2] == pytest.approx(1.0) and outside[:2] == pytest.approx(1.0)
    assert outside.max() > 1.1 and inside.min() < 1.0
    assert (inside <= 1.0 + 1e-9).all()


def test_usd_prices_are_the_index_times_the_base_price(network):
    result = _run(network, [BAN], months=6)
    prices = result.prices()
    row = prices[(prices["mineral"] == "ndfeb_dytb") & (prices["region"] == "ROW")].reset_index(
        drop=True
    )
    np.testing.assert_allclose(row["price_usd_kg"], row["price_index"] * 66.75)
    lace_mining = prices[(prices["mineral"] == "ree_lace") & (prices["stage"] == "mining")]
    assert lace_mining["price_usd_kg"].isna().all()  # no mining price in the dataset


def test_held_orders_ship_when_approved():
    """Review of two months, then half the pending orders a month; the end releases the rest."""
    shock = Licensing(
        exporter="CHN",
        start="2026-03",
        end="2026-07",
        review_months=2,
        approval=[0.5],
        stock_building_months=1,
        stock_building_share=0.5,
    )
    shares = licensed_share(shock, 2, 6, 12)
    assert shares[1] == 1.5  # stock building the month before
    assert shares[2] == 0.0 and shares[3] == 0.0  # the review
    assert shares[4] == pytest.approx(0.5 * 3)  # half of three months of orders
    assert shares[5] == pytest.approx(0.5 * (1 + 1.5))
    assert shares[6] == pytest.approx(1 + 1.25)  # every held order at the end
    # Over the whole span as much ships as without the control, plus the month built ahead.
    assert sum(shares.values()) == pytest.approx(1.5 + 5.0)


def test_licensing_catches_up_from_the_exporters_stock(network):
    """Japan's imports from China stop during the review and exceed the base after it; the
    exporter never ships more than it holds (stocks stay non-negative)."""
    shock = {
        "type": "licensing",
        "exporter": "CHN",
        "destinations": ["JPN"],
        "start": "2026-03",
        "end": "2026-06",
        "review_months": 2,
        "approval": [0.3],
    }
    result = _run(network, [shock], months=9)
    flows = result.flows()
    route = flows[(flows["exporter"] == "CHN") & (flows["importer"] == "JPN")]
    monthly = route.groupby(route["month"].dt.strftime("%Y-%m"))["value"].sum()
    base = monthly["2026-01"]
    assert monthly.get("2026-03", 0.0) == pytest.approx(0.0, abs=1e-9)
    assert monthly["2026-06"] > 1.5 * base  # the held orders
    for run in result.runs.values():
        assert (run.series["stock"] >= -1e-9).all()


def test_the_old_linear_index_setting_is_refused(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("name: x\nmarket:\n  sensitivity: 3.0\n", "utf-8")
    with pytest.raises(ScenarioError, match="sensitivity is no longer a market setting"):
        load_scenario(path)
