"""Property tests on random small networks: the invariants hold for any shape of data."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreshock.core.options import get_option
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate
from oreshock.testing.helpers import assert_mass_balance, assert_no_negative, network_from_arrays

COUNTRIES = ["AAA", "BBB", "CCC", "DDD", "EEE"]
# More examples for a deeper search: ORESHOCK_PROPERTY_EXAMPLES=500 pytest tests/property
EXAMPLES = get_option("property_examples")


@st.composite
def small_networks(draw):
    n_c = draw(st.integers(2, 5))
    n_s = draw(st.integers(1, 3))
    values = st.one_of(st.just(0.0), st.floats(1e-3, 100, allow_nan=False, allow_infinity=False))
    production = np.array(
        draw(st.lists(st.lists(values, min_size=n_s, max_size=n_s), min_size=n_c, max_size=n_c))
    )
    final = np.array(
        draw(st.lists(st.lists(values, min_size=n_s, max_size=n_s), min_size=n_c, max_size=n_c))
    )
    production[0, :] += 10.0  # somebody produces every stage
    final[-1, -1] += 10.0  # somebody uses the last stage
    yields = [1.0, *draw(st.lists(st.floats(0.3, 1.0), min_size=n_s - 1, max_size=n_s - 1))]
    pile = draw(st.sampled_from([0.0, 30.0, 90.0]))
    countries = COUNTRIES[:n_c]
    net = network_from_arrays(
        countries, production, final, yields, pile_days=pile, groups={"club": countries[1:]}
    )
    return net, countries


def shock_scenario(countries, ban_share, target, reexport, sharing, reroute, delay):
    shocks = [
        {
            "type": "export_ban",
            "exporter": countries[0],
            "destinations": [target],
            "share": ban_share,
            "start": "2026-02",
        }
    ]
    if reexport:
        shocks.append(
            {
                "type": "reexport_control",
                "origin": countries[0],
                "destinations": [target],
                "start": "2026-02",
            }
        )
    if delay:
        shocks.append(
            {
                "type": "licence_delay",
                "exporter": countries[0],
                "months": delay,
                "start": "2026-01",
                "end": "2026-06",
            }
        )
    responses = {}
    if sharing:
        responses["sharing"] = [{"group": "club", "share": 0.3, "start": "2026-01"}]
    if reroute:
        responses["rerouting"] = {"delay_months": 1, "growth": 0.2}
    return Scenario.model_validate(
        {
            "name": "p",
            "months": 12,
            "shocks": shocks,
            "responses": responses,
            "buffers": {"stockpiles": [{"holder": target}]},
        }
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=small_networks(),
    ban=st.floats(0, 1),
    reexport=st.booleans(),
    sharing=st.booleans(),
    reroute=st.booleans(),
    delay=st.integers(0, 2),
)
def test_invariants_hold(data, ban, reexport, sharing, reroute, delay):
    net, countries = data
    scenario = shock_scenario(countries, ban, countries[-1], reexport, sharing, reroute, delay)
    # Invariants hold whatever the data cover (a random holder may have no stockpile).
    result = simulate(net, scenario, warn=False)
    assert_mass_balance(result)
    assert_no_negative(result)
    run = result.runs["testium"]
    np.testing.assert_allclose(
        run.series["shortfall"], run.series["demand"] - run.series["consumption"], atol=1e-9
    )


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=small_networks())
def test_baseline_has_no_shortfall(data):
    net, _ = data
    result = simulate(net, Scenario(name="b", months=6))
    run = result.runs["testium"]
    assert np.abs(run.series["shortfall"]).max() <= 1e-9 * max(1.0, run.chain.production.max())


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=small_networks(), low=st.floats(0, 0.5), extra=st.floats(0, 0.5))
def test_tighter_ban_never_lowers_target_shortfall(data, low, extra):
    net, countries = data
    target = countries[-1]
    totals = []
    for share in (low, low + extra):
        scenario = shock_scenario(countries, share, target, False, False, False, 0)
        result = simulate(net, scenario, warn=False)  # coverage does not bear on monotonicity
        run = result.runs["testium"]
        totals.append(run.series["shortfall"][:, 0, run.chain.index(target)].sum())
    assert totals[1] >= totals[0] - 1e-7 * max(1.0, totals[0])
