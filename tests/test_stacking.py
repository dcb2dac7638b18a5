"""Chains stepped as one batch give each chain exactly what it gives alone."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from oreshock import open_scenario
from oreshock.model.compile import compile_chain
from oreshock.model.linking import stacks_of
from oreshock.model.record import VARIABLES
from oreshock.model.simulate import run_chain, run_chains

UNLINKED = ["ree_lace", "ree_other", "ree_y"]  # element groups no recipe draws on


@pytest.fixture(scope="module")
def compiled(network):
    scenario = open_scenario("japan-rare-earths-2026").build("full-response")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            m: compile_chain(network.chain(m), scenario, network) for m in network.covered(scenario)
        }


def test_chains_of_one_shape_share_a_stack_and_recipes_come_after_their_inputs(compiled):
    stacks = [st.minerals for st in stacks_of(compiled, record_flows=False)]
    assert sorted(UNLINKED) in [sorted(s) for s in stacks]
    order = [m for s in stacks for m in s]
    for magnet in ("ndfeb_dytb", "ndfeb_plain"):
        assert order.index(magnet) > max(order.index("ree_ndpr"), order.index("ree_dytb"))


def test_a_stacked_chain_equals_the_chain_run_alone(compiled):
    together = run_chains({m: compiled[m] for m in UNLINKED}, record_flows=True)
    for mineral in UNLINKED:
        alone = run_chain(compiled[mineral], record_flows=True)
        for v in VARIABLES:
            assert np.array_equal(together[mineral].series[v], alone.series[v]), (mineral, v)
        assert np.array_equal(together[mineral].flows, alone.flows), mineral
        assert np.array_equal(together[mineral].price, alone.price), mineral
