"""Outcomes below the stated tolerance are zero: float noise is never a shortfall."""

from __future__ import annotations

import numpy as np
import pytest

from oreshock import open_scenario, simulate
from oreshock.model.outcomes import (
    NEVER,
    cumulative_shortfall_pct,
    months_to_shortfall,
    peak_shortfall_pct,
)

TOLERANCE = 1e-9  # of demand: docs/model.md, section 4 (model/outcomes.py TOLERANCE)


def test_noise_below_the_tolerance_is_zero():
    demand = np.full((4, 2), 100.0)
    short = np.array([[1e-12, 0.0], [0.0, 2.0], [1e-14, 0.0], [0.0, 0.0]])
    assert cumulative_shortfall_pct(short, demand)[0] == 0.0
    assert peak_shortfall_pct(short, demand)[0] == 0.0
    assert months_to_shortfall(short, demand, 0.0)[0] == NEVER
    # a real shortfall just above the tolerance is kept as it is
    assert cumulative_shortfall_pct(short, demand)[1] == 0.5
    assert peak_shortfall_pct(short, demand)[1] == 2.0
    above = np.array([[3 * TOLERANCE * 100.0]])
    assert peak_shortfall_pct(above, np.array([[100.0]]))[0] == pytest.approx(3e-7)


def test_no_shock_run_lists_no_float_noise(network):
    """The baseline has no shock: every shortfall it shows must be exactly zero (on the
    code before the tolerance, 92 rows showed 1e-16 to 7e-13 %)."""
    result = simulate(network, open_scenario("baseline").build(None), record_flows=False)
    summary = result.summary()
    for col in ("peak_shortfall_pct", "cumulative_shortfall_pct"):
        small = summary[(summary[col] > 0) & (summary[col] < 100 * TOLERANCE)]
        assert small.empty, small
    assert (summary["cumulative_shortfall_pct"] == 0).all()
    from oreshock.model import outcomes

    assert outcomes.TOLERANCE == TOLERANCE
    sectors = result.sectors("JPN")
    assert (sectors["cumulative_shortfall_pct"] == 0).all()
