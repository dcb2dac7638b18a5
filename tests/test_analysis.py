"""Analysis on data with known answers: PRIM on a planted box, Sobol on Ishigami."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from oreshock.ensemble.analysis import failures, percentiles, prim, sobol_indices, summarize
from oreshock.ensemble.sampling import EnsembleError, unit_sample


def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(3000, 3))
    y = (x[:, 0] > 0.7) & (x[:, 1] < 0.4)
    boxes = prim(x, y, ["a", "b", "c"], max_boxes=1)
    assert len(boxes) == 1
    box = boxes[0]
    assert set(box.limits) == {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.7, abs=0.03)
    assert box.limits["b"][1] == pytest.approx(0.4, abs=0.03)
    assert box.coverage > 0.9
    assert box.density > 0.9


def test_prim_without_failures_returns_no_box():
    x = np.random.default_rng(0).uniform(size=(100, 2))
    assert prim(x, np.zeros(100, bool), ["a", "b"]) == []


def test_sobol_indices_of_ishigami():
    u = unit_sample(3, 1024 * 5, "sobol", seed=3)
    x = -np.pi + 2 * np.pi * u
    y = Ishigami.evaluate(x)
    s = sobol_indices(y, ["x1", "x2", "x3"], seed=3)
    assert s["x1"]["S1"] == pytest.approx(0.314, abs=0.05)
    assert s["x2"]["S1"] == pytest.approx(0.442, abs=0.05)
    assert s["x3"]["S1"] == pytest.approx(0.0, abs=0.05)
    assert s["x1"]["ST"] == pytest.approx(0.558, abs=0.05)
    assert s["x3"]["ST"] == pytest.approx(0.244, abs=0.05)


def test_sobol_needs_saltelli_layout():
    with pytest.raises(EnsembleError, match="N x"):
        sobol_indices(np.ones(7), ["a", "b"])


def test_percentiles_failure_and_summary():
    frame = pd.DataFrame(
        {
            "p": np.linspace(0, 1, 101),
            "months_to_shortfall.JPN.m.s": np.arange(101.0),
            "cumulative_shortfall_pct.JPN.m.s": np.linspace(0, 100, 101),
        }
    )
    q = percentiles(frame, ["months_to_shortfall.JPN.m.s"])["months_to_shortfall.JPN.m.s"]
    assert (q["p5"], q["p50"], q["p95"]) == (5.0, 50.0, 95.0)
    assert failures(np.array([3.0, 12.0]), "months_to_shortfall.x", 6).tolist() == [True, False]
    assert failures(np.array([3.0, 12.0]), "peak_shortfall_pct.x", 6).tolist() == [False, True]
    out = summarize(frame, ["p"], list(frame.columns[1:]), threshold=80.0)
    assert out["failure"]["probability"] == pytest.approx(0.2, abs=0.01)
    assert out["prim"][0]["box"]["p"][0] == pytest.approx(0.81, abs=0.02)
