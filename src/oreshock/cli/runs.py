"""``oreshock runs list|show|compare|export|rerun|delete|recover``: the runs kept in the
results database, a check that a stored run reproduces, and the import of runs kept in a
recovery folder when their save failed.

Every command that only reads opens the database read-only (a shared lock, no write access
needed); a damaged run is marked by ``list`` and refused by ``show``, ``compare`` and
``export``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    exit_if_kept,
    friendly,
    header,
    named,
    out,
    print_frame,
    print_json,
    require_store,
    say,
    store_exists,
)
from oreshock.core.errors import OreshockError
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.model.labelled import LabelNames
from oreshock.model.network import build_network
from oreshock.model.simulate import RunResult, reproduce
from oreshock.report.comparison import mismatch_notes
from oreshock.store.export import export_run
from oreshock.store.integrity import (
    DAMAGED,
    NEVER_HASHED,
    OK,
    UNREADABLE,
    DamagedStoreError,
    TableDifference,
)
from oreshock.store.recovery import restore, save_or_keep
from oreshock.store.store import Store, check_target, open_read, parse_since, run_rows

PROVENANCE = (
    "run_id",
    "created",
    "scenario",
    "variant",
    "label",
    "months",
    "start_month",
    "seed",
    "dataset_name",
    "dataset_version",
    "dataset_hash",
    "code_version",
)


def runs_list(
    db: DbOpt = None,
    json_out: JsonOpt = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Hash every run's stored content again and show whether it is intact "
            "(the content column).",
        ),
    ] = True,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Only the runs of this scenario (its name).")
    ] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="Only the runs whose label contains this text (any case)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only the runs stored on or after this date (UTC), YYYY-MM-DD."
        ),
    ] = None,
    lang: LangOpt = "en",
) -> None:
    """Stored runs with their label and horizon (months), each marked ok, damaged,
    unreadable or never hashed."""
    day = parse_since(since)
    if not store_exists(db):
        df = pd.DataFrame(columns=["run_id", "created", "scenario", "variant"])
        if json_out:
            print_json([])
        else:
            print_frame(df, lang=lang)
        return
    with open_read(db) as store:
        try:
            df = store.list_runs(check=check, scenario=scenario, label=label, since=day)
        except OreshockError as exc:
            if not store.damage:
                raise
            raise DamagedStoreError(store.path, [*store.damage, str(exc)]) from None
        damage, path = store.damage, store.path
    if json_out:
        print_json(json.loads(df.to_json(orient="records", date_format="iso")))
    else:  # a label is a person's text: shown as written, never read as rich markup
        shown = df.assign(label=[escape(v) if isinstance(v, str) else v for v in df["label"]])
        print_frame(_minutes(shown), lang=lang, optional=LIST_OPTIONAL)
    _warn_damage(df, damage, path)


LIST_OPTIONAL = ("code_version", "dataset_version", "seed", "created", "content")
"""Columns of ``runs list`` a narrow terminal leaves out, first ones first (the horizon,
``months``, and the label always stay: comparing runs of different horizons misleads; a
damaged run is also named on stderr)."""


def _minutes(df: pd.DataFrame) -> pd.DataFrame:
    """``created`` to the minute (``YYYY-MM-DD HH:MM``, UTC): the seconds only widen the
    table; ``--json`` keeps them."""
    if df.empty or "created" not in df.columns:
        return df
    return df.assign(created=pd.to_datetime(df["created"]).dt.strftime("%Y-%m-%d %H:%M"))


def _warn_damage(df: pd.DataFrame, damage: list[str], path: Path) -> None:
    """On stderr: a damaged file, and which runs can no longer be read or trusted."""
    if damage:
        typer.echo(
            f"warning: the results database {path} is damaged: {'; '.join(damage)}. No new "
            "run will be saved into it: export the runs marked ok (`oreshock runs export`) "
            "and start a new database (--db NEW_FILE or ORESHOCK_DB).",
            err=True,
        )
    if "content" not in df.columns:
        return
    bad = df[df["content"].isin([DAMAGED, UNREADABLE])]
    if not bad.empty:
        listed = ", ".join(f"{r.run_id} ({r.content})" for r in bad.itertuples())
        typer.echo(
            f"warning: {len(bad)} of {len(df)} runs in {path} cannot be trusted: {listed}. "
            "`runs show` and `runs export` refuse them; `runs rerun` recomputes one.",
            err=True,
        )


def runs_show(
    run_id: str, db: DbOpt = None, json_out: JsonOpt = False, lang: LangOpt = "en"
) -> None:
    """A run's provenance and summary (refused for a damaged run)."""
    require_store(db, f"no run {run_id!r}")
    with open_read(db) as store:
        record = store.run(run_id)
        record["content"] = store.require_intact(run_id)
    if json_out:
        print_json(record)
        return
    for key in (*PROVENANCE, "content"):
        if key == "label" and not record.get(key):
            continue  # no label given (or stored before runs had labels)
        label = key if lang == "en" else header(key, lang)
        out.print(f"{label}: {record[key]}", highlight=False, markup=False)
    summary = pd.DataFrame(record["summary"])
    if not summary.empty:
        summary = summary[summary["cumulative_shortfall_pct"] > 0]
    print_frame(named(summary, lang), title=t("lr_shortfalls", lang), lang=lang)


def runs_compare(
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids.")],
    country: Annotated[str | None, typer.Option(help="Only this ISO3 code.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Side-by-side summaries of stored runs; says so (on stderr) when their horizons or
    datasets differ."""
    frames = []
    records = []
    require_store(db, f"no run {run_ids[0]!r}")
    with open_read(db) as store:
        for rid in run_ids:
            record = store.run(rid)
            records.append(record)
            store.require_intact(rid)
            df = pd.DataFrame(record["summary"])
            df.insert(0, "run", f"{rid} ({record['variant'] or 'base'})")
            frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    if country:
        table = table[table["country"] == country.upper()]
    for note in mismatch_notes(records):
        typer.echo(f"warning: {note[lang]}", err=True)
    if json_out:
        print_json(json.loads(table.to_json(orient="records")))
        return
    print_frame(named(table, lang), lang=lang)


def runs_export(
    run_id: str,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="parquet or csv (a folder of tables: timeseries, flows, sectors, summary, "
            "and run.json), netcdf (one .nc file, xarray's layout) or xlsx (one workbook, a "
            "readme sheet first). Default: from --out's suffix, else parquet.",
        ),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder (parquet, csv) or file (netcdf, xlsx); default RUN_ID or "
            "RUN_ID.nc / RUN_ID.xlsx in the current folder.",
        ),
    ] = None,
    db: DbOpt = None,
    data: DataOpt = None,
    lang: LangOpt = "en",
    json_out: JsonOpt = False,
) -> None:
    """Write a stored run's tables with its provenance and units (refused when damaged).

    The time series, flows, sectors and summary, with the run, scenario, dataset and units
    beside them; names of countries, chains and stages come from --data (default: the
    bundled dataset)."""
    require_store(db, f"no run {run_id!r}")
    names = LabelNames.read(data) if data is not None else None
    with open_read(db) as store:
        files = export_run(store, run_id, fmt, out_path, lang=lang, names=names)
    if json_out:
        print_json({"run_id": run_id, "files": [str(f) for f in files]})
        return
    for f in files:
        out.print(t("lr_wrote", lang, path=f), highlight=False, soft_wrap=True)


def runs_delete(run_id: str, db: DbOpt = None, lang: LangOpt = "en") -> None:
    """Delete a stored run."""
    with Store(db) as store:
        store.delete_run(run_id)
    out.print(t("lr_deleted", lang, run_id=run_id), highlight=False)


def runs_recover(
    folder: Annotated[
        Path, typer.Argument(help="Recovery folder named by a command whose save failed.")
    ],
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Save the runs of a recovery folder into the database (again: stores nothing twice)."""
    done = restore(folder, db)
    if json_out:
        print_json({"folder": str(folder), "runs": done})
        return
    for run_id, what in done.items():
        out.print(f"{run_id}: {what}", highlight=False)
    out.print(t("lr_recovered", lang, folder=folder), highlight=False)


def runs_rerun(
    run_id: str,
    db: DbOpt = None,
    data: DataOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Run a stored run again from its record and check that the results are identical:
    the whole time series, flows and sectors by content hash, and the summary."""
    require_store(db, f"no run {run_id!r}")
    with open_read(db) as store:
        record = store.run(run_id)
        status = store.check_run(run_id)
    check_target(db)
    result = reproduce_run(record, data)
    outcome = save_or_keep([run_rows(result)], db)
    exit_if_kept(outcome)
    new_id = outcome.saved[0]
    diffs: list[TableDifference] = []
    if status != UNREADABLE:
        with open_read(db) as store:
            diffs = store.differences(run_id, new_id)
    same_summary = result.summary_records() == record["summary"]
    identical = status in (OK, NEVER_HASHED) and not diffs and same_summary
    report = {
        "run_id": new_id,
        "rerun_of": run_id,
        "identical": identical,
        "stored_content": status,
        "summary_identical": same_summary,
        "differences": [asdict(d) for d in diffs],
    }
    if json_out:
        print_json(report)
    else:
        _print_rerun(run_id, new_id, status, diffs, same_summary, lang)
    if not identical:
        raise typer.Exit(1)


def reproduce_run(record: dict, data: Path | None) -> RunResult:
    """A stored run simulated again from its record, on the dataset it used (``--data``)."""
    return reproduce(record, build_network(load_dataset(data)))


def _print_rerun(
    run_id: str,
    new_id: str,
    status: str,
    diffs: list[TableDifference],
    same_summary: bool,
    lang: str = "en",
) -> None:
    """Whether the rerun matches the stored run, and where not, in ``lang``."""
    if status in (DAMAGED, UNREADABLE):
        say(t("lr_rerun_damaged", lang, run_id=run_id, status=status))
    elif status == NEVER_HASHED:
        say(t("lr_rerun_unhashed", lang, run_id=run_id))
    if not diffs and same_summary:
        say(t("lr_rerun_same", lang, new_id=new_id, run_id=run_id))
        return
    say(t("lr_rerun_different", lang, new_id=new_id, run_id=run_id))
    for diff in diffs:
        say(f"  {diff.describe(run_id, new_id)}")
    if not same_summary:
        say(f"  {t('lr_rerun_summary', lang)}")


def register(app: typer.Typer) -> None:
    """Add the ``runs`` sub-app to the main CLI."""
    sub = typer.Typer(
        no_args_is_help=True,
        help="Stored runs: list, show, compare, export, rerun, delete, recover.",
    )
    sub.command("list")(friendly(runs_list))
    sub.command("show")(friendly(runs_show))
    sub.command("compare")(friendly(runs_compare))
    sub.command("export")(friendly(runs_export))
    sub.command("delete")(friendly(runs_delete))
    sub.command("rerun")(friendly(runs_rerun))
    sub.command("recover")(friendly(runs_recover))
    app.add_typer(sub, name="runs")
