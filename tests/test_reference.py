"""Headline figures pinned: every shipped variant reproduces the stored reference results.

A change that moves any of these figures fails here; if the move is intended, regenerate the
files with ``python -m tests.reference.build`` and update the README and docs in the same
commit, saying why. Integer and text columns must match exactly; tonnes and percentages to
1e-9 relative (the engine's arithmetic is deterministic, so only a reordering of floating-point
sums may move a value, and then by a few ulps).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.reference.build import frames

HERE = Path(__file__).parent / "reference"
STEMS = ("summary", "timeseries", "flows", "sectors", "flagship", "impact")


@pytest.fixture(scope="module")
def current() -> dict[str, pd.DataFrame]:
    return frames()


@pytest.mark.parametrize("stem", STEMS)
def test_matches_stored_reference(current, stem):
    stored = pd.read_parquet(HERE / f"{stem}.parquet")
    now = current[stem].reset_index(drop=True)
    assert list(now.columns) == list(stored.columns), f"{stem}: columns changed"
    assert len(now) == len(stored), f"{stem}: {len(now)} rows now, {len(stored)} stored"
    pd.testing.assert_frame_equal(
        now, stored, check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-9
    )
