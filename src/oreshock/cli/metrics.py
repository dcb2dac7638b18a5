"""``oreshock metrics concentration|exposure|demand-share|dependency``: dependency metrics of
the base-year network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from oreshock.cli.common import (
    DataOpt,
    JsonOpt,
    LangOpt,
    friendly,
    named,
    out,
    print_frame,
    print_json,
)
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.impact.embodied import (
    BASES,
    EMBODIED,
    FIRST_USE,
    EmbodiedError,
    demand_share_by_basis,
)
from oreshock.model.coverage import Names
from oreshock.model.metrics import concentration, demand_share, dependency_table, exposure
from oreshock.model.network import Network, build_network


def _network(path: Path | None) -> Network:
    return build_network(load_dataset(path))


def metrics_concentration(
    mineral: Annotated[str, typer.Option(help="Mineral id, e.g. rare_earths.")],
    stage: Annotated[
        str, typer.Option(help="Stage id, e.g. mining, refining, separation, magnets.")
    ],
    year: Annotated[int | None, typer.Option(help="Data year (default: base year).")] = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Producer shares of world output at a stage, HHI, top-1 and top-3 shares."""
    result = concentration(load_dataset(data), mineral, stage, year).to_dict()
    if json_out:
        result.pop("china_share")
        print_json(result)
        return
    out.print(
        f"{mineral} / {result['stage']} ({result['year']}): {t('hhi', lang)} {result['hhi']:.3f}, "
        f"{t('top1_share', lang)} {result['top1_share']:.1%}, {t('top3_share', lang)} {result['top3_share']:.1%}"
    )
    print_frame(
        pd.DataFrame(
            {"iso3": list(result["shares"]), t("share", lang): list(result["shares"].values())}
        )
    )
    for s in result["sources"]:
        out.print(f"{t('sources', lang)}: {s['title']} — {s['url']}", highlight=False)


def metrics_exposure(
    country: Annotated[str, typer.Option(help="ISO3 code of the exposed country.")],
    mineral: Annotated[str, typer.Option(help="Mineral id.")],
    stage: Annotated[str, typer.Option(help="Stage id.")],
    origin: Annotated[str, typer.Option(help="ISO3 code of the origin.")] = "CHN",
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Share of a country's supply originating in a country, directly or via third countries."""
    result = exposure(_network(data), country, mineral, stage, origin).to_dict()
    if json_out:
        print_json(result)
        return
    out.print(
        f"{result['country']} {mineral}/{result['stage']} ← {result['origin']}: "
        f"{t('direct_share', lang)} {result['direct_share']:.1%}, {t('indirect_share', lang)} "
        f"{result['indirect_share']:.1%}, {t('total_share', lang)} {result['total_share']:.1%}"
    )


def metrics_demand_share(
    group: Annotated[str, typer.Option(help="Group id (g7, eu27, g7plus, quad) or ISO3 code.")],
    mineral: Annotated[
        str | None, typer.Option(help="Mineral id (default: every mineral with demand data).")
    ] = None,
    basis: Annotated[
        str,
        typer.Option(
            help="first-use (where the material is first used) or embodied (in the final "
            "goods, where they are bought, through an input-output table)."
        ),
    ] = FIRST_USE,
    table: Annotated[
        str | None,
        typer.Option(
            help="Input-output table for --basis embodied: a bundled name, pymrio-test, or the "
            "path of a pymrio folder or EXIOBASE/OECD/WIOD file (default: the bundled table)."
        ),
    ] = None,
    lang: LangOpt = "en",
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """A group's share of world final use, with what it measures and the data it rests on.

    On the first-use basis (the default) final use is counted where the material is first
    used (the plants that take it), not in the final goods a country buys; on the embodied
    basis the same tonnes are followed through an input-output table into final goods and
    counted where those are bought. The JSON's ``coverage`` names the countries with demand
    data per mineral (the rest of the world is one ``OTH`` row) and the minerals left out;
    on the embodied basis also the share of tonnes placed in named industries, what was not
    placed, and the table regions only partly in the group.
    """
    if basis not in BASES:
        raise EmbodiedError(f"unknown basis {basis!r}; expected one of: {', '.join(BASES)}")
    ds = load_dataset(data)
    network = build_network(ds)
    result = demand_share_by_basis(network, ds, group, mineral, basis, table)
    if json_out:
        print_json(result)
        return
    names = Names.of(ds)
    if basis == EMBODIED:
        first = demand_share(network, group, mineral)
        _print_embodied(result, first, names, mineral, lang)
        return
    sep = "、" if lang == "ja" else ", "
    headline = "ds_headline_one" if mineral else "ds_headline_mean"
    shown = names.mineral(mineral or "", lang)
    out.print(
        t(headline, lang, group=group, share=result["share"], mineral=shown),
        highlight=False,
        markup=False,
    )
    coverage = result["coverage"]
    print_frame(
        pd.DataFrame(
            {
                t("mineral", lang): [names.mineral(m, lang) for m in result["by_mineral"]],
                t("ds_share", lang): [f"{v:.1%}" for v in result["by_mineral"].values()],
                t("ds_members_named", lang): [
                    sep.join(names.country(c, lang) for c in coverage["members_named"][m]) or "-"
                    for m in result["by_mineral"]
                ],
            }
        )
    )
    out.print(
        t(
            "ds_coverage",
            lang,
            n=coverage["minerals"],
            left=len(coverage["minerals_without_demand_by_country"]),
        ),
        highlight=False,
        markup=False,
    )


def _print_embodied(result: dict, first: dict, names: Names, mineral: str | None, lang: str):
    """The embodied basis as text: the headline beside the first-use figure, a row per
    mineral, and what the measure rests on."""
    sep = "、" if lang == "ja" else ", "
    first_share = (
        float(sum(first["by_mineral"][m] for m in result["by_mineral"]) / len(result["by_mineral"]))
        if result["by_mineral"]
        else 0.0
    )
    headline = "ds_headline_one_embodied" if mineral else "ds_headline_mean_embodied"
    shown = names.mineral(mineral or "", lang)
    out.print(
        t(
            headline,
            lang,
            group=result["group"],
            share=result["share"],
            mineral=shown,
            first=first_share,
        ),
        highlight=False,
        markup=False,
    )
    coverage = result["coverage"]
    placed = coverage["placed_in_industries"]
    print_frame(
        pd.DataFrame(
            {
                t("mineral", lang): [names.mineral(m, lang) for m in result["by_mineral"]],
                t("ds_embodied_share", lang): [f"{v:.1%}" for v in result["by_mineral"].values()],
                t("ds_first_use_share", lang): [
                    f"{first['by_mineral'][m]:.1%}" for m in result["by_mineral"]
                ],
                t("ds_placed", lang): [f"{placed[m]:.0%}" for m in result["by_mineral"]],
            }
        )
    )
    for part in coverage["partial_regions"]:
        out.print(
            t(
                "ds_partial_region",
                lang,
                region=part["region"],
                weight=part["weight"],
                by=t("ds_by_gdp" if part["by"] == "gdp" else "ds_by_count", lang),
                members=sep.join(names.country(c, lang) for c in part["members"]),
            ),
            highlight=False,
            markup=False,
        )
    if coverage["minerals_not_covered"]:
        shown_left = sep.join(names.mineral(m, lang) for m in coverage["minerals_not_covered"])
        out.print(t("ds_not_covered", lang, minerals=shown_left), highlight=False, markup=False)
    for n in coverage["notes"]:
        out.print(f"- {n.get(lang) or n['en']}", highlight=False, markup=False)
    mean_placed = float(sum(placed.values()) / len(placed)) if placed else 0.0
    table = result["table"]
    out.print(
        t(
            "ds_coverage_embodied",
            lang,
            table=table["name"],
            year=table["year"] if table["year"] is not None else "-",
            placed=mean_placed,
            n=coverage["minerals"],
            left=len(coverage["minerals_without_demand_by_country"]),
        ),
        highlight=False,
        markup=False,
    )


def metrics_dependency(
    mineral: Annotated[str, typer.Option(help="Mineral id.")],
    country: Annotated[str | None, typer.Option(help="Only this ISO3 code.")] = None,
    json_out: JsonOpt = False,
    data: DataOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Per stage and country: production share, China-origin share, import reliance, supply risk."""
    df = dependency_table(_network(data), mineral)
    if country:
        df = df[df["country"] == country.upper()]
    if json_out:
        print_json(df.to_dict("records"))
        return
    print_frame(named(df, lang), lang=lang)


def register(app: typer.Typer) -> None:
    """Add the ``metrics`` sub-app to the main CLI."""
    sub = typer.Typer(no_args_is_help=True, help="Dependency metrics.")
    sub.command("concentration")(friendly(metrics_concentration))
    sub.command("exposure")(friendly(metrics_exposure))
    sub.command("demand-share")(friendly(metrics_demand_share))
    sub.command("dependency")(friendly(metrics_dependency))
    app.add_typer(sub, name="metrics")
