"""Analysis of ensemble results: percentiles, probability of failure, PRIM, Sobol indices.

Pure functions over arrays and DataFrames, independent of how the runs were produced.
PRIM (Friedman & Fisher 1999) is implemented here in numpy: peel a fraction ``alpha`` off
one side of one parameter at a time, always the peel that raises the share of failures in
the box most, down to a minimum mass; from that trajectory the box with the best balance of
coverage (share of all failures inside the box) and density (share of runs in the box that
fail), their harmonic mean, is kept. Further boxes are found on the runs outside earlier boxes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreshock.ensemble.sampling import EnsembleError

PERCENTILES = {"p5": 5, "p50": 50, "p95": 95}


def percentiles(frame: pd.DataFrame, columns: list[str]) -> dict[str, dict[str, float]]:
    """p5 / p50 / p95 of each outcome column (NaN-aware)."""
    out = {}
    for col in columns:
        x = frame[col].to_numpy(dtype=float)
        out[col] = {
            k: float(np.nanpercentile(x, q)) if np.isfinite(x).any() else float("nan")
            for k, q in PERCENTILES.items()
        }
    return out


def worse_is_lower(outcome: str) -> bool:
    """An early shortfall is bad; for shortfall percentages a high value is bad."""
    return outcome.startswith("months_to_shortfall")


def failures(values: np.ndarray, outcome: str, threshold: float) -> np.ndarray:
    """Runs that fail: shortfall sooner than ``threshold`` months, or above ``threshold`` %."""
    return values < threshold if worse_is_lower(outcome) else values > threshold


def default_threshold(values: np.ndarray, outcome: str) -> float:
    """Without a user threshold, the worst quarter of runs counts as failure."""
    return float(np.nanpercentile(values, 25 if worse_is_lower(outcome) else 75))


@dataclass
class PrimBox:
    """A box of parameter ranges: only the restricted parameters are listed in ``limits``."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float

    def as_dict(self) -> dict:
        return {
            "box": {k: [float(lo), float(hi)] for k, (lo, hi) in self.limits.items()},
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
        }


def _peel(x: np.ndarray, y: np.ndarray, alpha: float, min_mass: float):
    """Peeling trajectory on (x, y): list of (lo, hi, in_box mask) from the full box down."""
    n, k = x.shape
    lo, hi = x.min(axis=0).astype(float), x.max(axis=0).astype(float)
    inside = np.ones(n, bool)
    trajectory = [(lo.copy(), hi.copy(), inside.copy())]
    while inside.sum() > max(min_mass * n, 1):
        best = None
        xin, yin = x[inside], y[inside]
        for j in range(k):
            for side in (0, 1):
                cut = np.quantile(xin[:, j], alpha if side == 0 else 1 - alpha)
                keep = xin[:, j] > cut if side == 0 else xin[:, j] < cut
                if keep.all() or not keep.any():  # discrete values: peel the whole tie
                    keep = xin[:, j] > xin[:, j].min() if side == 0 else xin[:, j] < xin[:, j].max()
                if keep.all() or not keep.any() or keep.sum() < min_mass * n:
                    continue
                score = (yin[keep].mean(), keep.sum())
                if best is None or score > best[0]:
                    best = (score, j, side, keep)
        if best is None:
            break
        _, j, side, keep = best
        idx = np.flatnonzero(inside)
        inside[idx[~keep]] = False
        if side == 0:
            lo[j] = x[inside, j].min()
        else:
            hi[j] = x[inside, j].max()
        trajectory.append((lo.copy(), hi.copy(), inside.copy()))
    return trajectory


def prim(
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    *,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    max_boxes: int = 2,
) -> list[PrimBox]:
    """Boxes of parameter ranges where failures (``y`` True) concentrate."""
    x = np.asarray(x, float)
    y = np.asarray(y, bool)
    if x.ndim != 2 or len(x) != len(y) or x.shape[1] != len(names):
        raise EnsembleError("prim: x must be (n, k) with k names and n outcomes")
    total = y.sum()
    if total == 0 or total == len(y):
        return []
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    remaining = np.ones(len(y), bool)
    boxes: list[PrimBox] = []
    for _ in range(max_boxes):
        idx = np.flatnonzero(remaining)
        if y[idx].sum() == 0:
            break
        base = y[idx].mean()
        best, best_score = None, -1.0
        for lo, hi, inside in _peel(x[idx], y[idx], alpha, min_mass):
            cov = y[idx][inside].sum() / total
            dens = y[idx][inside].mean()
            score = 2 * cov * dens / (cov + dens) if cov + dens > 0 else 0.0
            if score > best_score:
                best, best_score = (lo, hi, inside, cov, dens), score
        assert best is not None  # the trajectory always holds the full box
        lo, hi, inside, cov, dens = best
        if dens <= base and boxes:
            break
        limits = {
            names[j]: (lo[j], hi[j])
            for j in range(len(names))
            if lo[j] > full_lo[j] or hi[j] < full_hi[j]
        }
        boxes.append(PrimBox(limits, float(cov), float(dens), float(inside.sum() / len(y))))
        if not limits:
            break
        remaining[idx[inside]] = False
    return boxes


def sobol_indices(y: np.ndarray, names: list[str], *, seed: int = 0) -> dict[str, dict[str, float]]:
    """First-order and total Sobol indices from outputs of a Saltelli sample (SALib order)."""
    # SALib is the optional `ensemble` extra, loaded only when Sobol indices are asked for.
    from SALib.analyze import sobol

    k = len(names)
    y = np.asarray(y, float)
    if len(y) % (k + 2) != 0:
        raise EnsembleError(
            f"Sobol indices need N x (k + 2) = N x {k + 2} runs in sampling order; found {len(y)}"
        )
    if not np.isfinite(y).all():
        raise EnsembleError("Sobol indices need finite outcomes for every run")
    problem = {"num_vars": k, "names": list(names), "bounds": [[0, 1]] * k}
    if np.ptp(y) == 0:
        return {n: {"S1": 0.0, "ST": 0.0} for n in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
    return {
        n: {
            "S1": float(res["S1"][j]),
            "ST": float(res["ST"][j]),
            "S1_conf": float(res["S1_conf"][j]),
            "ST_conf": float(res["ST_conf"][j]),
        }
        for j, n in enumerate(names)
    }


def summarize(
    frame: pd.DataFrame,
    parameters: list[str],
    outcomes: list[str],
    *,
    outcome: str | None = None,
    threshold: float | None = None,
    method: str = "lhs",
    seed: int = 0,
    max_boxes: int = 2,
) -> dict:
    """Percentiles of every outcome, failure probability, PRIM boxes and (Sobol) indices."""
    if outcome is None:
        outcome = next(o for o in reversed(outcomes) if o.startswith("cumulative"))
    if outcome not in frame.columns:
        raise EnsembleError(f"unknown outcome {outcome!r}; expected one of: {', '.join(outcomes)}")
    values = frame[outcome].to_numpy(dtype=float)
    rule_threshold = default_threshold(values, outcome) if threshold is None else threshold
    failed = failures(values, outcome, rule_threshold)
    x = frame[parameters].to_numpy(dtype=float)
    out = {
        "outcomes": percentiles(frame, outcomes),
        "failure": {
            "outcome": outcome,
            "rule": f"{outcome} {'<' if worse_is_lower(outcome) else '>'} {rule_threshold:g}",
            "threshold": rule_threshold,
            "probability": float(failed.mean()),
        },
        "prim": [b.as_dict() for b in prim(x, failed, parameters, max_boxes=max_boxes)],
    }
    if method == "sobol":
        out["sobol"] = sobol_indices(values, parameters, seed=seed)
    return out
