"""``oreshock run``: run a scenario's variants, store the runs and print the flagship
comparison."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    err,
    friendly,
    out,
    print_frame,
    print_json,
)
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.model.network import build_network
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import RunResult
from oreshock.model.variants import claim_check, run_variants
from oreshock.report.comparison import claim_line, comparison_table
from oreshock.report.text import Names
from oreshock.store.store import Store


def run(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or path to a YAML file.")],
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", help="Variant to run (repeatable; default: all)."),
    ] = None,
    months: Annotated[
        int | None, typer.Option(help="Override the horizon in months.", min=1, max=600)
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed recorded with the run.")] = 0,
    country: Annotated[str, typer.Option(help="Country the comparison table is about.")] = "JPN",
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Run a scenario's variants, store each run, and compare them."""
    file = open_scenario(scenario)
    names: list[str | None] = list(variant or file.variants) or [None]
    for asked in variant or []:
        file.resolve(asked)  # an unknown variant fails before anything runs
    dataset = load_dataset(data)
    network = build_network(dataset)
    results: list[RunResult] = []
    with Progress(console=err, transient=True, disable=json_out) as progress:
        task = progress.add_task("simulating", total=len(names))
        for name in names:
            results.extend(
                run_variants(
                    scenario, network, variants=[name] if name else None, months=months, seed=seed
                )[:1]
            )
            progress.advance(task)
    with Store(db) as store:
        run_ids = [store.save_run(r) for r in results]
    if json_out:
        print_json(
            {
                "runs": [
                    {
                        "variant": r.scenario.variant or "base",
                        "run_id": rid,
                        "summary": r.summary_records(),
                    }
                    for r, rid in zip(results, run_ids, strict=True)
                ]
            }
        )
        return
    code = country.upper()
    words = Names(dataset, lang)
    for mineral in results[0].runs:
        stages = words.stages_of(mineral)
        table = comparison_table(results, code, mineral, lang, stages)
        if table.empty:
            continue
        table["run_id"] = run_ids
        title = f"{words.country(code)} · {words.mineral(mineral)}: "
        print_frame(table, title=title + t("months_to_shortfall", lang))
        if mineral == "rare_earths" and code == "JPN":  # the claim is about Japan
            out.print(t("claim_title", lang), soft_wrap=True)
            for r in results:
                line = claim_line(claim_check(r, code, mineral), lang, stages)
                out.print(
                    f"  {r.scenario.variant or 'base'}: {line}", highlight=False, soft_wrap=True
                )


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to the main CLI."""
    app.command("run")(friendly(run))
