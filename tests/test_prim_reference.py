"""oreshock's PRIM against EMA Workbench's on the same inputs.

oreshock keeps its own small PRIM (``oreshock.ensemble.analysis.prim``) rather than depend on
ema-workbench at run time (it pulls in scikit-learn, statsmodels, seaborn and platypus), and
this test holds it to the library's answer, stored by ``tests/reference/prim_ema.py`` (run
there with ema-workbench 2.5.3; the inputs are regenerated here from the same seeds). Both peel ``alpha = 0.05`` off one side of one
parameter at a time, the peel with the highest share of failures in the box (EMA's
``ORIGINAL`` objective), down to a mass of 0.05, and the box with the best harmonic mean of
coverage and density is taken from each trajectory.

Tolerances, fixed before the comparison was first run: the same restricted parameters;
each box limit within 0.05 (one peel of the unit range; EMA's limits are peel quantiles,
ours the extreme values inside the box, and EMA ends with a pasting phase that ours lacks);
coverage, density and mass within 0.05.
"""

from __future__ import annotations

import json

import pytest

from oreshock.ensemble.analysis import prim
from tests.reference.prim_ema import CASES, STORED, names_of

LIMIT_TOL = 0.05
STAT_TOL = 0.05


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(STORED.read_text(encoding="utf-8"))["boxes"]


@pytest.mark.parametrize("case", list(CASES))
def test_prim_matches_ema_workbench(case, reference):
    x, y = CASES[case]
    names = names_of(x)
    ours = prim(x, y, names, alpha=0.05, min_mass=0.05, max_boxes=1)[0]
    ref = reference[case]
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
