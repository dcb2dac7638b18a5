"""Outcomes of a run from its paths: months to first shortfall, peak and cumulative shortfall.

Pure numpy over arrays shaped [T, B, ...] so single runs and ensembles share one definition.
``months_to_shortfall`` counts months from the scenario start to the first month whose
shortfall exceeds ``threshold`` x that month's demand (0 = the first month); -1 when never.
"""

from __future__ import annotations

import numpy as np

NEVER = -1


def months_to_shortfall(shortfall: np.ndarray, demand: np.ndarray, threshold: float) -> np.ndarray:
    """First month index with shortfall above threshold x demand, along axis 0; -1 if none."""
    hit = shortfall > threshold * demand + 1e-9
    first = np.argmax(hit, axis=0)
    return np.where(hit.any(axis=0), first, NEVER)


def peak_shortfall_pct(shortfall: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Largest monthly shortfall as percent of that month's demand."""
    ratio = np.divide(shortfall, demand, out=np.zeros_like(shortfall), where=demand > 0)
    return 100.0 * ratio.max(axis=0)


def cumulative_shortfall_pct(shortfall: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Shortfall over the horizon as percent of demand over the horizon."""
    total = demand.sum(axis=0)
    return 100.0 * np.divide(
        shortfall.sum(axis=0), total, out=np.zeros_like(total), where=total > 0
    )
