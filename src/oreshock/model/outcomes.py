"""Outcomes of a run from its paths: months to first shortfall, peak and cumulative shortfall.

Pure numpy over arrays shaped [T, B, ...] so single runs and ensembles share one definition.
``months_to_shortfall`` counts months from the scenario start to the first month whose
shortfall exceeds ``threshold`` x that month's demand (0 = the first month); -1 when never.

A shortfall below ``TOLERANCE`` of demand (a billionth) is floating-point noise of the
engine's sums, not a shortage: the percentages report it as exactly 0, so no table, report or
ensemble ever lists 1e-14 % as a shortfall (docs/model.md, section 4).
"""

from __future__ import annotations

import numpy as np

NEVER = -1
# Shortfall below this share of demand is noise and counts as none (1e-9 = 1e-7 %).
TOLERANCE = 1e-9
# First end uses whose cumulative shortfall differs by less than this (percentage points)
# and that fall short in the same month are tied: half the 0.1 resolution of the tables.
TIE_TOLERANCE_PCT = 0.05


def months_to_shortfall(shortfall: np.ndarray, demand: np.ndarray, threshold: float) -> np.ndarray:
    """First month index with shortfall above threshold x demand, along axis 0; -1 if none."""
    hit = shortfall > threshold * demand + 1e-9
    hit &= shortfall > TOLERANCE * demand
    first = np.argmax(hit, axis=0)
    return np.where(hit.any(axis=0), first, NEVER)


def _clean(ratio: np.ndarray) -> np.ndarray:
    """Ratios of shortfall to demand with noise below ``TOLERANCE`` set to exactly 0."""
    return np.where(ratio < TOLERANCE, 0.0, ratio)


def shortfall_pct_path(shortfall: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Each month's shortfall as percent of that month's demand (0 below the tolerance, and
    where there is no demand): the path whose largest value is ``peak_shortfall_pct``."""
    ratio = np.divide(shortfall, demand, out=np.zeros_like(shortfall), where=demand > 0)
    return 100.0 * _clean(ratio)


def peak_shortfall_pct(shortfall: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Largest monthly shortfall as percent of that month's demand (0 below the tolerance)."""
    return shortfall_pct_path(shortfall, demand).max(axis=0)


def cumulative_shortfall_pct(shortfall: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Shortfall over the horizon as percent of demand over the horizon (0 below the
    tolerance)."""
    total = demand.sum(axis=0)
    ratio = np.divide(shortfall.sum(axis=0), total, out=np.zeros_like(total), where=total > 0)
    return 100.0 * _clean(ratio)
