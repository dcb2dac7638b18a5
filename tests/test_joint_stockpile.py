"""Joint stockpiles: one pool whose parts the members store, drawn on by whichever is short."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from oreshock import open_scenario
from oreshock.core.errors import ScenarioError
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate
from oreshock.testing.helpers import assert_mass_balance, assert_no_negative

MEMBERS = ["DEU", "JPN", "KOR", "USA", "XEU"]
MAGNETS = {"minerals": ["ndfeb_dytb"], "stages": ["magnets"], "trigger": 0.0, "rate": 1.0}


def _with_stockpiles(entries: list[dict]) -> Scenario:
    base = open_scenario("japan-rare-earths-2026").build(None)
    data = base.model_dump(exclude={"variant"})
    data["buffers"]["stockpiles"] = entries
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def pooled(network):
    joint = {"holder": "g7plus", "joint": True, "months_of_demand": 3.0, **MAGNETS}
    return simulate(network, _with_stockpiles([joint]))


@pytest.fixture(scope="module")
def split(network):
    """The same tonnes, each member's part its own national stockpile."""
    return simulate(
        network,
        _with_stockpiles([{"holder": "g7plus", "months_of_demand": 3.0, **MAGNETS}]),
    )


def _magnets(result, variable: str) -> np.ndarray:
    run = result.runs["ndfeb_dytb"]
    chain = run.chain
    rows = [chain.countries.index(c) for c in MEMBERS]
    return run.series[variable][:, 0, rows, chain.stages.index("magnets")]


def test_a_joint_stockpile_balances_and_its_transfers_sum_to_zero(pooled):
    assert_mass_balance(pooled)
    assert_no_negative(pooled)
    moved = _magnets(pooled, "stockpile_transfer")
    assert moved[:, MEMBERS.index("JPN")].sum() > 0  # Japan, the target, receives
    assert np.allclose(moved.sum(axis=1), 0.0, atol=1e-6)


def test_the_pool_serves_the_member_in_need_beyond_its_own_part(pooled, split):
    """Same tonnes, same places: pooled, Japan draws on the parts stored elsewhere, so it is
    short of less, and the coalition as a whole is never short of more."""
    japan = MEMBERS.index("JPN")
    assert (
        _magnets(pooled, "shortfall")[:, japan].sum() < _magnets(split, "shortfall")[:, japan].sum()
    )
    assert _magnets(pooled, "shortfall").sum() <= _magnets(split, "shortfall").sum() + 1e-6
    opening = pooled.runs["ndfeb_dytb"].inputs.joint0.sum()
    assert opening == pytest.approx(split.runs["ndfeb_dytb"].inputs.pile0.sum())


def test_the_transfer_is_a_variable_only_where_a_pool_exists(pooled, split):
    assert "stockpile_transfer" in set(pooled.timeseries()["variable"])
    assert "stockpile_transfer" not in set(split.timeseries()["variable"])


def test_a_joint_stockpile_needs_a_size():
    with pytest.raises(ValidationError, match="joint stockpile needs months_of_demand"):
        _with_stockpiles([{"holder": "g7plus", "joint": True, **MAGNETS}])


def test_two_pools_over_one_country_and_stage_are_an_error(network):
    pools = [
        {"holder": "g7plus", "joint": True, "months_of_demand": 1.0, **MAGNETS},
        {"holder": "JPN", "joint": True, "months_of_demand": 1.0, **MAGNETS},
    ]
    with pytest.raises(ScenarioError, match=r"stockpiles\[1\]: JPN already holds part of a joint"):
        simulate(network, _with_stockpiles(pools))
