"""oreshock's PRIM against EMA Workbench's on the same inputs.

oreshock keeps its own small PRIM (``oreshock.ensemble.analysis.prim``) rather than depend on
ema-workbench at run time (it pulls in scikit-learn, statsmodels, seaborn and platypus), and
this test holds it to the library's answer. Both peel ``alpha = 0.05`` off one side of one
parameter at a time, the peel with the highest share of failures in the box (EMA's
``ORIGINAL`` objective), down to a mass of 0.05, and the box with the best harmonic mean of
coverage and density is taken from each trajectory.

Tolerances, fixed before the comparison was first run: the same restricted parameters;
each box limit within 0.05 (one peel of the unit range; EMA's limits are peel quantiles,
ours the extreme values inside the box, and EMA ends with a pasting phase that ours lacks);
coverage, density and mass within 0.05.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from oreshock.ensemble.analysis import prim

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # ema_workbench warns that ipyparallel is not installed
    from ema_workbench.analysis import prim as ema_prim

LIMIT_TOL = 0.05
STAT_TOL = 0.05


def ema_best_box(x: np.ndarray, y: np.ndarray, names: list[str]) -> dict:
    """EMA Workbench's first box, chosen from its trajectory as oreshock chooses."""
    logging.getLogger("EMA").setLevel(logging.WARNING)
    frame = pd.DataFrame(x, columns=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library's own pandas deprecation warnings
        p = ema_prim.Prim(
            frame,
            y.astype(int),
            threshold=0.5,  # y is 0/1: counts y >= 0.5 as failures; the box needs density >= 0.5
            obj_function=ema_prim.PRIMObjectiveFunctions.ORIGINAL,
            peel_alpha=0.05,
            mass_min=0.05,
        )
        box = p.find_box()
    traj = box.peeling_trajectory
    cov, dens = traj["coverage"].to_numpy(), traj["density"].to_numpy()
    score = np.where(cov + dens > 0, 2 * cov * dens / np.maximum(cov + dens, 1e-300), 0.0)
    i = int(np.argmax(score))
    lims = box.box_lims[i]
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    limits = {
        n: (float(lims.loc[0, n]), float(lims.loc[1, n]))
        for j, n in enumerate(names)
        if lims.loc[0, n] > full_lo[j] or lims.loc[1, n] < full_hi[j]
    }
    return {
        "limits": limits,
        "coverage": float(cov[i]),
        "density": float(dens[i]),
        "mass": float(traj["mass"].iloc[i]),
    }


def planted(seed: int, n: int, k: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, k))
    y = (x[:, 0] > 0.7) & (x[:, 1] < 0.4)
    flip = rng.uniform(size=n) < noise
    return x, y ^ flip


def scaled_one_sided(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameters on their own scales (a share, months, tonnes); failure on one side of two."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.uniform(0, 1, 2000), rng.uniform(1, 12, 2000), rng.uniform(0, 5e4, 2000)]
    )
    y = (x[:, 1] > 8) & (x[:, 2] < 2e4)
    return x, y


CASES = {
    "planted box": planted(1, 3000, 3, 0.0),
    "planted box, 10% labels flipped": planted(2, 3000, 4, 0.1),
    "scaled parameters": scaled_one_sided(3),
}


@pytest.mark.parametrize("case", list(CASES))
def test_prim_matches_ema_workbench(case):
    x, y = CASES[case]
    names = [f"p{j}" for j in range(x.shape[1])]
    ours = prim(x, y, names, alpha=0.05, min_mass=0.05, max_boxes=1)[0]
    ref = ema_best_box(x, y, names)
    assert set(ours.limits) == set(ref["limits"]), (ours.limits, ref["limits"])
    span = x.max(axis=0) - x.min(axis=0)
    for j, name in enumerate(names):
        if name not in ours.limits:
            continue
        for mine, theirs in zip(ours.limits[name], ref["limits"][name], strict=True):
            assert abs(mine - theirs) <= LIMIT_TOL * span[j], (name, ours.limits, ref["limits"])
    assert ours.coverage == pytest.approx(ref["coverage"], abs=STAT_TOL)
    assert ours.density == pytest.approx(ref["density"], abs=STAT_TOL)
    assert ours.mass == pytest.approx(ref["mass"], abs=STAT_TOL)
