"""Comparisons between a scenario's variants, and the check of a claim against a run: numbers.

The flagship question is whether "in six months Japan can make nothing": the claim holds in a
run when, in month 6 after the start, the country's shortfall is at least ``level`` percent
of demand at every stage with final use (every kind of rare-earth-using production).

The same comparisons written in a language (the flagship table, the claim as a sentence) are
in ``oreshock.report.comparison``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from oreshock.model.network import Network
from oreshock.model.outcomes import TIE_TOLERANCE_PCT
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import RunResult, simulate


def run_variants(
    name_or_path: str,
    network: Network,
    *,
    variants: list[str] | None = None,
    months: int | None = None,
    seed: int = 0,
    progress: Callable[[str | None], object] | None = None,
) -> list[RunResult]:
    """Run the named variants (all of them, base first, when none are named)."""
    file = open_scenario(name_or_path)
    names: list[str | None] = list(variants) if variants else [None, *file.variants]
    results: list[RunResult] = []
    for name in names:
        overrides = {("months",): months} if months else None
        scenario = file.build(name, overrides)
        results.append(simulate(network, scenario, seed=seed))
        if progress:
            progress(name)
    return results


def claim_check(
    result: RunResult, country: str, mineral: str, month: int = 6, level: float = 90.0
) -> dict[str, Any]:
    """Whether the country's shortfall in ``month`` reaches ``level`` % at every final-use stage."""
    run = result.runs[mineral]
    ch = run.chain
    c = ch.countries.index(country)
    t = min(month, run.series["demand"].shape[0] - 1)
    demand = run.series["demand"][t, 0, c]
    short = run.series["shortfall"][t, 0, c]
    final_stages = [s for s in range(len(ch.stages)) if ch.final_use[c, s] > 0 and demand[s] > 0]
    pct = {ch.stages[s]: float(100 * short[s] / demand[s]) for s in final_stages}
    return claim_from_shares(pct, t, level)


def claim_from_shares(pct: dict[str, float], month: int, level: float) -> dict:
    """The claim's verdict from the shortfall % of each final-use stage in ``month``: it holds
    when the least-short stage is short by ``level`` % or more (never with no stage)."""
    if not pct:
        return {
            "holds": False,
            "month": month,
            "by_stage": {},
            "least_stage": None,
            "least_pct": 0.0,
            "worst_stage": None,
            "worst_pct": 0.0,
        }
    least = min(pct, key=pct.__getitem__)
    worst = max(pct, key=pct.__getitem__)
    return {
        "holds": bool(pct[least] >= level),
        "month": month,
        "level": level,
        "by_stage": pct,
        "least_stage": least,
        "least_pct": pct[least],
        "worst_stage": worst,
        "worst_pct": pct[worst],
    }


def variant_table(results: list[RunResult], country: str, mineral: str) -> pd.DataFrame:
    """One row per variant x stage for a country: first shortfall, peak and cumulative %."""
    frames = []
    for result in results:
        summary = result.summary([country])
        summary = summary[summary["mineral"] == mineral].copy()
        summary.insert(0, "variant", result.scenario.variant or "base")
        frames.append(summary)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def worst_sectors(result: RunResult, country: str, top: int = 3) -> pd.DataFrame:
    """End uses hit first and hardest: earliest shortfall, then largest cumulative shortfall.

    Sectors tied on both (see ``first_hit``) keep their table order: this is a ranking for a
    list, not a verdict on which one is first.
    """
    sectors = result.sectors(country)
    if sectors.empty:
        return sectors
    first = sectors["months_to_shortfall"].astype("float64").fillna(np.inf)
    order = np.lexsort((-sectors["cumulative_shortfall_pct"].to_numpy(), first.to_numpy()))
    hit = sectors.iloc[order]
    hit = hit[hit["cumulative_shortfall_pct"] > 0]
    return hit.head(top).reset_index(drop=True)


def first_hit(
    result: RunResult, country: str, tolerance: float = TIE_TOLERANCE_PCT
) -> pd.DataFrame:
    """Every end use that is hit first: the earliest month of shortfall, then the largest
    cumulative shortfall, with all sectors within ``tolerance`` percentage points of that
    largest one in the same month (a tie is all of them, never a tie-break). Empty when no
    end use falls short."""
    sectors = result.sectors(country)
    if sectors.empty:
        return sectors
    hit = sectors[
        sectors["months_to_shortfall"].notna() & (sectors["cumulative_shortfall_pct"] > 0)
    ]
    if hit.empty:
        return hit.reset_index(drop=True)
    month = hit["months_to_shortfall"].min()
    early = hit[hit["months_to_shortfall"] == month]
    best = early["cumulative_shortfall_pct"].max()
    return early[early["cumulative_shortfall_pct"] >= best - tolerance].reset_index(drop=True)


def worst_stage(summary: pd.DataFrame, tolerance: float = TIE_TOLERANCE_PCT) -> dict[str, Any]:
    """The stage(s) with the largest cumulative shortfall in one country's summary of one
    mineral: ``{"pct": value, "stages": [every stage within tolerance of it]}``."""
    if summary.empty:
        return {"pct": 0.0, "stages": []}
    pct = float(summary["cumulative_shortfall_pct"].max())
    near = summary[summary["cumulative_shortfall_pct"] >= pct - tolerance]
    return {"pct": pct, "stages": [str(s) for s in near["stage"]]}
