"""``oreshock impact RUN_ID``: a stored run's lost output, value added and GDP through an
input-output table; also what ``oreshock run --impact`` prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    friendly,
    out,
    print_frame,
    print_json,
    require_store,
)
from oreshock.cli.runs import reproduce_run
from oreshock.core.i18n import t
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.impact.assessment import DEFAULT_METHOD, METHODS, Impact, assess
from oreshock.impact.tables import load_table
from oreshock.report.text import Names
from oreshock.store.impacts import get_impact, save_impact
from oreshock.store.store import Store, check_target, open_read

TOP_COUNTRIES = 6
TOP_INDUSTRIES = 3

TableOpt = Annotated[
    str | None,
    typer.Option(
        "--table",
        help="Input-output table: a bundled name (default: the newest bundled), "
        "'pymrio-test', or the path of a pymrio folder or an EXIOBASE 3 / OECD ICIO / WIOD file.",
    ),
]
MethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        help="Measure shown: dynamic (input stocks, rationing, recovery), leontief (backward), "
        "ghosh (forward) or direct. All are computed and stored.",
    ),
]
UsdOpt = Annotated[
    float | None,
    typer.Option(
        "--usd-per-unit",
        help="US dollars in one unit of a table not in US dollars (e.g. 1.08e6 for M.EUR).",
        min=0.0,
    ),
]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise typer.BadParameter(f"expected one of {', '.join(METHODS)}, got {method!r}")
    return method


def compute(result, dataset: Dataset, table: str | None, usd_per_unit: float | None) -> Impact:
    """A run's impact on a table, every measure computed."""
    return assess(result, dataset, load_table(table, usd_per_unit))


def store_impact(db: Path | None, run_id: str, impact: Impact) -> dict[str, Any]:
    """The impact's record (every measure's figures) saved beside the run; returns it."""
    record = impact.to_json(run_id, DEFAULT_METHOD)
    with Store(db) as store:
        save_impact(store, run_id, record_with_methods(impact, run_id), impact.tidy())
    return record


def record_with_methods(impact: Impact, run_id: str) -> dict[str, Any]:
    """The stored record: the default measure's, plus every measure's countries."""
    record = impact.to_json(run_id, DEFAULT_METHOD)
    record["countries_by_method"] = {m: impact.countries(m) for m in impact.losses}
    return record


def for_method(record: dict[str, Any], method: str) -> dict[str, Any]:
    """The record as ``--json`` prints it for one measure."""
    shown = {k: v for k, v in record.items() if k != "countries_by_method"}
    by = record.get("countries_by_method") or {}
    if method != record.get("method") and method in by:
        shown["countries"] = by[method]
        shown["method"] = method
    return shown


def impact(
    run_id: Annotated[str, typer.Argument(help="Id of a stored run (`oreshock runs list`).")],
    table: TableOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    usd_per_unit: UsdOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Lost output and value added by country and industry, and the share of GDP over the
    horizon and in the worst quarter, of a stored run; stored with the run."""
    check_method(method)
    require_store(db, f"no run {run_id!r}")
    with open_read(db) as store:
        record = store.run(run_id)
    check_target(db)
    dataset = load_dataset(data)
    result = reproduce_run(record, data)
    found = compute(result, dataset, table, usd_per_unit)
    with Store(db) as store:
        save_impact(store, run_id, record_with_methods(found, run_id), found.tidy())
        stored = get_impact(store, run_id, found.table.name)
    shown = for_method(stored, method)
    if json_out:
        print_json(shown)
        return
    print_impact(shown, Names(dataset, lang), lang, dataset.base_year)


def region_name(code: str, names: Names, info: dict[str, Any] | None = None) -> str:
    """A table region by name: the dataset's name of the country or EU rest, the table's
    own name of a region the dataset does not list (Taiwan), or the rest of the world."""
    if code == "ROW":
        return names.country("OTH")
    if code in names.countries:
        return names.country(code)
    own = ((info or {}).get("region_names") or {}).get(code, {})
    return str(own.get(names.lang) or own.get("en") or code)


def country_table(record: dict[str, Any], names: Names, lang: str) -> pd.DataFrame:
    rows = record["countries"][:TOP_COUNTRIES]
    return pd.DataFrame(
        {
            t("country", lang): [
                region_name(r["country"], names, record["table_info"]) for r in rows
            ],
            t("imp_gdp_horizon", lang): [f"{r['gdp_loss_pct_horizon']:.3f}" for r in rows],
            t("imp_gdp_quarter", lang): [f"{r['gdp_loss_pct_worst_quarter']:.3f}" for r in rows],
            t("imp_va", lang): [f"{r['value_added_loss_usd'] / 1e9:,.1f}" for r in rows],
            t("imp_output", lang): [f"{r['output_loss_usd'] / 1e9:,.1f}" for r in rows],
        }
    )


def sector_table(country: dict[str, Any], info: dict[str, Any], lang: str) -> pd.DataFrame:
    sectors = sorted(country["sectors"], key=lambda s: -float(s["value_added_loss_usd"]))
    labels = info.get("sector_names", {})
    return pd.DataFrame(
        {
            t("imp_industry", lang): [
                labels.get(s["sector"], {}).get(lang) or s["sector"] for s in sectors
            ],
            t("imp_va", lang): [f"{s['value_added_loss_usd'] / 1e9:,.1f}" for s in sectors],
            t("imp_output", lang): [f"{s['output_loss_usd'] / 1e9:,.1f}" for s in sectors],
        }
    )


def print_impact(record: dict[str, Any], names: Names, lang: str, base_year: int) -> None:
    info = record["table_info"]
    method = t(f"imp_method_{record['method']}", lang)
    title = t("imp_title", lang, method=method, table=record["table"], run_id=record["run_id"])
    if not record["countries"]:
        out.print(title, highlight=False, soft_wrap=True)
        out.print(t("imp_none", lang), highlight=False, soft_wrap=True)
    else:
        print_frame(country_table(record, names, lang), title=title)
        first = record["countries"][0]
        heading = t("imp_sectors_of", lang, country=region_name(first["country"], names, info))
        print_frame(sector_table(first, info, lang), title=heading)
    print_notes(record, names, lang, base_year)


def print_notes(record: dict[str, Any], names: Names, lang: str, base_year: int) -> None:
    by = ", ".join(
        f"{t(f'imp_method_{m}', lang)} {v['value_added_loss_usd'] / 1e9:,.1f}"
        for m, v in record["by_method"].items()
    )
    out.print(t("imp_by_method", lang, values=by), highlight=False, soft_wrap=True)
    out.print(coverage_line(record["coverage"], names, lang), highlight=False, soft_wrap=True)
    info = record["table_info"]
    notes = " ".join(n.get(lang) or n.get("en", "") for n in record["coverage"].get("notes", []))
    out.print(
        t("imp_money", lang, year=base_year, table_year=info.get("year") or "?", notes=notes),
        highlight=False,
        soft_wrap=True,
    )


def coverage_line(coverage: dict[str, Any], names: Names, lang: str) -> str:
    """What the bridge valued and what it could not, by mineral and end use (names)."""
    missing: dict[str, float] = {}
    for row in coverage["not_valued"]:
        if float(row["tonnes_short"]) < 0.5:
            continue  # would print as 0 t
        use = (
            row.get(f"name_{lang}")
            or row.get("end_use")
            or names.stage(row["mineral"], row["stage"])
        )
        label = f"{names.mineral(row['mineral'])} ({use})"
        missing[label] = missing.get(label, 0.0) + float(row["tonnes_short"])
    sep = "、" if lang == "ja" else "; "
    listed = sep.join(f"{k} {v:,.0f} t" for k, v in sorted(missing.items(), key=lambda kv: -kv[1]))
    total = coverage["tonnes_short_valued"] + coverage["tonnes_short_not_valued"]
    return t(
        "imp_coverage", lang, share=coverage["share_valued"], tonnes=total, missing=listed or "-"
    )


def print_variant_impacts(
    records: list[dict[str, Any]],
    variants: list[str],
    country: str,
    names: Names,
    lang: str,
    base_year: int,
) -> None:
    """The country's GDP losses per variant, then its industries hit hardest per variant."""
    info = records[0]["table_info"]
    found = [next((c for c in r["countries"] if c["country"] == country), None) for r in records]
    rows = [
        {
            t("variant", lang): variant,
            t("imp_gdp_horizon", lang): f"{c['gdp_loss_pct_horizon']:.3f}" if c else "0",
            t("imp_gdp_quarter", lang): f"{c['gdp_loss_pct_worst_quarter']:.3f}" if c else "0",
            t("imp_va", lang): f"{c['value_added_loss_usd'] / 1e9:,.1f}" if c else "0",
        }
        for variant, c in zip(variants, found, strict=True)
    ]
    method = t(f"imp_method_{records[0]['method']}", lang)
    place = region_name(country, names, info)
    print_frame(
        pd.DataFrame(rows),
        title=t(
            "imp_variants_title", lang, country=place, method=method, table=records[0]["table"]
        ),
    )
    industries = []
    for variant, c in zip(variants, found, strict=True):
        top = sector_table(c, info, lang).head(TOP_INDUSTRIES) if c else pd.DataFrame()
        if not top.empty:
            industries.append(top.assign(**{t("variant", lang): variant}))
    if industries:
        table = pd.concat(industries, ignore_index=True)
        first = [t("variant", lang), t("imp_industry", lang)]
        table = table[first + [c for c in table.columns if c not in first]]
        print_frame(table, title=t("imp_top_industries", lang, country=place, n=TOP_INDUSTRIES))
    print_notes(records[-1], names, lang, base_year)


def register(app: typer.Typer) -> None:
    app.command("impact")(friendly(impact))
