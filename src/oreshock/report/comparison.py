"""A scenario's variants compared in words: the flagship table and the claim as a sentence.

The numbers come from ``oreshock.model.variants`` (``claim_check``, ``worst_sectors``); this
module only labels and phrases them in a language, so the CLI, the reference results and the
reports show the same table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from oreshock.core.i18n import t
from oreshock.model.simulate import RunResult
from oreshock.model.variants import worst_sectors


def comparison_table(
    results: list[RunResult],
    country: str,
    mineral: str,
    lang: str = "en",
    stage_names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The flagship table: per variant, months to first shortfall at each stage, the worst
    stage's cumulative shortfall, and the end use hit first (names in ``lang``)."""
    names = stage_names or {}
    rows = []
    for result in results:
        if mineral not in result.runs or country not in result.runs[mineral].chain.countries:
            continue
        summary = result.summary([country])
        summary = summary[summary["mineral"] == mineral]
        if summary.empty:
            continue
        row: dict[str, Any] = {t("variant", lang): result.scenario.variant or "base"}
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


def claim_line(
    check: dict[str, Any], lang: str = "en", stage_names: dict[str, str] | None = None
) -> str:
    """One sentence saying whether the claim holds in a run, from ``claim_check``."""
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
