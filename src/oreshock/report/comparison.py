"""A scenario's variants compared in words: the flagship table and the claim as a sentence;
and what makes stored runs hard to compare (``mismatch_notes``: horizons or datasets that
differ), which `oreshock runs compare`, the API's compare and the dashboard all show.

The numbers come from ``oreshock.model.variants`` (``claim_check``, ``worst_sectors``); this
module only labels and phrases them in a language, so the CLI, the reference results and the
reports show the same table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from oreshock.core.i18n import t
from oreshock.model.outcomes import TIE_TOLERANCE_PCT, TOLERANCE
from oreshock.model.simulate import RunResult
from oreshock.model.variants import claim_check, claim_from_shares, first_hit, worst_stage


def comparison_table(
    results: list[RunResult],
    country: str,
    mineral: str,
    lang: str = "en",
    stage_names: dict[str, str] | None = None,
    ranges: Sequence[Mapping[str, tuple[int | None, int | None]] | None] | None = None,
) -> pd.DataFrame:
    """The flagship table: per variant, months to first shortfall at each stage, the worst
    stage's cumulative shortfall and which stage that is, and the end use hit first (every
    one of them when several tie; names in ``lang``). ``attrs["caption"]`` says what each
    figure is (the threshold of a shortfall month, the horizon, the tolerances): print it
    with the table. ``ranges`` (one per result, stage -> (P5, P95), None for never) turns each
    month into ``central (P5–P95)``."""
    names = stage_names or {}
    rows = []
    for k, result in enumerate(results):
        spread = ranges[k] if ranges is not None else None
        if mineral not in result.runs or country not in result.runs[mineral].chain.countries:
            continue
        summary = result.summary([country])
        summary = summary[summary["mineral"] == mineral]
        if summary.empty:
            continue
        row: dict[str, Any] = {t("variant", lang): result.scenario.variant or "base"}
        for _, r in summary.iterrows():
            first = r["months_to_shortfall"]
            cell: int | str = t("never", lang) if pd.isna(first) else int(first)
            if spread is not None and r["stage"] in spread:
                cell = with_range(cell, spread[r["stage"]], lang)
            row[names.get(r["stage"], r["stage"])] = cell
        worst = worst_stage(summary)
        row[t("cumulative_worst_pct", lang)] = round(worst["pct"], 1)
        row[t("worst_stage", lang)] = (
            ", ".join(names.get(s, s) for s in worst["stages"]) if worst["pct"] > 0 else "–"
        )
        row[t("worst_hit", lang)] = _first_hit_label(result, country, mineral, lang)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["caption"] = comparison_caption(results, lang)
    return table


def with_range(central: int | str, spread: tuple[int | None, int | None], lang: str) -> str:
    """``3 (2–5)``: the central run's month and the P5–P95 of the sampled runs ("never" for a
    percentile beyond the horizon)."""
    low, high = (t("never", lang) if x is None else str(x) for x in spread)
    return f"{central} ({low}–{high})"


def _first_hit_label(result: RunResult, country: str, mineral: str, lang: str) -> str:
    """The end use of ``mineral`` hit first, or all tied ones as "several: A; B"; "–" when
    none is hit. Only that chain's end uses count: a product's table must not name another
    product's end use (the catalysts of La/Ce in the NdFeB table)."""
    alone = RunResult(result.scenario, result.network, {mineral: result.runs[mineral]}, result.seed)
    hit = first_hit(alone, country)
    if hit.empty:
        return "–"
    labels = list(dict.fromkeys(hit[f"name_{lang}"]))
    if len(labels) == 1:
        return labels[0]
    return t("tie_several", lang, names="; ".join(labels))


def comparison_caption(results: list[RunResult], lang: str = "en") -> str:
    """What the flagship table's figures are, in ``lang``: the shortfall threshold of
    months-to-shortfall, the horizon of the cumulative figure, and the tolerances."""
    scenario = results[0].scenario if results else None
    threshold = 100 * scenario.shortfall_threshold if scenario is not None else 1.0
    months = scenario.months if scenario is not None else 0
    return t(
        "flagship_caption",
        lang,
        threshold=threshold,
        months=months,
        never=t("never", lang),
        tie=TIE_TOLERANCE_PCT,
        tol=f"{TOLERANCE:.0e}".replace("e-0", "e-"),
    )


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


def family_claim_check(
    result: RunResult, country: str, products: Sequence[str], month: int = 6, level: float = 90.0
) -> dict[str, Any]:
    """``claim_check`` over every product of a family at once, in its shape: the claim is
    about all of a country's rare-earth-using production, so it holds only when every final-use
    stage of every product is short by ``level`` %. Stages are keyed ``product:stage``
    (``family_stage_names`` labels them); products without final use in the country count
    for nothing either way."""
    pct: dict[str, float] = {}
    for product in products:
        if product in result.runs:
            check = claim_check(result, country, product, month, level)
            pct.update({f"{product}:{s}": v for s, v in check["by_stage"].items()})
    return claim_from_shares(pct, month, level)


def _dataset(record: Mapping[str, Any]) -> str:
    """A run's dataset as people name it: name and version, with its hash's start."""
    name = record.get("dataset_name") or "?"
    version = record.get("dataset_version") or "?"
    digest = str(record.get("dataset_hash") or "")[:8]
    return f"{name} {version}" + (f" ({digest})" if digest else "")


def mismatch_notes(records: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Why stored runs (their records, as ``Store.run`` returns them) are not comparable
    figure by figure: different horizons (totals over the horizon differ in length, and
    "never short" means within each one's horizon), different datasets (a difference may be
    the data's). Each note has its ``code`` and the text in English and Japanese."""
    notes = []
    horizons = sorted({int(r["months"]) for r in records if r.get("months") is not None})
    if len(horizons) > 1:
        listed = ", ".join(str(m) for m in horizons)
        notes.append(_both("cmp_horizons_differ", horizons=listed))
    datasets = sorted({_dataset(r) for r in records})
    hashes = {r.get("dataset_hash") for r in records}
    if len(hashes) > 1:
        notes.append(_both("cmp_datasets_differ", datasets="; ".join(datasets)))
    return notes


def _both(code: str, **fields: Any) -> dict[str, str]:
    return {"code": code, "en": t(code, "en", **fields), "ja": t(code, "ja", **fields)}
