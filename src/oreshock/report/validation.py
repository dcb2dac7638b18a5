"""docs/validation.md: every episode, its checks, and the monthly record beside the model;
then the impact of a sustained rare-earth cut on Japan's GDP beside published estimates.

Written by ``python -m oreshock.report.validation`` from fresh runs of the shipped episodes,
so the page shows what the model gives now; each monthly comparison is also a chart
(docs/validation/*.svg: the model as a line, the record as dots). tests/test_backtest.py
checks the page and the charts are current.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from oreshock.backtest.checks import monthly_exports, observed_monthly, price_ratios
from oreshock.backtest.episodes import ExportsRatio, PriceRatio, shipped_episodes
from oreshock.backtest.observations import load_observations
from oreshock.backtest.runner import EpisodeResult, run_episode
from oreshock.core.i18n import t
from oreshock.core.serialize import markdown_table
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.impact.embodied import embodied_share
from oreshock.impact.published import TOLERANCE, compare
from oreshock.impact.tables import load_table
from oreshock.model.metrics import demand_share
from oreshock.model.network import Network, build_network
from oreshock.report.charts import line_chart
from oreshock.report.text import Names

CHARTS = "validation"  # folder of the charts, beside validation.md


def _fmt(value: float | None) -> str:
    return "none / なし" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _checks(res: EpisodeResult) -> str:
    rows = [
        {
            "check / 検証項目": f"{c.text_en} / {c.text_ja}",
            "unit": c.unit,
            "observed / 実績": _fmt(c.observed),
            "model / モデル": _fmt(c.model),
            "tolerance / 許容幅": c.tolerance_text,
            "result / 結果": ("pass / 合格" if c.passed else "FAIL / 不合格"),
            "fitted on it / 較正": ("yes / 使用" if c.in_sample else "no / 不使用"),
            "source": c.source,
        }
        for c in res.checks
    ]
    return markdown_table(pd.DataFrame(rows))


def _comparison(model: pd.Series, observed: pd.Series, title: str, unit: str) -> tuple[str, str]:
    """A monthly table (months the record has) and a chart (every month of the run)."""
    frame = pd.DataFrame({"model / モデル": model, "observed / 実績": observed})
    table = markdown_table(
        frame[frame["observed / 実績"].notna()].round(2).reset_index(names="month / 月")
    )
    labels = list(model.index)
    dots = {labels.index(m): float(v) for m, v in observed.items() if m in labels and pd.notna(v)}
    svg = line_chart(
        {"model / モデル": [float(v) for v in model.fillna(0.0)]},
        labels,
        title,
        unit,
        points={"observed / 実績": dots},
    )
    return table, svg


def _exports(res: EpisodeResult, check: ExportsRatio, obs: pd.DataFrame) -> tuple[str, str]:
    model = monthly_exports(check, res.result, res.flows, res.episode.control_start)
    observed = observed_monthly(check, res.episode, obs)
    title = f"{check.exporter} -> {check.partner}, {check.mineral}"
    return _comparison(model, observed, title, "ratio / 比")


def _prices(res: EpisodeResult, check: PriceRatio, obs: pd.DataFrame) -> tuple[str, str]:
    """The price over the check's reference: the model's index and the record's USD/kg."""
    ratios = price_ratios(check, res.episode, res.result, obs)
    title = f"{check.mineral} {check.stage} {check.region}: {check.observed_as}"
    observed = ratios.observed.groupby(level=0).mean()
    return _comparison(ratios.model, observed, title, "price ratio / 価格比")


def _figures(res: EpisodeResult, observations: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """(name, caption, table, svg) per route of the exports checks and per price check."""
    out: list[tuple[str, str, str, str]] = []
    shown: set[tuple[str, ...]] = set()
    for check in res.episode.checks:
        if isinstance(check, ExportsRatio):
            route = (check.exporter, check.partner, check.mineral, check.stage, check.record)
            if route in shown:
                continue
            shown.add(route)
            caption = (
                f"{check.exporter} -> {check.partner}, {check.mineral}: monthly; the model as a "
                "ratio to its months before the control, the record to the check's reference "
                "months (月次。モデルは規制前の月平均比、実績は基準月比)"
            )
            out.append((check.name, caption, *_exports(res, check, observations)))
        elif isinstance(check, PriceRatio):
            reference = str(check.reference or check.reference_usd_kg)
            key = (check.mineral, check.stage, check.region, check.observed_as, reference)
            if key in shown:
                continue
            shown.add(key)
            caption = (
                f"{check.mineral} {check.stage}, {check.region}: price over the reference, the "
                f"model's index beside the record's {check.observed_as} (価格の基準比。モデルの"
                "指数と実績)"
            )
            out.append((check.name, caption, *_prices(res, check, observations)))
    return out


def episode_section(res: EpisodeResult, observations: pd.DataFrame) -> str:
    ep = res.episode
    parts = [
        f"## {ep.title_en} / {ep.title_ja}",
        f"`{ep.id}`: data of {ep.base_year} ({ep.base_year}年のデータ); the control from "
        f"{ep.control_start}.",
        _checks(res),
    ]
    for c in res.checks:
        if c.known_failure:
            parts.append(f"- {c.name}: {c.known_failure}")
    if ep.calibrated:
        parts.append(f"{t('bt_calibrated', 'en')} / {t('bt_calibrated', 'ja')}:")
        parts += [f"- {c.parameter} = {c.value} ({c.fitted_on})" for c in ep.calibrated]
    for name, caption, table, _ in _figures(res, observations):
        parts += [caption, f"![{name}]({CHARTS}/{ep.id}--{name}.svg)", table]
    parts += [ep.notes_en.strip(), ep.notes_ja.strip()]
    if res.notices_en:
        parts += [f"- {n}" for n in res.notices_en]
    return "\n\n".join(p for p in parts if p)


def _results() -> list[EpisodeResult]:
    return [run_episode(name, store=False) for name in shipped_episodes()]


def validation_markdown(results: list[EpisodeResult] | None = None) -> str:
    observations = load_observations()
    sections = [
        "# Back-tests / バックテスト",
        "<!-- Generated by `python -m oreshock.report.validation`; tests/test_backtest.py "
        "checks it is current. -->",
        t("bt_intro", "en"),
        t("bt_intro", "ja"),
    ]
    for res in results if results is not None else _results():
        sections.append(episode_section(res, observations))
    dataset = load_dataset()
    network = build_network(dataset)
    sections.append(impact_section(dataset, network))
    sections.append(embodied_section(dataset, network))
    return "\n\n".join(sections) + "\n"


EMBODIED_GROUP = "g7plus"


def embodied_section(dataset: Dataset, network: Network) -> str:
    """The group's share of world demand on both bases beside the figure quoted for it."""
    first = demand_share(network, EMBODIED_GROUP)
    emb = embodied_share(network, dataset, load_table(), EMBODIED_GROUP)
    en, ja = Names(dataset, "en"), Names(dataset, "ja")
    rows = [
        f"| {en.mineral(m)} / {ja.mineral(m)} | {100 * first['by_mineral'][m]:.1f} | {100 * v:.1f} | "
        f"{100 * emb['coverage']['placed_in_industries'][m]:.0f} |"
        for m, v in emb["by_mineral"].items()
    ]
    rows.append(f"| mean / 平均 | {100 * first['share']:.1f} | {100 * emb['share']:.1f} | |")
    values = {
        "group": EMBODIED_GROUP,
        "first": 100 * first["share"],
        "embodied": 100 * emb["share"],
        "final": 100 * emb["share_of_world_final_demand"],
    }
    return "\n\n".join(
        [
            "## " + t("ev_heading", "en") + " / " + t("ev_heading", "ja"),
            t("ev_intro", "en", **values),
            t("ev_intro", "ja", **values),
            "\n".join(
                [
                    "| mineral / 鉱物 | first use / 最初の使用地 % | embodied / 最終財に体化 % "
                    "| placed in industries / 産業に配分 % |",
                    "| --- | --- | --- | --- |",
                    *rows,
                ]
            ),
        ]
    )


def impact_section(dataset: Dataset, network: Network) -> str:
    """Japan's GDP loss from a sustained rare-earth cut beside the published estimates."""
    comparisons = compare(dataset, network, load_table())
    head = [
        "## " + t("iv_heading", "en") + " / " + t("iv_heading", "ja"),
        t("iv_intro", "en", tolerance=TOLERANCE),
        t("iv_intro", "ja", tolerance=TOLERANCE),
        "| case / ケース | published / 公表値 (% of annual GDP) | band / 許容幅 | dynamic / 動学 "
        "| Leontief | Ghosh | direct / 直接 | result / 結果 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows, notes = [], []
    for c in comparisons:
        figures = "; ".join(f"{p['publisher']} {p['value_pct']:g} [{p['source_id']}]"
                            for p in c.published)  # fmt: skip
        result = "pass / 合格" if c.passed else "FAIL / 不合格"
        m = c.model
        rows.append(
            f"| {c.variant} | {figures} | {c.low:.3f}–{c.high:.3f} | {m['dynamic']:.3f} | "
            f"{m['leontief']:.3f} | {m['ghosh']:.3f} | {m['direct']:.3f} | {result} |"
        )
        if not c.passed:
            key = "iv_why_none" if c.tonnes_short == 0 else "iv_why_low"
            inside = [m for m in ("leontief", "ghosh", "direct") if c.within(m)]
            for lang in ("en", "ja"):
                also = (
                    t(
                        "iv_within",
                        lang,
                        methods=", ".join(t(f"imp_method_{m}", lang) for m in inside),
                    )
                    if inside
                    else ""
                )
                why = t(key, lang, share=c.share_valued, month=c.first_short_month)
                notes.append(f"- {c.variant}: {why} {also}".rstrip())
    return "\n\n".join(["\n".join(head[:3]), "\n".join(head[3:] + rows), "\n".join(notes)])


def validation_charts(results: list[EpisodeResult] | None = None) -> dict[str, str]:
    """File name (in docs/validation/) -> SVG, for every chart the page links."""
    observations = load_observations()
    return {
        f"{res.episode.id}--{name}.svg": svg
        for res in (results if results is not None else _results())
        for name, _, _, svg in _figures(res, observations)
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/validation.md")
    results = _results()
    target.write_text(validation_markdown(results), encoding="utf-8")
    folder = target.parent / CHARTS
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.svg"):
        old.unlink()
    for name, svg in validation_charts(results).items():
        (folder / name).write_text(svg, encoding="utf-8")
    print(f"wrote {target} and {folder}")


if __name__ == "__main__":
    main()
