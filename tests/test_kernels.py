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
