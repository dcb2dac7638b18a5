"""Invariants checked on every kind of run: balance, signs, determinism, baseline, monotonicity."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from oreshock.model.scenario import Scenario, open_scenario
from oreshock.model.simulate import simulate
from oreshock.testing.helpers import assert_mass_balance, assert_no_negative

FLAGSHIP = open_scenario("japan-rare-earths-2026")


def _japan(result, stage):
    summary = result.summary(["JPN"])
    return summary[summary["stage"] == stage].iloc[0]


def test_baseline_reproduces_base_year_everywhere(network):
    result = simulate(network, Scenario(name="baseline", months=24))
    for mineral, run in result.runs.items():
        chain = run.chain
        s = run.series
        scale = max(chain.production.max(), 1.0)
        assert np.abs(s["shortfall"]).max() <= 1e-9 * scale, mineral
        np.testing.assert_allclose(
            s["production"][:, 0],
            np.broadcast_to(chain.production / 12, s["production"][:, 0].shape),
            atol=1e-9 * scale,
        )
        np.testing.assert_allclose(
            s["consumption"][:, 0],
            np.broadcast_to(chain.consumption / 12, s["consumption"][:, 0].shape),
            atol=1e-9 * scale,
        )
        np.testing.assert_allclose(
            s["stock"][:, 0],
            np.broadcast_to(chain.stocks, s["stock"][:, 0].shape),
            atol=1e-9 * scale,
        )
        np.testing.assert_allclose(
            run.flows.sum(axis=(0, 4)) / 24, chain.trade / 12, atol=1e-9 * scale
        )
    assert_mass_balance(result)


@pytest.mark.parametrize("variant", list(FLAGSHIP.variants))
def test_flagship_variants_balance_and_stay_non_negative(network, variant):
    result = simulate(network, FLAGSHIP.build(variant))
    assert_mass_balance(result)
    assert_no_negative(result)
    summary = result.summary()
    short = summary["peak_shortfall_pct"]
    assert (short >= -1e-9).all() and (short <= 100 + 1e-9).all()


def test_deterministic(network):
    a = simulate(network, FLAGSHIP.build("full-response"))
    b = simulate(network, FLAGSHIP.build("full-response"))
    for mineral in a.runs:
        for name in a.runs[mineral].series:
            np.testing.assert_array_equal(
                a.runs[mineral].series[name], b.runs[mineral].series[name]
            )


def test_ban_cuts_japan_and_reexport_control_cuts_deeper(network):
    base = simulate(network, FLAGSHIP.build("no-response"))
    control = simulate(network, FLAGSHIP.build("reexport-control"))
    assert _japan(base, "separation")["months_to_shortfall"] is not None
    for stage in ("separation", "metal", "magnets"):
        assert (
            _japan(control, stage)["cumulative_shortfall_pct"]
            >= _japan(base, stage)["cumulative_shortfall_pct"] - 1e-9
        )


def test_tighter_ban_never_lowers_shortfall(network):
    shortfalls = []
    for share in (0.25, 0.5, 0.75, 1.0):
        scenario = FLAGSHIP.build("no-response", {("shocks", 0, "share"): share, ("months",): 24})
        result = simulate(network, scenario)
        total = 0.0
        for product in network.products("rare_earths"):
            run = result.runs[product]
            total += run.series["shortfall"][:, 0, run.chain.index("JPN")].sum()
        shortfalls.append(total)
    assert all(b >= a - 1e-9 for a, b in pairwise(shortfalls))
    assert shortfalls[-1] > shortfalls[0]


def test_stockpile_never_brings_first_shortfall_earlier(network):
    without = simulate(network, FLAGSHIP.build("reexport-control")).summary(["JPN"])
    with_pile = simulate(network, FLAGSHIP.build("stockpiles")).summary(["JPN"])
    for (_, a), (_, b) in zip(without.iterrows(), with_pile.iterrows(), strict=True):
        first_a = np.inf if pd.isna(a["months_to_shortfall"]) else a["months_to_shortfall"]
        first_b = np.inf if pd.isna(b["months_to_shortfall"]) else b["months_to_shortfall"]
        assert first_b >= first_a
        assert b["cumulative_shortfall_pct"] <= a["cumulative_shortfall_pct"] + 1e-9


def test_whole_dataset_run_balances(network):
    # Every chain is shocked, including some the data do not cover (an outage of China's
    # chromite mining, which the data give no production): balance must hold regardless.
    result = simulate(
        network,
        Scenario(
            name="surge",
            months=12,
            shocks=[
                {"type": "demand_surge", "factor": 1.5, "start": "2026-03"},
                {
                    "type": "outage",
                    "country": "CHN",
                    "share": 0.5,
                    "start": "2026-02",
                    "end": "2026-06",
                },
            ],
        ),
        warn=False,
    )
    assert len(result.runs) == len(network.chains)
    assert_mass_balance(result)
    assert_no_negative(result)


def test_sectors_follow_their_stage(network):
    result = simulate(network, FLAGSHIP.build("reexport-control"))
    sectors = result.sectors("JPN")
    # Oxide used for magnets is the metal stage's input, not a final use of separated oxide.
    assert "magnets_via_metal" not in set(sectors["sector"])
    # Japan publishes no magnet end-use split: the world's applies.
    magnets = sectors[sectors["stage"] == "magnets"]
    assert {"ev_motors", "wind"} <= set(magnets["sector"])
    summary = result.summary(["JPN"]).set_index(["mineral", "stage"])
    for _, row in sectors.iterrows():
        assert row["cumulative_shortfall_pct"] == pytest.approx(
            summary.loc[(row["mineral"], row["stage"]), "cumulative_shortfall_pct"]
        )


def test_ration_serves_priorities_first():
    from oreshock.model.results import ration

    wanted = np.array([[4.0, 3.0, 2.0, 1.0]])
    got = ration(wanted, np.array([6.0]), [1, None, 0, None])
    # sector 2 (rank 0) then sector 0 (rank 1) in full; sectors 1 and 3 share nothing left
    np.testing.assert_allclose(got, [[4.0, 0.0, 2.0, 0.0]])
    got = ration(wanted, np.array([8.0]), [None, None, 0, None])
    np.testing.assert_allclose(got, [[3.0, 2.25, 2.0, 0.75]])
    assert got.sum() == pytest.approx(8.0)


def test_end_use_priority_protects_the_listed_sector(network):
    base = FLAGSHIP.build("reexport-control")
    protected = FLAGSHIP.build("reexport-control", {("end_use_priority",): ["ev_motors"]})
    plain = simulate(network, base).sectors("JPN").set_index("sector")
    first = simulate(network, protected).sectors("JPN").set_index("sector")
    assert (
        first.loc["ev_motors", "cumulative_shortfall_pct"]
        < plain.loc["ev_motors", "cumulative_shortfall_pct"]
    )
    assert (
        first.loc["wind", "cumulative_shortfall_pct"]
        > plain.loc["wind", "cumulative_shortfall_pct"]
    )
    magnets = plain.index[plain["stage"] == "magnets"]
    weights = plain.loc[magnets, "share_of_stage_use"]
    # the same magnets are delivered, only to different sectors
    assert (weights * first.loc[magnets, "cumulative_shortfall_pct"]).sum() == pytest.approx(
        (weights * plain.loc[magnets, "cumulative_shortfall_pct"]).sum(), rel=1e-6
    )
