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
    print_frame,
    print_json,
    require_store,
    say,
)
from oreshock.cli.runs import reproduce_run
from oreshock.core.i18n import t
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.impact.assessment import DEFAULT_METHOD, METHODS, Impact, assess, shown_record
from oreshock.impact.tables import load_table
from oreshock.report.impact import (
    bn,
    by_method_sentence,
    coverage_sentence,
    method_name,
    money_sentence,
    region_name,
    section,
    sector_rows,
)
from oreshock.report.text import Names
from oreshock.store.impacts import get_impact, save_impact
from oreshock.store.store import Store, check_target, open_read

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
RegionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--regions",
        help="CSV iso3,region placing the dataset's countries in a table whose regions are "
        "not ISO3 codes (a row * for the rest).",
    ),
]
SectorsOpt = Annotated[
    Path | None,
    typer.Option(
        "--sectors",
        help="CSV bridge_sector,table_sector naming the table's industry for each of the "
        "bridge's (a table with other industries than the bundled one).",
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


def compute(result, dataset: Dataset, table, usd_per_unit, regions, sectors) -> Impact:
    """A run's impact on a table, every measure computed."""
    return assess(result, dataset, load_table(table, usd_per_unit, regions, sectors))


def store_impact(db: Path | None, run_id: str, found: Impact) -> dict[str, Any]:
    """The impact saved beside the run; returns the record ``--json`` prints."""
    with Store(db) as store:
        save_impact(store, run_id, found.stored_record(run_id), found.tidy())
        return shown_record(get_impact(store, run_id, found.table.name), DEFAULT_METHOD)


def impact(
    run_id: Annotated[str, typer.Argument(help="Id of a stored run (`oreshock runs list`).")],
    table: TableOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    usd_per_unit: UsdOpt = None,
    regions: RegionsOpt = None,
    sectors: SectorsOpt = None,
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
    found = compute(result, dataset, table, usd_per_unit, regions, sectors)
    with Store(db) as store:
        save_impact(store, run_id, found.stored_record(run_id), found.tidy())
        shown = shown_record(get_impact(store, run_id, found.table.name), method)
    if json_out:
        print_json(shown)
        return
    print_impact(shown, Names(dataset, lang), lang, dataset.base_year)


def print_impact(record: dict[str, Any], names: Names, lang: str, base_year: int) -> None:
    shown = section(record, names, lang, base_year)
    assert shown is not None
    if shown["none"]:
        say(shown["title"])
        say(shown["none"])
    else:
        print_frame(pd.DataFrame(shown["countries"]), title=shown["title"])
        print_frame(pd.DataFrame(shown["sectors"]), title=shown["sectors_title"])
    print_notes(record, names, lang, base_year)


def print_notes(record: dict[str, Any], names: Names, lang: str, base_year: int) -> None:
    for line in (
        by_method_sentence(record, lang),
        coverage_sentence(record["coverage"], names, lang),
        money_sentence(record, lang, base_year),
    ):
        say(line)


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
    rows = []
    for variant, c, record in zip(variants, found, records, strict=True):
        # no loss where shortfall was left unvalued is not a zero: say so
        blank = t("imp_not_valued", lang) if record["coverage"]["tonnes_short_not_valued"] else "0"
        rows.append(
            {
                t("variant", lang): variant,
                t("imp_gdp_horizon", lang): f"{c['gdp_loss_pct_horizon']:.3f}" if c else blank,
                t("imp_gdp_quarter", lang): (
                    f"{c['gdp_loss_pct_worst_quarter']:.3f}" if c else blank
                ),
                t("imp_va", lang): bn(c["value_added_loss_usd"]) if c else blank,
            }
        )
    method = method_name(records[0]["method"], lang)
    place = region_name(country, names, info)
    print_frame(
        pd.DataFrame(rows),
        title=t(
            "imp_variants_title", lang, country=place, method=method, table=records[0]["table"]
        ),
    )
    industries = []
    for variant, c in zip(variants, found, strict=True):
        top = pd.DataFrame(sector_rows(c, info, lang)[:TOP_INDUSTRIES]) if c else pd.DataFrame()
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
