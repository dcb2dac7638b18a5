"""``oreshock scenarios``: list the shipped scenarios and their variants."""

from __future__ import annotations

import pandas as pd
import typer

from oreshock.cli.common import JsonOpt, friendly, print_frame, print_json
from oreshock.model.scenario import open_scenario, shipped_scenarios


def scenarios(json_out: JsonOpt = False) -> None:
    """Shipped scenarios and their variants."""
    rows = []
    for name, path in shipped_scenarios().items():
        file = open_scenario(path)
        rows.append(
            {"name": name, "title": file.doc.get("title_en", ""), "variants": list(file.variants)}
        )
    if json_out:
        print_json(rows)
        return
    print_frame(pd.DataFrame([{**r, "variants": ", ".join(r["variants"])} for r in rows]))


def register(app: typer.Typer) -> None:
    """Add the ``scenarios`` command to the main CLI."""
    app.command("scenarios")(friendly(scenarios))
