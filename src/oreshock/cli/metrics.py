"""``oreshock metrics concentration|exposure|demand-share|dependency``: dependency metrics of
the base-year network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from oreshock.cli.common import DataOpt, JsonOpt, LangOpt, friendly, out, print_frame, print_json
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
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
    lang: LangOpt = "en",
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """A group's share of world final use, with what it measures and the data it rests on.

    Final use is counted where the material is first used (the plants that take it), not in
    the final goods a country buys; the JSON's ``coverage`` names the countries with demand
    data per mineral (the rest of the world is one ``OTH`` row) and the minerals left out.
    """
    ds = load_dataset(data)
    result = demand_share(build_network(ds), group, mineral)
    if json_out:
        print_json(result)
        return
    names = Names.of(ds)
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


def metrics_dependency(
    mineral: Annotated[str, typer.Option(help="Mineral id.")],
    country: Annotated[str | None, typer.Option(help="Only this ISO3 code.")] = None,
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """Per stage and country: production share, China-origin share, import reliance, supply risk."""
    df = dependency_table(_network(data), mineral)
    if country:
        df = df[df["country"] == country.upper()]
    if json_out:
        print_json(df.to_dict("records"))
        return
    print_frame(df)


def register(app: typer.Typer) -> None:
    """Add the ``metrics`` sub-app to the main CLI."""
    sub = typer.Typer(no_args_is_help=True, help="Dependency metrics.")
    sub.command("concentration")(friendly(metrics_concentration))
    sub.command("exposure")(friendly(metrics_exposure))
    sub.command("demand-share")(friendly(metrics_demand_share))
    sub.command("dependency")(friendly(metrics_dependency))
    app.add_typer(sub, name="metrics")
