"""The compiled rules (numba, ``model/kernels.py``) give the runs the numpy rules give."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from oreshock import open_scenario, simulate
from oreshock.core.errors import OreshockError
from oreshock.core.options import get_option, set_options
from oreshock.model.scenario import shipped_scenarios

CASES = [(name, v) for name in sorted(shipped_scenarios()) for v in open_scenario(name).variants]


def _close(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference relative to the value (or to 1 t for values below a tonne)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1.0), initial=0.0))


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_compiled_and_numpy_rules_give_the_same_run(network, name, variant):
    scenario = open_scenario(name).build(variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with set_options(kernels="numpy"):
            reference = simulate(network, scenario)
        compiled = simulate(network, scenario)
    for mineral, run in reference.runs.items():
        other = compiled.runs[mineral]
        for var, values in run.series.items():
            assert _close(values, other.series[var]) <= 1e-12, (mineral, var)
        assert _close(run.flows, other.flows) <= 1e-12, (mineral, "flows")
        assert _close(run.price, other.price) <= 1e-12, (mineral, "price")


def test_the_kernels_option_is_checked(monkeypatch):
    assert get_option("kernels") == "compiled"
    monkeypatch.setenv("ORESHOCK_KERNELS", "fortran")
    with pytest.raises(OreshockError, match="ORESHOCK_KERNELS"):
        get_option("kernels")


@pytest.mark.parametrize(
    ("batch", "origins", "countries", "k"), [(3, 2, 19, 1), (4, 3, 28, 4), (2, 2, 140, 1)]
)
def test_step_3_twin_gives_the_numpy_rule_to_the_last_bit(batch, origins, countries, k):
    """Shipments to existing customers and their sums: the compiled twin adds in numpy's
    order (pairwise over importers, beyond 128 too), so the values are equal, not just close."""
    from oreshock.model import kernels, rules

    rng = np.random.default_rng(7)
    shape = (batch, countries)
    exportable = rng.random(shape) * (rng.random(shape) > 0.3)
    mix = rng.random((batch, origins, countries))
    weights = rng.random((k, countries, countries)) * (rng.random((k, countries, countries)) > 0.7)
    pairs = rng.random((batch, countries, countries))
    pass_origin = rng.random((batch, origins, countries))
    ship = rules.existing_customers(exportable, mix, weights * 1e3, pairs, pass_origin)
    twin, shipped, arrived = kernels.existing_customers(
        exportable, mix, weights * 1e3, pairs, pass_origin
    )
    assert np.array_equal(twin, ship)
    assert np.array_equal(shipped, rules.shipped_by_exporter(ship))
    assert np.array_equal(arrived, rules.arriving(ship, None))
    moved = ship + rng.random(ship.shape)  # after sharing and rerouting: any route may carry
    shipped, arrived = kernels.totals(moved)
    assert np.array_equal(shipped, rules.shipped_by_exporter(moved))
    assert np.array_equal(arrived, rules.arriving(moved, None))


@pytest.mark.parametrize("origins", range(1, 12))
def test_origin_totals_written_out_equal_numpy_sums_to_the_last_bit(origins):
    """Few origin buckets are added slice by slice (``rules.by_origin_total``); the result is
    numpy's sum over the axis to the last bit, on contiguous arrays and on strided slices."""
    from oreshock.model.rules import by_origin_total

    rng = np.random.default_rng(origins)
    for shape in [(7, origins, 19), (4, origins, 6, 6)]:
        x = rng.random(shape) * 10.0 ** rng.uniform(-5, 8, shape)
        strided = np.stack([x, 2 * x, x / 3], axis=1)[:, 2]
        for a in (x, strided):
            assert np.array_equal(by_origin_total(a), a.sum(axis=1))


def _levels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random tonnages over many orders of magnitude, a fifth of them exactly zero."""
    x = rng.random(shape) * 10.0 ** rng.uniform(-10, 6, shape)
    return np.where(rng.random(shape) < 0.2, 0.0, x)


@pytest.mark.parametrize("origins", [1, 2, 5, 22])
def test_use_and_spare_twins_give_the_numpy_rules_to_the_last_bit(origins):
    """Steps 7 (use and stockpile release) and the spare supply of step 3, compiled, equal
    the numpy rules exactly, on strided slices as the engine passes them."""
    from oreshock.model import kernels, rules

    rng = np.random.default_rng(origins)
    B, C, S = 6, 9, 3
    for layout in range(6):  # origins the last axis in memory, or the middle one (as the state's)
        if layout % 2:
            held = _levels(rng, (B, S, C, origins)).transpose(0, 1, 3, 2)[:, 1]
            pile = _levels(rng, (B, S, C, origins)).transpose(0, 1, 3, 2)[:, 1]
        else:
            held = _levels(rng, (B, S, origins, C))[:, 1]
            pile = _levels(rng, (B, S, origins, C))[:, 1]
        per_node = [_levels(rng, (B, C, S))[:, :, 1] for _ in range(3)]
        demand, pile_start, stock0 = per_node
        trigger, rate, floor = (rng.random((B, C, S))[:, :, 1] for _ in range(3))
        args = (held, pile, demand, pile_start, trigger, rate, floor)
        totals = rules.by_origin_total(held), rules.by_origin_total(pile)
        drawn, released = np.empty_like(held), np.empty_like(pile)
        use = kernels.use_and_release(held, pile, *totals, *args[2:], drawn, released)
        twin = (*use, drawn, released)
        for got, want in zip(twin, rules.use_and_release(*args), strict=True):
            assert got.strides == want.strides  # later sums follow the layout
            assert np.array_equal(got, want)
        exportable, shipped = _levels(rng, (B, C)), _levels(rng, (B, origins, C))
        mix = rng.dirichlet(np.ones(origins), size=(B, C)).transpose(0, 2, 1).copy()
        want = rules.spare_supply(exportable, mix, shipped, held, stock0)
        total = rules.by_origin_total(held)
        got = kernels.spare_supply(
            exportable, mix, shipped, held, total, stock0, rules.RELATIVE_RESIDUE
        )
        assert np.array_equal(got, want)
