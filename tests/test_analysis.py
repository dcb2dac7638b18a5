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


def _runs(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    return pd.DataFrame({"p": p}), p


def test_default_failure_is_a_policy_level_not_a_quantile():
    """Outcomes all far below 5%: nothing fails (the worst-quarter rule made it 0.25)."""
    frame, p = _runs()
    frame["cumulative_shortfall_pct.JPN.m.a"] = 1.0 + p  # 1-2 % of demand
    frame["cumulative_shortfall_pct.JPN.m.b"] = 0.5 * p
    out = summarize(frame, ["p"], list(frame.columns[1:]))
    fail = out["failure"]
    assert fail["probability"] == 0.0  # not 0.25, whatever the outcomes
    assert fail["default"] and fail["threshold"] == 5.0 and fail["op"] == ">"
    assert "5% of demand" in fail["basis"] and "worst stage" in fail["basis"]
    # the worst stage counts: stage a is the worse of the two in every run
    frame["cumulative_shortfall_pct.JPN.m.a"] = 4.0 + 2 * p  # above 5 % when p > 0.5
    out = summarize(frame, ["p"], list(frame.columns[1:]))
    assert out["failure"]["probability"] == pytest.approx((p > 0.5).mean())
    assert out["failure"]["worst_column_share"]["cumulative_shortfall_pct.JPN.m.a"] == 1.0


def test_stated_failure_rule():
    frame, p = _runs()
    frame["months_to_shortfall.JPN.m.s"] = np.floor(12 * p)
    out = summarize(frame, ["p"], list(frame.columns[1:]), fail="months_to_shortfall<6")
    assert out["failure"]["probability"] == pytest.approx((np.floor(12 * p) < 6).mean())
    assert not out["failure"]["default"]
    with pytest.raises(EnsembleError, match="bad --fail"):
        summarize(frame, ["p"], list(frame.columns[1:]), fail="months_to_shortfall six")
    with pytest.raises(EnsembleError, match="unknown outcome"):
        summarize(frame, ["p"], list(frame.columns[1:]), fail="peak_shortfall_pct>5")


def test_prim_is_skipped_on_floating_point_noise():
    """An outcome that differs only by 1e-14 has no conditions of failure to discover."""
    frame, p = _runs()
    noise = np.random.default_rng(5).uniform(size=len(p)) * 1e-14
    frame["cumulative_shortfall_pct.JPN.m.s"] = 40.0 + noise + 1e-14 * (p > 0.7)
    for kwargs in ({}, {"threshold": float(np.median(40.0 + noise))}):
        out = summarize(frame, ["p"], list(frame.columns[1:]), **kwargs)
        assert out["prim"] == []
        assert out["prim_skipped"]["code"] in {"ens_prim_flat", "ens_prim_all_fail"}
        assert "PRIM skipped" in out["prim_skipped"]["message"]
        assert not out["variation"]["varies"]


def test_sobol_negative_and_small_samples_are_flagged():
    """A tiny Saltelli sample gives a negative index: it is shown as it is, with warnings."""
    k = 3
    u = unit_sample(k, 4 * (k + 2), "sobol", seed=3)
    y = Ishigami.evaluate(-np.pi + 2 * np.pi * u)
    names = ["x1", "x2", "x3"]
    s = sobol_indices(y, names, seed=3)
    negative = [(n, key) for n in names for key in ("S1", "ST") if s[n][key] < 0]
    assert negative, s  # the fixture must produce one
    assert all({"S1_conf", "ST_conf"} <= set(v) for v in s.values())
    frame = pd.DataFrame(u, columns=names)
    frame["cumulative_shortfall_pct.JPN.m.s"] = y
    out = summarize(frame, names, [frame.columns[-1]], method="sobol", seed=3)
    codes = [w["code"] for w in out["sobol_warnings"]]
    assert "ens_sobol_small" in codes
    flagged = {
        (w["parameter"], w["index"])
        for w in out["sobol_warnings"]
        if w["code"] == "ens_sobol_negative"
    }
    assert flagged == set(negative)
    assert all(out["sobol"][n][key] < 0 for n, key in negative)  # not clipped to 0
