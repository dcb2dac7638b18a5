"""``oreshock run``: run a scenario's variants, store the runs and print the flagship
comparison."""

from __future__ import annotations

import warnings
from typing import Annotated

import pandas as pd
import typer
from rich.progress import Progress

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    SeedOpt,
    err,
    exit_if_kept,
    friendly,
    kept_json,
    out,
    print_frame,
    print_json,
)
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.model.coverage import (
    ASKED,
    NOT_COVERED,
    WARNING,
    Coverage,
    CoverageError,
    CoverageWarning,
    check_coverage,
)
from oreshock.model.coverage import Names as CoverageNames
from oreshock.model.network import build_network
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import RunResult
from oreshock.model.variants import claim_check, run_variants
from oreshock.report.comparison import claim_line, comparison_table
from oreshock.report.text import Names
from oreshock.store.recovery import save_or_keep
from oreshock.store.store import check_target, run_rows


def run(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or path to a YAML file.")],
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", help="Variant to run (repeatable; default: all)."),
    ] = None,
    months: Annotated[
        int | None, typer.Option(help="Override the horizon in months.", min=1, max=600)
    ] = None,
    seed: SeedOpt = 0,
    country: Annotated[str, typer.Option(help="Country the comparison table is about.")] = "JPN",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse to run when a shock touches no flow in the data (a coverage "
            "warning becomes an error).",
        ),
    ] = False,
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
    code = country.upper()
    # What the data cover is worked out before anything runs, for the country asked about too.
    overrides = {("months",): months} if months else None
    cover_names = CoverageNames.of(dataset)
    coverages = [
        check_coverage(network, file.build(name, overrides), countries=[code], names=cover_names)
        for name in names
    ]
    if strict:
        refused = [
            f"{name or 'base'}: {cov.error()!s}"
            for name, cov in zip(names, coverages, strict=True)
            if cov.warnings
        ]
        if refused:
            raise CoverageError("\n".join(refused))
    check_target(db)  # a bad --db is refused before anything is computed
    results: list[RunResult] = []
    with Progress(console=err, transient=True, disable=json_out) as progress:
        task = progress.add_task("simulating", total=len(names))
        for name, cov in zip(names, coverages, strict=True):
            with warnings.catch_warnings():
                # shown below as the tables' footnotes and in the JSON's coverage field
                warnings.simplefilter("ignore", CoverageWarning)
                done = run_variants(
                    scenario, network, variants=[name] if name else None, months=months, seed=seed
                )[0]
            results.append(RunResult(done.scenario, done.network, done.runs, done.seed, cov))
            progress.advance(task)
    # Rows are built before the database is opened, so the Store (and its lock) is held
    # only while writing; what cannot be saved is kept in a recovery folder, not lost.
    rows = [run_rows(r) for r in results]
    outcome = save_or_keep(rows, db)
    run_ids = [r.run_id if r.run_id in outcome.saved else None for r in rows]
    if json_out:
        report: dict[str, object] = {
            "runs": [
                {
                    "variant": r.scenario.variant or "base",
                    "run_id": rid,
                    "summary": r.status_records(),
                    "coverage": r.coverage.records(),
                }
                for r, rid in zip(results, run_ids, strict=True)
            ]
        }
        if not outcome.ok:
            report["kept"] = kept_json(outcome)
        print_json(report)
        exit_if_kept(outcome)
        return
    words = Names(dataset, lang)
    for mineral in results[0].runs:
        stages = words.stages_of(mineral)
        table = comparison_table(results, code, mineral, lang, stages)
        if table.empty:
            continue
        table["run_id"] = [rid or "not saved" for rid in run_ids]
        marked = _mark_not_covered(table, results, code, mineral, stages, lang)
        title = f"{words.country(code)} · {words.mineral(mineral)}: "
        print_frame(table, title=title + t("months_to_shortfall", lang))
        if table.attrs.get("caption"):
            out.print(table.attrs["caption"], highlight=False, soft_wrap=True)
        for message in marked:
            out.print(f"* {message}", highlight=False, soft_wrap=True)
        if mineral == "rare_earths" and code == "JPN":  # the claim is about Japan
            out.print(t("claim_title", lang), soft_wrap=True)
            for r in results:
                line = claim_line(claim_check(r, code, mineral), lang, stages)
                out.print(
                    f"  {r.scenario.variant or 'base'}: {line}", highlight=False, soft_wrap=True
                )

    _print_coverage([r.coverage for r in results], words, lang)
    exit_if_kept(outcome)


def _mark_not_covered(
    table: pd.DataFrame,
    results: list[RunResult],
    country: str,
    mineral: str,
    stages: dict[str, str],
    lang: str,
) -> list[str]:
    """Mark the stage cells of nodes the data do not cover (``*``, and "not covered" instead
    of "never"); returns the footnotes that say why."""
    notes: dict[str, None] = {}
    if len(table) != len(results):
        return []
    never = t("never", lang)
    for stage, label in stages.items():
        if label not in table.columns:
            continue
        column = table[label].astype(object)
        for i, result in enumerate(results):
            if result.coverage_status(country, mineral, stage) != NOT_COVERED:
                continue
            value = column.iloc[i]
            column.iloc[i] = f"{t('cov_not_covered', lang)}*" if value == never else f"{value}*"
            for note in result.coverage:
                if note.concerns(country, mineral, stage):
                    notes[note.message(lang)] = None
        table[label] = column
    return list(notes)


def _print_coverage(coverages: list[Coverage], words: Names, lang: str) -> None:
    """Every coverage note of the runs once: warnings first, then notes on the shocks'
    other targets; a country asked about with no demand in some chains gets one line."""
    shown: dict[str, str] = {}
    asked: dict[str, list[str]] = {}
    for cov in coverages:
        for note in sorted(cov, key=lambda n: n.level != WARNING):
            if note.source == ASKED:
                minerals = asked.setdefault(note.country, [])
                if note.mineral not in minerals:
                    minerals.append(note.mineral)
            else:
                shown.setdefault(note.message(lang), t(f"cov_{note.level}", lang))
    if not shown and not asked:
        return
    out.print(t("cov_heading", lang), soft_wrap=True)
    for message, level in shown.items():
        out.print(f"  {level}: {message}", highlight=False, soft_wrap=True)
    sep = "、" if lang == "ja" else ", "
    for iso3, minerals in asked.items():
        line = t(
            "cov_asked",
            lang,
            country=words.country(iso3),
            minerals=sep.join(words.mineral(m) for m in minerals),
        )
        out.print(f"  {t('cov_note', lang)}: {line}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to the main CLI."""
    app.command("run")(friendly(run))
