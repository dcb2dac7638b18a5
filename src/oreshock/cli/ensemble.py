"""CLI for ensembles: ``oreshock ensemble ...`` and ``oreshock ensembles list|show|bands|export``.

Parsing and printing only; ``register(app)`` adds the commands to the main Typer app.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oreshock.cli.common import (
    SEED_MAX,
    DbOpt,
    JsonOpt,
    LangOpt,
    friendly,
    print_frame,
    print_json,
    say,
)
from oreshock.cli.common import out as terminal
from oreshock.core.atomic import write_file
from oreshock.core.i18n import t
from oreshock.core.serialize import json_safe
from oreshock.store.store import check_target, default_path

FAIL_HELP = (
    "When a run fails, OUTCOME>VALUE or OUTCOME<VALUE: an outcome column, or a metric "
    "(cumulative_shortfall_pct, peak_shortfall_pct, months_to_shortfall) meaning the target's "
    "worst stage. Default: 'cumulative_shortfall_pct>5', a cumulative shortfall above 5% of "
    "demand at the worst stage (a policy level, not a quantile)."
)

FailOpt = Annotated[str | None, typer.Option("--fail", help=FAIL_HELP)]
ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        "--threshold", help="Failure threshold of --outcome: % of demand (default 5) or months."
    ),
]


def ensemble(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or YAML path.")],
    runs: Annotated[
        int, typer.Option("--runs", help="Number of runs (Sobol: at least this many).")
    ],
    variant: Annotated[str | None, typer.Option("--variant", help="Scenario variant.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local worker processes (default: CPU count).")
    ] = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="'local' (LocalCluster) or a scheduler address.")
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="Random seed of the sampler (0 to 2**63 - 1).", min=0, max=SEED_MAX
        ),
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder of ensemble folders (default: next to the DB)."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="lhs (Latin hypercube) or sobol (Saltelli).")
    ] = "lhs",
    target: Annotated[
        str, typer.Option("--target", help="Country whose outcomes are recorded.")
    ] = "JPN",
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", help="Extra or overriding parameter, NAME=uniform:LOW:HIGH (repeatable)."
        ),
    ] = None,
    fail: FailOpt = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Outcome for failure, PRIM and Sobol (or use --fail)."),
    ] = None,
    threshold: ThresholdOpt = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Runs per Parquet batch.")] = 500,
    no_stock_ranges: Annotated[
        bool,
        typer.Option(
            "--no-stock-ranges",
            help="Sample only the scenario's own distributions. By default the dataset's stock "
            "ranges the scenario uses are sampled too (triangular on low, value, high), "
            "except levels the scenario sets itself.",
        ),
    ] = False,
    max_batches: Annotated[
        int | None,
        typer.Option("--max-batches", help="Stop after this many new batches (resume later)."),
    ] = None,
    plots: Annotated[
        bool, typer.Option("--plots", help="Write PNG charts to the ensemble folder.")
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Run an ensemble over a variant's distributions and dataset stock ranges; resumes if rerun."""
    friendly(_ensemble)(**locals())


def _ensemble(
    scenario: str,
    runs: int,
    variant: str | None,
    workers: int | None,
    dask: str | None,
    seed: int,
    out: Path | None,
    method: str,
    target: str,
    param: list[str] | None,
    fail: str | None,
    outcome: str | None,
    threshold: float | None,
    batch_size: int,
    no_stock_ranges: bool,
    max_batches: int | None,
    plots: bool,
    db: Path | None,
    json_out: bool,
    lang: str,
) -> None:
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.analysis import summarize
    from oreshock.ensemble.evaluators import make_evaluator
    from oreshock.ensemble.runner import DamagedBatchWarning, EnsembleSpec, run_ensemble
    from oreshock.ensemble.sampling import parse_cli_spec

    extra = dict(parse_cli_spec(p) for p in param or [])
    check_target(db)  # a bad --db is refused before anything is computed
    spec = EnsembleSpec(
        scenario, variant, runs, seed, method, target, batch_size, extra, not no_stock_ranges
    )
    evaluator = make_evaluator(workers or os.cpu_count() or 1, dask)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DamagedBatchWarning)
            result = run_ensemble(
                spec, evaluator=evaluator, out=out, db=db, max_batches=max_batches, progress=True
            )
    except KeyboardInterrupt:
        typer.echo("interrupted: run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    for note in caught:
        if issubclass(note.category, DamagedBatchWarning):
            typer.echo(f"warning: {note.message}", err=True)
        else:
            warnings.warn_explicit(note.message, note.category, note.filename, note.lineno)
    report: dict[str, Any] = {
        "ensemble_id": result.ensemble_id,
        "runs": result.runs,
        "seconds": round(result.seconds, 3),
        "complete": result.complete,
        "folder": str(result.folder),
        "evaluator": evaluator.describe(),
        "parameters": [
            {
                "name": p.name,
                "about": p.about,
                "integer": p.integer,
                "source": "dataset" if p.name in result.dataset_parameters else "scenario",
                **p.spec,
            }
            for p in result.parameters
        ],
    }
    if result.complete:
        names = [p.name for p in result.parameters]
        frame = result.results()
        report |= summarize(
            frame,
            names,
            result.outcome_names,
            fail=fail,
            outcome=outcome,
            threshold=threshold,
            method=method,
            seed=seed,
        )
        if plots:
            # Lazy for the same reason; write_plots loads matplotlib (the ensemble extra) itself.
            from oreshock.ensemble.plots import write_plots

            report["plots"] = [str(p) for p in write_plots(frame, report, names, result.folder)]
    if json_out:
        print_json(report)
        return
    console = terminal
    console.print(
        f"ensemble [bold]{result.ensemble_id}[/]: {result.batches_done}/{result.batches} batches, "
        f"{result.runs} runs, {result.seconds:.1f} s ({report['evaluator']}) -> {result.folder}"
    )
    if not result.complete:
        console.print("incomplete: run the same command again to resume")
        return
    for p in report["parameters"]:
        about = f" ({p['about']})" if p["about"] else ""
        say(f"parameter {p['name']}{about}", console)
    print_analysis(console, report, lang)


def print_analysis(console: Console, report: dict, lang: str) -> None:
    """Percentiles, the failure rule and share, PRIM boxes or why there are none, Sobol
    indices with their confidence intervals, and every warning, in ``lang``."""
    table = Table("outcome", "p5", "p50", "p95")
    for name, q in report["outcomes"].items():
        table.add_row(name, *(f"{q[k]:.3g}" for k in ("p5", "p50", "p95")))
    console.print(table)
    fail = report["failure"]
    say: Any = {"highlight": False}  # rich keyword options; long lines wrap at the width
    key = "ens_fail_default" if fail["default"] else "ens_fail_stated"
    console.print(t(key, lang, rule=fail["rule"]), **say)
    console.print(
        t(
            "ens_failure_line",
            lang,
            p=fail["probability"],
            failed=fail["failed"],
            runs=fail["runs"],
            rule=fail["rule"],
        ),
        **say,
    )
    if "worst_column_share" in fail:
        shares = ", ".join(
            f"{c.split('.', 2)[-1]} {v:.0%}" for c, v in fail["worst_column_share"].items() if v
        )
        console.print(t("ens_worst_share", lang, shares=shares), **say)
    if "prim_skipped" in report:
        note = report["prim_skipped"]
        console.print(t(note["code"], lang, **_fields(note)), **say)
    for i, box in enumerate(report["prim"], 1):
        ranges = ", ".join(f"{k} in [{lo:.3g}, {hi:.3g}]" for k, (lo, hi) in box["box"].items())
        console.print(
            f"PRIM box {i}: {ranges} (coverage {box['coverage']:.2f}, density {box['density']:.2f})",
            **say,
        )
    for name, s in report.get("sobol", {}).items():
        console.print(
            f"Sobol {name}: S1 {s['S1']:.3f} ± {s['S1_conf']:.3f}, "
            f"ST {s['ST']:.3f} ± {s['ST_conf']:.3f}",
            **say,
        )
    for note in report.get("sobol_warnings", []):
        console.print(f"[yellow]! {t(note['code'], lang, **_fields(note))}[/]", **say)


def _fields(note: dict) -> dict:
    return {k: v for k, v in note.items() if k not in ("code", "message")}


def ensembles_list(db: DbOpt = None, json_out: JsonOpt = False, lang: LangOpt = "en") -> None:
    """Ensembles indexed in the results database."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.runner import list_ensembles

    df = list_ensembles(db)
    if json_out:
        print_json(df.to_dict(orient="records"))
        return
    print_frame(df, lang=lang)


def ensembles_show(
    ensemble_id: str,
    db: DbOpt = None,
    fail: FailOpt = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Outcome for failure and PRIM (or use --fail)."),
    ] = None,
    threshold: ThresholdOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """An ensemble's spec and, when complete, its analysis."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.analysis import summarize
    from oreshock.ensemble.runner import DamagedBatchError, get_ensemble, load_results

    record = get_ensemble(ensemble_id, db)
    damaged: DamagedBatchError | None = None
    if record["status"] == "complete":
        try:
            frame = load_results(record["folder"], db=db or default_path())
        except DamagedBatchError as exc:
            damaged = exc
            record |= {"status": "damaged", "damaged_batches": [str(f) for f in exc.files]}
    if record["status"] == "complete":
        record |= summarize(
            frame,
            list(record["parameters"]),
            record["outcomes"],
            fail=fail,
            outcome=outcome,
            threshold=threshold,
            method=record["method"],
            seed=int(record["seed"]),
        )
    if json_out:
        print_json(record)
    else:
        console = terminal
        # Only a complete ensemble has an analysis; else "outcomes" is the list of names.
        analysed = "failure" in record
        analysis = {k: record.pop(k) for k in list(record) if analysed and k in _ANALYSIS}
        console.print_json(json.dumps(json_safe(record)))
        if analysis:
            print_analysis(console, analysis, lang)
    if damaged is not None:  # shown above; then refused, so scripts see it
        raise damaged


_ANALYSIS = ("outcomes", "failure", "variation", "prim", "prim_skipped", "sobol", "sobol_warnings")


def ensembles_export(
    ensemble_id: str,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="File to write: .parquet or .csv (default: ENSEMBLE_ID.parquet here)."
        ),
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Write every run of an ensemble (parameters and outcomes) to one file."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.runner import get_ensemble, load_results
    from oreshock.ensemble.sampling import EnsembleError

    out = out if out is not None else Path(f"{ensemble_id}.parquet")
    if out.suffix not in (".csv", ".parquet"):
        raise EnsembleError(f"--out {out}: expected a .parquet or .csv file name")
    record = get_ensemble(ensemble_id, db)
    frame = load_results(record["folder"], db=db or default_path())
    if out.suffix == ".csv":
        write_file(out, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        write_file(out, lambda tmp: frame.to_parquet(tmp, index=False))
    typer.echo(t("lr_wrote_runs", lang, n=len(frame), path=out))


def ensembles_bands(
    ensemble_id: str,
    cell: Annotated[
        str | None,
        typer.Option(
            "--cell",
            help="One outcome cell, MINERAL.STAGE or COUNTRY.MINERAL.STAGE (default: all).",
        ),
    ] = None,
    every: Annotated[
        int, typer.Option("--every", help="Months between the rows printed.", min=1)
    ] = 3,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write every month of every cell: .csv or .parquet."),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Percentile bands of the monthly shortfall (% of demand) across an ensemble's runs."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.data.datasets import load_dataset
    from oreshock.ensemble.bands import shortfall_bands
    from oreshock.ensemble.runner import central_scenario, get_ensemble
    from oreshock.ensemble.sampling import EnsembleError
    from oreshock.report.text import Names

    if out is not None and out.suffix not in (".csv", ".parquet"):
        raise EnsembleError(f"--out {out}: expected a .csv or .parquet file name")
    record = get_ensemble(ensemble_id, db)
    bands = shortfall_bands(record["folder"], db=db or default_path())
    if not bands:
        raise EnsembleError(t("ens_bands_none", lang))
    bands = _chosen_cells(bands, cell, str(record["target"]))
    tidy = _tidy_bands(bands, central_scenario(record).month_labels())
    if out is not None:
        write_file(out, lambda tmp: _write_table(tidy, tmp, out.suffix))
    if json_out:
        print_json({"ensemble_id": ensemble_id, "runs": int(record["runs"]),
                    "bands": tidy.to_dict(orient="records")})  # fmt: skip
        return
    names = Names(load_dataset(), lang)
    for name, frame in tidy.groupby("cell", sort=False):
        shown = frame.iloc[[*range(every - 1, len(frame) - 1, every), len(frame) - 1]]
        say(names.cell(str(name)))  # as a table's title it would wrap inside the table
        print_frame(shown.drop(columns=["cell", "mean"]).drop_duplicates(), lang=lang,
                    limit=len(shown))  # fmt: skip
    say(t("ens_bands_cli_note", lang, runs=int(record["runs"])))
    if out is not None:
        say(t("ens_bands_wrote", lang, n=len(tidy), path=out))


def _chosen_cells(bands: dict, cell: str | None, target: str) -> dict:
    """The bands of ``cell`` (with or without the target country), or all; an unknown cell
    is refused naming those there are."""
    if cell is None:
        return bands
    key = cell if cell.count(".") == 2 else f"{target}.{cell}"
    if key not in bands:
        from oreshock.ensemble.sampling import EnsembleError

        raise EnsembleError(
            f"--cell {cell}: no such outcome cell; expected one of: "
            + ", ".join(c.split(".", 1)[1] for c in bands)
        )
    return {key: bands[key]}


def _tidy_bands(bands: dict, months: list[str]) -> Any:
    """One row per cell and month: cell, month (YYYY-MM), p5, p25, p50, p75, p95, mean;
    ``months`` are the horizon's first days (``Scenario.month_labels``)."""
    import pandas as pd

    frames = []
    for cell, frame in bands.items():
        rows = frame.round(3).reset_index()
        rows.insert(0, "cell", cell)
        rows["month"] = [months[int(m) - 1][:7] for m in rows["month"]]
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def _write_table(frame: Any, path: Path, suffix: str) -> None:
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def register(app: typer.Typer) -> None:
    """Add ``ensemble`` and the ``ensembles`` sub-app to the main CLI."""
    app.command("ensemble")(ensemble)
    sub = typer.Typer(no_args_is_help=True, help="Stored ensembles: list, show, bands, export.")
    sub.command("list")(friendly(ensembles_list))
    sub.command("show")(friendly(ensembles_show))
    sub.command("bands")(friendly(ensembles_bands))
    sub.command("export")(friendly(ensembles_export))
    app.add_typer(sub, name="ensembles")
