"""Analysis of ensemble results: percentiles, probability of failure, PRIM, Sobol indices.

Pure functions over arrays and DataFrames, independent of how the runs were produced.
PRIM (Friedman & Fisher 1999) is implemented here in numpy: peel a fraction ``alpha`` off
one side of one parameter at a time, always the peel that raises the share of failures in
the box most, down to a minimum mass; from that trajectory the box with the best balance of
coverage (share of all failures inside the box) and density (share of runs in the box that
fail), their harmonic mean, is kept. Further boxes are found on the runs outside earlier boxes.

Failure is a threshold the user states (``FailureRule``, e.g. ``cumulative_shortfall_pct>5``);
the default is a policy level, a cumulative shortfall above 5% of demand at the target's worst
stage, never a quantile of the runs (a quantile makes the failure share a constant). When the
outcome barely varies (no run or every run fails, or its range is below ``VARIES_TOLERANCE``)
PRIM is skipped and the summary says why, instead of fitting boxes to noise. Sobol indices
carry SALib's confidence intervals, and warnings when the sample is below
``MIN_SOBOL_BASE``, an interval is wider than its index, or an index is negative (true indices
are never negative: a negative one is sampling error, shown as it is).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreshock.core.i18n import t
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


METRICS = ("months_to_shortfall", "peak_shortfall_pct", "cumulative_shortfall_pct")
DEFAULT_FAIL = "cumulative_shortfall_pct>5"
# Outcomes whose range over the runs is below this (months or percentage points) do not vary.
VARIES_TOLERANCE = 1e-6
# Saltelli base samples N below which Sobol indices are flagged as unreliable.
MIN_SOBOL_BASE = 512


def worse_is_lower(outcome: str) -> bool:
    """An early shortfall is bad; for shortfall percentages a high value is bad."""
    return outcome.startswith("months_to_shortfall")


def failures(values: np.ndarray, outcome: str, threshold: float) -> np.ndarray:
    """Runs that fail: shortfall sooner than ``threshold`` months, or above ``threshold`` %."""
    return values < threshold if worse_is_lower(outcome) else values > threshold


@dataclass(frozen=True)
class FailureRule:
    """When a run fails: ``outcome op threshold``. ``outcome`` is an outcome column or the
    start of several (a metric such as ``cumulative_shortfall_pct``, or
    ``cumulative_shortfall_pct.JPN.ndfeb_dytb``; outcomes are per product, not per family):
    then each run's worst stage among them counts (the largest percentage, the soonest month)."""

    outcome: str
    op: str
    threshold: float
    default: bool = False

    @property
    def text(self) -> str:
        return f"{self.outcome} {self.op} {self.threshold:g}"

    def apply(self, values: np.ndarray) -> np.ndarray:
        ops = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}
        with np.errstate(invalid="ignore"):
            return np.asarray(ops[self.op](values, self.threshold), bool)


_RULE = re.compile(
    r"^\s*([A-Za-z_][\w.\-\[\]]*)\s*(>=|<=|>|<)\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*%?\s*$"
)


def parse_fail(text: str) -> FailureRule:
    """``cumulative_shortfall_pct>5``, ``months_to_shortfall.JPN.ndfeb_dytb.magnets<6``, ..."""
    m = _RULE.match(text or "")
    if not m:
        raise EnsembleError(
            f"bad --fail {text!r}: expected OUTCOME>VALUE or OUTCOME<VALUE, e.g. "
            f"'{DEFAULT_FAIL}' (cumulative shortfall above 5% of demand at the worst stage) or "
            "'months_to_shortfall<6'"
        )
    try:
        threshold = float(m.group(3))
    except ValueError:
        raise EnsembleError(f"bad --fail {text!r}: {m.group(3)!r} is not a number") from None
    if not np.isfinite(threshold):
        raise EnsembleError(f"bad --fail {text!r}: the threshold must be a finite number")
    return FailureRule(m.group(1), m.group(2), threshold)


def default_rule() -> FailureRule:
    """Cumulative shortfall above 5% of demand at the target's worst stage: a level at which a
    shortage matters for policy, whatever the spread of the runs."""
    rule = parse_fail(DEFAULT_FAIL)
    return FailureRule(rule.outcome, rule.op, rule.threshold, default=True)


def outcome_values(frame: pd.DataFrame, outcome: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(values per run, the columns they come from, index of each run's worst column).

    ``outcome`` is one column, or the start of several: then the worst of them per run."""
    if outcome in frame.columns:
        return frame[outcome].to_numpy(dtype=float), [outcome], np.zeros(len(frame), int)
    columns = [str(c) for c in frame.columns if str(c).startswith(outcome + ".")]
    if not columns:
        known = sorted(
            {str(c).split(".")[0] for c in frame.columns if str(c).split(".")[0] in METRICS}
        )
        raise EnsembleError(
            f"unknown outcome {outcome!r}; expected an outcome column or one of: "
            f"{', '.join(known) or ', '.join(METRICS)}{_minerals_hint(frame)}"
        )
    x = frame[columns].to_numpy(dtype=float)
    filled = np.where(np.isnan(x), np.inf if worse_is_lower(outcome) else -np.inf, x)
    worst = filled.argmin(axis=1) if worse_is_lower(outcome) else filled.argmax(axis=1)
    values = x[np.arange(len(x)), worst]
    return values, columns, worst


def _minerals_hint(frame: pd.DataFrame) -> str:
    """The minerals the outcome columns name (METRIC.COUNTRY.MINERAL.STAGE): a family such
    as rare_earths is recorded as its products, so a rule naming the family needs a product."""
    minerals = sorted(
        {
            p[2]
            for p in (str(c).split(".") for c in frame.columns)
            if len(p) == 4 and p[0] in METRICS
        }
    )
    return f"; outcomes are recorded per product: {', '.join(minerals)}" if minerals else ""


def variation(values: np.ndarray, failed: np.ndarray) -> dict:
    """Whether the outcome varies enough for scenario discovery; the reason when not."""
    finite = values[np.isfinite(values)]
    spread = float(np.ptp(finite)) if finite.size else 0.0
    out = {
        "min": float(finite.min()) if finite.size else float("nan"),
        "max": float(finite.max()) if finite.size else float("nan"),
        "range": spread,
        "tolerance": VARIES_TOLERANCE,
    }
    if spread < VARIES_TOLERANCE:
        reason = "flat"
    elif not failed.any():
        reason = "no_failure"
    elif failed.all():
        reason = "all_fail"
    else:
        reason = None
    return out | {"varies": reason is None, "reason": reason}


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
    """First-order and total Sobol indices, with SALib's 95% confidence half-widths
    (``S1_conf``, ``ST_conf``), from outputs of a Saltelli sample (SALib order). Negative
    estimates are returned as they are; ``sobol_warnings`` says what to make of them."""
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
    if np.ptp(y) < VARIES_TOLERANCE:
        return {}
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


def _note(code: str, **fields) -> dict:
    """A warning as data: a code, its fields, and the English text (``t(code, lang)`` in the
    CLI gives it in another language)."""
    return {"code": code, **fields, "message": t(code, "en", **fields)}


def sobol_warnings(indices: dict[str, dict[str, float]], runs: int, k: int) -> list[dict]:
    """Why Sobol indices should not be trusted yet: too few base samples, confidence
    intervals wider than the index, negative indices (each named)."""
    base = runs // (k + 2)
    notes = []
    if not indices:
        return [_note("ens_sobol_flat", tolerance=VARIES_TOLERANCE)]
    if base < MIN_SOBOL_BASE:
        notes.append(
            _note(
                "ens_sobol_small",
                n=base,
                runs=runs,
                minimum=MIN_SOBOL_BASE,
                needed=MIN_SOBOL_BASE * (k + 2),
            )
        )
    for name, s in indices.items():
        for key in ("S1", "ST"):
            value, conf = s[key], s[f"{key}_conf"]
            if value < 0:
                notes.append(
                    _note("ens_sobol_negative", parameter=name, index=key, value=value, conf=conf)
                )
            elif conf > abs(value):
                notes.append(
                    _note("ens_sobol_wide", parameter=name, index=key, value=value, conf=conf)
                )
    return notes


def summarize(
    frame: pd.DataFrame,
    parameters: list[str],
    outcomes: list[str],
    *,
    fail: str | FailureRule | None = None,
    outcome: str | None = None,
    threshold: float | None = None,
    method: str = "lhs",
    seed: int = 0,
    max_boxes: int = 2,
) -> dict:
    """Percentiles of every outcome, the failure rule and probability, PRIM boxes (or why
    there are none) and, for Sobol samples, indices with confidence intervals and warnings.

    ``fail`` states failure (``"cumulative_shortfall_pct>5"``); ``outcome`` and ``threshold``
    are the same in two parts (the comparison follows the outcome: below a number of months,
    above a percentage). Without either, the default rule (``default_rule``) applies.
    """
    if isinstance(fail, str):
        rule = parse_fail(fail)
    elif fail is not None:
        rule = fail
    elif outcome is None and threshold is None:
        rule = default_rule()
    else:
        name = outcome or "cumulative_shortfall_pct"
        if threshold is None:
            if worse_is_lower(name):
                raise EnsembleError(
                    f"state when {name} is a failure, e.g. --fail '{name}<6' (months)"
                )
            threshold = 5.0
        rule = FailureRule(name, "<" if worse_is_lower(name) else ">", float(threshold))
    values, columns, worst = outcome_values(frame, rule.outcome)
    failed = rule.apply(values)
    spread = variation(values, failed)
    x = frame[parameters].to_numpy(dtype=float)
    n = len(values)
    basis = "ens_fail_default" if rule.default else "ens_fail_stated"
    failure = {
        "outcome": rule.outcome,
        "columns": columns,
        "scope": "worst_of_columns" if len(columns) > 1 or columns[0] != rule.outcome else "column",
        "rule": rule.text,
        "op": rule.op,
        "threshold": rule.threshold,
        "default": rule.default,
        "basis": t(basis, "en", rule=rule.text),
        "runs": n,
        "failed": int(failed.sum()),
        "probability": float(failed.mean()) if n else float("nan"),
    }
    if len(columns) > 1:
        counts = np.bincount(worst, minlength=len(columns)) / max(n, 1)
        failure["worst_column_share"] = {c: float(v) for c, v in zip(columns, counts, strict=True)}
    out: dict = {
        "outcomes": percentiles(frame, outcomes),
        "failure": failure,
        "variation": spread,
    }
    if spread["varies"]:
        out["prim"] = [b.as_dict() for b in prim(x, failed, parameters, max_boxes=max_boxes)]
    else:
        out["prim"] = []
        out["prim_skipped"] = _note(
            f"ens_prim_{spread['reason']}",
            rule=rule.text,
            range=spread["range"],
            tolerance=VARIES_TOLERANCE,
            runs=n,
        )
    if method == "sobol":
        indices = sobol_indices(values, parameters, seed=seed)
        out["sobol"] = indices
        out["sobol_warnings"] = sobol_warnings(indices, n, len(parameters))
    return out
