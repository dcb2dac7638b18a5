"""``oreshock scenarios [validate|schema]``: list the shipped scenarios and their variants,
check a scenario file on a dataset, print the JSON Schema of scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from oreshock.cli.common import (
    DataOpt,
    JsonOpt,
    LangOpt,
    friendly,
    print_frame,
    print_json,
    say,
)
from oreshock.core.atomic import write_text
from oreshock.core.errors import ScenarioError
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.model.checks import problem_lines, validation
from oreshock.model.network import build_network
from oreshock.model.scenario import open_scenario, scenario_json_schema, shipped_scenarios


def scenarios(ctx: typer.Context, json_out: JsonOpt = False, lang: LangOpt = "en") -> None:
    """Shipped scenarios and their variants."""
    if ctx.invoked_subcommand is not None:
        return
    rows = []
    for name, path in shipped_scenarios().items():
        file = open_scenario(path)
        rows.append(
            {
                "name": name,
                "title": file.doc.get(f"title_{lang}") or file.doc.get("title_en", ""),
                "variants": list(file.variants),
            }
        )
    if json_out:
        print_json(rows)
        return
    table = pd.DataFrame([{**r, "variants": ", ".join(r["variants"])} for r in rows])
    print_frame(table, lang=lang)


def validate(
    file: Annotated[str, typer.Argument(help="Shipped scenario name or path to a YAML file.")],
    data: DataOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Check a scenario and every one of its variants on a dataset; exit 2 when invalid."""
    errors: list[str] = []
    late: list[str] = []
    variants: list[str] = []
    try:
        scenario_file = open_scenario(file)
        variants = list(scenario_file.variants)
        network = build_network(load_dataset(data))
    except ScenarioError as exc:
        errors = problem_lines(exc)
    else:  # the checks the dashboard's workbench runs as the user types
        errors, late = validation(scenario_file, network)
    if json_out:
        print_json(
            {
                "file": file,
                "valid": not errors,
                "variants": variants,
                "errors": errors,
                "warnings": late,
            }
        )
    else:
        for line in late:
            say(f"{t('lr_warning', lang)}: {line}")
        if errors:
            typer.echo(t("lr_not_valid", lang, file=file), err=True)
            for line in errors:
                typer.echo(f"  {line}", err=True)
        else:
            key = "lr_valid_variants" if variants else "lr_valid_base"
            say(t(key, lang, file=file, n=len(variants)))
    if errors:
        raise typer.Exit(2)


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    lang: LangOpt = "en",
) -> None:
    """The JSON Schema of scenario files, for editors (docs/scenario.schema.json)."""
    text = json.dumps(scenario_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        say(t("lr_wrote", lang, path=write_text(output, text)))


def register(app: typer.Typer) -> None:
    """Add the ``scenarios`` group (listing by itself, ``validate`` and ``schema``)."""
    sub = typer.Typer(
        no_args_is_help=False,
        invoke_without_command=True,
        help="Shipped scenarios and their variants (`--json` for JSON); `validate` checks a "
        "scenario file, `schema` prints the JSON Schema of scenario files.",
    )
    sub.callback(invoke_without_command=True)(friendly(scenarios))
    sub.command("validate")(friendly(validate))
    sub.command("schema")(friendly(schema))
    app.add_typer(sub, name="scenarios")
