"""Comparisons between a scenario's variants, and the check of a claim against a run.

The flagship question is whether "in six months Japan can make nothing": the claim holds in a
run when, in month 6 after the start, the country's shortfall is at least ``level`` percent
of demand at every stage with final use (every kind of rare-earth-using production).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oreshock.model.network import Network
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import RunResult, simulate


def run_variants(
    name_or_path: str,
    network: Network,
    *,
    variants: list[str] | None = None,
    months: int | None = None,
    seed: int = 0,
    progress=None,
) -> list[RunResult]:
    """Run the named variants (all of them, base first, when none are named)."""
    file = open_scenario(name_or_path)
    names: list[str | None] = list(variants) if variants else [None, *file.variants]
    results = []
    for name in names:
        overrides = {("months",): months} if months else None
        scenario = file.build(name, overrides)
        results.append(simulate(network, scenario, seed=seed))
        if progress:
            progress(name)
    return results


def claim_check(
    result: RunResult, country: str, mineral: str, month: int = 6, level: float = 90.0
) -> dict:
    """Whether the country's shortfall in ``month`` reaches ``level`` % at every final-use stage."""
    run = result.runs[mineral]
    ch = run.chain
    c = ch.countries.index(country)
    t = min(month, run.series["demand"].shape[0] - 1)
    demand = run.series["demand"][t, 0, c]
    short = run.series["shortfall"][t, 0, c]
    final_stages = [s for s in range(len(ch.stages)) if ch.final_use[c, s] > 0 and demand[s] > 0]
    pct = {ch.stages[s]: float(100 * short[s] / demand[s]) for s in final_stages}
    if not pct:
        return {
            "holds": False,
            "month": t,
            "by_stage": {},
            "least_stage": None,
            "least_pct": 0.0,
            "worst_stage": None,
            "worst_pct": 0.0,
        }
    least = min(pct, key=pct.get)
    worst = max(pct, key=pct.get)
    return {
        "holds": bool(pct[least] >= level),
        "month": t,
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
    """End uses hit first and hardest: earliest shortfall, then largest cumulative shortfall."""
    sectors = result.sectors(country)
    if sectors.empty:
        return sectors
    first = sectors["months_to_shortfall"].astype("float64").fillna(np.inf)
    order = np.lexsort((-sectors["cumulative_shortfall_pct"].to_numpy(), first.to_numpy()))
    hit = sectors.iloc[order]
    hit = hit[hit["cumulative_shortfall_pct"] > 0]
    return hit.head(top).reset_index(drop=True)


def comparison_table(
    results: list[RunResult],
    country: str,
    mineral: str,
    lang: str = "en",
    stage_names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The flagship table: per variant, months to first shortfall at each stage, the worst
    stage's cumulative shortfall, and the end use hit first (names in ``lang``)."""
    from oreshock.core.i18n import t

    names = stage_names or {}
    rows = []
    for result in results:
        if mineral not in result.runs or country not in result.runs[mineral].chain.countries:
            continue
        summary = result.summary([country])
        summary = summary[summary["mineral"] == mineral]
        if summary.empty:
            continue
        row: dict = {t("variant", lang): result.scenario.variant or "base"}
        for _, r in summary.iterrows():
            first = r["months_to_shortfall"]
            row[names.get(r["stage"], r["stage"])] = (
                t("never", lang) if pd.isna(first) else int(first)
            )
        row[t("cumulative_shortfall_pct", lang)] = round(
            float(summary["cumulative_shortfall_pct"].max()), 1
        )
        worst = worst_sectors(result, country, top=1)
        row[t("worst_hit", lang)] = ", ".join(worst[f"name_{lang}"]) if not worst.empty else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def claim_line(check: dict, lang: str = "en", stage_names: dict[str, str] | None = None) -> str:
    """One sentence saying whether the claim holds in a run, from ``claim_check``."""
    from oreshock.core.i18n import t

    names = stage_names or {}
    least = names.get(check["least_stage"], check["least_stage"])
    if check["holds"]:
        return t("claim_holds", lang, stage=least, pct=check["least_pct"])
    worst = names.get(check["worst_stage"], check["worst_stage"])
    return t(
        "claim_fails",
        lang,
        stage=least,
        kept=100 - check["least_pct"],
        worst=worst,
        pct=check["worst_pct"],
    )
