"""The report of a plan: what to buy and build, what it costs, who pays under each rule, and
how it held in the engine, in the reader's language with names instead of ids.

It reads a plan's record (``Plan.record()``, the object ``oreshock plan --json`` prints and
the store keeps), so a stored plan and a fresh one give the same page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oreshock.core.atomic import write_file, write_text
from oreshock.core.errors import OreshockError
from oreshock.core.i18n import t
from oreshock.data.datasets import Dataset
from oreshock.report.builder import FORMATS, check_paper, html_to_pdf, render_template
from oreshock.report.charts import bar_chart, line_chart
from oreshock.report.text import Names

RULES = ("shapley", "demand", "benefit")


def item_holder(item: dict[str, Any], words: Names, lang: str) -> str:
    """Who holds a stockpile (a member or the coalition) or where a plant is built."""
    if item["kind"] in ("capacity", "recycling"):
        return t("plan_plant", lang, country=words.country(item["country"]), name=item["project"])
    if item["holder"] == "joint":
        return t("plan_joint", lang)
    return words.country(item["holder"])


def item_product(item: dict[str, Any], words: Names) -> str:
    """Products (a plant may make several) and their stage, by name."""
    products = str(item["product"]).split(";")
    named = ", ".join(words.mineral(p) for p in products)
    stages = words.stages_of(products[0])
    if len(stages) == 1:  # a one-stage chain (magnets): its product's name says it all
        return named
    return f"{named}: {stages.get(item['stage'], item['stage'])}"


def million(usd: float | None) -> str:
    """USD as millions with one decimal ("–" for a figure that could not be computed)."""
    return "–" if usd is None else f"{usd / 1e6:,.1f}"


def share(value: float) -> str:
    """A share of demand as a percentage, without rounding 2.5% to 2% or 3%."""
    return f"{value * 100:.3g}%"


def risk(name: str, lang: str) -> str:
    """The planning risk (worst, expected, cvar) in the language."""
    return t(f"plan_risk_{name}", lang)


def _shares(record: dict[str, Any], words: Names, lang: str) -> list[dict[str, str]]:
    rows = []
    for m in record["members"]:
        row = {"member": words.country(m)}
        for rule in RULES:
            row[rule] = million(record["shares"][rule][m])
        row["standalone"] = million(record["standalone_cost_usd"][m])
        row["dual"] = (
            f"{round(record['cap_duals'].get(m, 0.0) / 1e6, 2) + 0.0:,.2f}"  # + 0.0: no "-0.00"
        )
        rows.append(row)
    return rows


def _verification(record: dict[str, Any], words: Names) -> list[dict[str, str]]:
    checked = record.get("verify")
    if not checked:
        return []
    return [
        {
            "member": words.country(m),
            "exceed": f"{100 * checked['exceed_probability'][m]:.1f}",
            "worst": f"{checked['max_cumulative_shortfall_pct'][m]:.1f}",
            "engine": f"{checked['engine_mean_shortfall_pct'][m]:.1f}",
            "program": f"{checked['program_mean_shortfall_pct'][m]:.1f}",
        }
        for m in record["members"]
    ]


def _charts(record: dict[str, Any], words: Names, lang: str) -> list[str]:
    unit = t("plan_million_usd", lang)
    split = {
        words.country(m): {
            t(f"plan_rule_{rule}", lang): record["shares"][rule][m] / 1e6 for rule in RULES
        }
        for m in record["members"]
    }
    charts = [bar_chart(split, t("plan_shares_chart", lang), unit)]
    curve = sorted(record.get("curve") or [], key=lambda p: -p["cap"])
    if len(curve) > 1:
        charts.append(
            line_chart(
                {t("plan_total", lang): [p["total_cost_usd"] / 1e6 for p in curve]},
                [f"{p['cap']:.0%}" for p in curve],
                t("plan_curve_chart", lang),
                unit,
            )
        )
    return charts


def plan_data(record: dict[str, Any], dataset: Dataset, lang: str) -> dict[str, Any]:
    """What the page shows, every name in the reader's language."""
    words = Names(dataset, lang)
    return {
        "lang": lang,
        "plan_id": record.get("plan_id") or "–",
        "members": ", ".join(words.country(m) for m in record["members"]),
        "headline": t(
            "plan_header",
            lang,
            cost=million(record["total_cost_usd"]),
            cap=share(record["cap"]),
            risk=risk(record["risk"], lang),
            n=record.get("scenarios") or "–",
        ),
        "bought": [
            {
                "holder": item_holder(i, words, lang),
                "product": item_product(i, words),
                "tonnes": f"{i['quantity_t']:,.0f}",
                "cost": million(i["cost_usd"]),
            }
            for i in record["items"]
        ],
        "shares": _shares(record, words, lang),
        "verification": _verification(record, words),
        "verify_scenarios": (record.get("verify") or {}).get("scenarios"),
        "charts": _charts(record, words, lang),
        "dataset": f"{dataset.name} {dataset.version}",
    }


def render_plan_html(data: dict[str, Any], paper: str = "a4") -> str:
    """The standalone page (inline SVG and CSS, nothing fetched), sized for ``paper``."""
    return render_template("plan.html", data, paper)


def write_plan_report(
    record: dict[str, Any],
    out: str | Path,
    dataset: Dataset,
    *,
    lang: str = "en",
    fmt: str = "html",
    paper: str = "a4",
) -> Path:
    """Write the report of a plan as HTML or PDF (on ``paper``), whole or not at all."""
    if fmt not in FORMATS:
        raise OreshockError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    check_paper(paper)
    html = render_plan_html(plan_data(record, dataset, lang), paper)
    if fmt == "pdf":
        return write_file(out, lambda tmp: html_to_pdf(html, tmp))
    return write_text(out, html)
