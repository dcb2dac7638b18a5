"""``oreshock runs list|show|compare|export|rerun|delete``: the runs kept in the results
database, and a check that a stored run reproduces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from oreshock.cli.common import DataOpt, DbOpt, JsonOpt, friendly, out, print_frame, print_json
from oreshock.core.errors import OreshockError
from oreshock.data.datasets import load_dataset
from oreshock.model.network import build_network
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate
from oreshock.store.store import Store

PROVENANCE = (
    "run_id",
    "created",
    "scenario",
    "variant",
    "months",
    "start_month",
    "seed",
    "dataset_name",
    "dataset_version",
    "dataset_hash",
    "code_version",
)


def runs_list(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Stored runs."""
    with Store(db) as store:
        df = store.list_runs()
    if json_out:
        print_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    print_frame(df)


def runs_show(run_id: str, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """A run's provenance and summary."""
    with Store(db) as store:
        record = store.run(run_id)
    if json_out:
        print_json(record)
        return
    for key in PROVENANCE:
        out.print(f"{key}: {record[key]}", highlight=False)
    summary = pd.DataFrame(record["summary"])
    if not summary.empty:
        summary = summary[summary["cumulative_shortfall_pct"] > 0]
    print_frame(summary, title="shortfalls")


def runs_compare(
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids.")],
    country: Annotated[str | None, typer.Option(help="Only this ISO3 code.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Side-by-side summaries of stored runs."""
    frames = []
    with Store(db) as store:
        for rid in run_ids:
            record = store.run(rid)
            df = pd.DataFrame(record["summary"])
            df.insert(0, "run", f"{rid} ({record['variant'] or 'base'})")
            frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    if country:
        table = table[table["country"] == country.upper()]
    if json_out:
        print_json(json.loads(table.to_json(orient="records")))
        return
    print_frame(table)


def runs_export(
    run_id: str,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write timeseries and flows into.")
    ],
    db: DbOpt = None,
) -> None:
    """Write timeseries.parquet and flows.parquet (and CSV copies)."""
    with Store(db) as store:
        files = store.export_run(run_id, out_dir)
    for f in files:
        out.print(str(f))


def runs_delete(run_id: str, db: DbOpt = None) -> None:
    """Delete a stored run."""
    with Store(db) as store:
        store.delete_run(run_id)
    out.print(f"deleted {run_id}")


def runs_rerun(
    run_id: str,
    db: DbOpt = None,
    data: DataOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a stored run again from its record and check that the results are identical."""
    with Store(db) as store:
        record = store.run(run_id)
    dataset = load_dataset(data)
    if dataset.content_hash != record["dataset_hash"]:
        raise OreshockError(
            f"run {run_id} used dataset {record['dataset_name']} {record['dataset_version']} "
            f"(hash {record['dataset_hash'][:16]}); this dataset's hash is "
            f"{dataset.content_hash[:16]}: pass --data with the dataset it used"
        )
    scenario = Scenario.model_validate(record["scenario_json"])
    result = simulate(build_network(dataset), scenario, seed=int(record["seed"]))
    with Store(db) as store:
        new_id = store.save_run(result)
    identical = result.summary_records() == record["summary"]
    report = {"run_id": new_id, "rerun_of": run_id, "identical": identical}
    if json_out:
        print_json(report)
    else:
        verdict = "identical to" if identical else "DIFFERENT from"
        out.print(f"{new_id}: summary {verdict} {run_id}")
    if not identical:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``runs`` sub-app to the main CLI."""
    sub = typer.Typer(
        no_args_is_help=True, help="Stored runs: list, show, compare, export, rerun, delete."
    )
    sub.command("list")(friendly(runs_list))
    sub.command("show")(friendly(runs_show))
    sub.command("compare")(friendly(runs_compare))
    sub.command("export")(friendly(runs_export))
    sub.command("delete")(friendly(runs_delete))
    sub.command("rerun")(friendly(runs_rerun))
    app.add_typer(sub, name="runs")
