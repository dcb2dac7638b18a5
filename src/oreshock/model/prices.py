"""Price regions and base-year prices: what the engine's price index is multiplied by.

The engine moves one price index per chain, stage and region (``rules.price_index``). Two
regions are enough for the controls this tool is about: inside China, where blocked exports
stay and pile up, and outside China, where the missing supply is felt. In 2023 and 2025 the
two moved apart (gallium in-warehouse China about 285 USD/kg against 425 in Rotterdam in
September 2023; dysprosium oxide about 225 inside China against 850 in Europe in May 2025),
which one world index cannot show.

A chain's base price per stage and region comes from the dataset's ``prices`` table (USD/kg,
base year): the row for the region where the table has one (``CHN`` for inside China), else
the world (``WLD``) row. A stage without a price row has none (NaN): its index is still
computed and reported, its USD price is not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INSIDE = "CHN"
OUTSIDE = "ROW"
REGIONS = (INSIDE, OUTSIDE)
REGION_NAMES = {
    INSIDE: {"en": "China (domestic market)", "ja": "中国国内市場"},
    OUTSIDE: {"en": "Outside China", "ja": "中国国外"},
}


def region_of(countries: tuple[str, ...]) -> np.ndarray:
    """(C,) region index of each country: 0 for China, 1 for every other country."""
    return np.array([0 if c == INSIDE else 1 for c in countries], dtype=int)


def region_mask(countries: tuple[str, ...]) -> np.ndarray:
    """(R, C) 1 where a country belongs to a region: sums over a region are ``mask @ x``."""
    mask = np.zeros((len(REGIONS), len(countries)))
    mask[region_of(countries), np.arange(len(countries))] = 1.0
    return mask


def base_prices(prices: pd.DataFrame, mineral: str, stages: tuple[str, ...]) -> np.ndarray:
    """(R, S) base-year price in USD/kg of each stage of ``mineral`` by region, NaN where the
    ``prices`` table has no row for the stage."""
    out = np.full((len(REGIONS), len(stages)), np.nan)
    rows = prices[(prices["mineral"] == mineral) & (prices["unit"] == "USD/kg")]
    for s, stage in enumerate(stages):
        at_stage = rows[rows["stage"] == stage]
        by_region = dict(zip(at_stage["region"], at_stage["value"].astype(float), strict=True))
        world = by_region.get("WLD", np.nan)
        out[0, s] = by_region.get(INSIDE, world)
        out[1, s] = world if not np.isnan(world) else by_region.get(INSIDE, np.nan)
    return out
