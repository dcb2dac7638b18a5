"""EMA Workbench's PRIM boxes on fixed inputs, stored for tests/test_prim_reference.py.

oreshock keeps its own small PRIM (``oreshock.ensemble.analysis.prim``) and holds it to EMA
Workbench's answer on the same inputs. The library's boxes are computed once by this script
and stored in ``prim_ema.json``, so the test suite needs no ema-workbench: the library pulls in
scikit-learn, statsmodels, seaborn and platypus-opt, which is GPL-3 and imported whenever
``ema_workbench.analysis.prim`` is, and oreshock's environments install nothing under the GPL.
To recompute (in a scratch environment):

    pip install ema-workbench==2.5.3 && python -m tests.reference.prim_ema
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

STORED = Path(__file__).parent / "prim_ema.json"


def ema_best_box(x: np.ndarray, y: np.ndarray, names: list[str]) -> dict:
    """EMA Workbench's first box, chosen from its trajectory as oreshock chooses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ema_workbench warns that ipyparallel is not installed
        from ema_workbench.analysis import prim as ema_prim  # only when recomputing

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


def names_of(x: np.ndarray) -> list[str]:
    return [f"p{j}" for j in range(x.shape[1])]


def main() -> None:
    import ema_workbench

    boxes = {case: ema_best_box(x, y, names_of(x)) for case, (x, y) in CASES.items()}
    record = {"ema_workbench": ema_workbench.__version__, "numpy": np.__version__, "boxes": boxes}
    STORED.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {STORED}")


if __name__ == "__main__":
    main()
