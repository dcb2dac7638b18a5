"""``oreshock run``: run a scenario's variants, store the runs and print the flagship
comparison."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
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
    print_frame,
    print_json,
    say,
)
from oreshock.cli.impact import (
    RegionsOpt,
    SectorsOpt,
    TableOpt,
    print_variant_impacts,
    store_impact,
)
from oreshock.core.errors import ScenarioError
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.ensemble.batching import BatchTask, evaluate_batch, never_value, outcome_cells
from oreshock.ensemble.runner import stock_parameters
from oreshock.ensemble.sampling import Parameter, sample, scenario_parameters
from oreshock.impact.assessment import assess, check_covered
from oreshock.impact.tables import load_table
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
from oreshock.model.network import Network, build_network
from oreshock.model.scenario import ScenarioFile, open_scenario
from oreshock.model.simulate import RunResult
from oreshock.model.variants import run_variants
from oreshock.report.comparison import claim_line, comparison_table, family_claim_check
from oreshock.report.text import Names
from oreshock.store.recovery import save_or_keep
from oreshock.store.store import check_label, check_target, run_rows


def vintage_asked(file: ScenarioFile, names: list[str | None], flag: int | None) -> int | None:
    """The base year to load: ``--base-year``, else the scenario's ``base_year:`` (one for
    every variant run); the two must agree when both are given."""
    years = {y for name in names if (y := file.build(name).base_year) is not None}
    if len(years) > 1:
        raise ScenarioError(
            f"{file.path}: the variants run ask for different base years {sorted(years)}; "
            "run them separately"
        )
    scenario_year = next(iter(years), None)
    if flag is not None and scenario_year is not None and flag != scenario_year:
        raise ScenarioError(
            f"{file.path}: the scenario runs on the {scenario_year} data (base_year: "
            f"{scenario_year}), --base-year {flag} contradicts it"
        )
    return flag if flag is not None else scenario_year


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
    uncertainty: Annotated[
        int,
        typer.Option(
            "--uncertainty",
            help="Also run N sampled parameter sets per variant (the scenario's distributions "
            "and the dataset's stock ranges, Latin hypercube from --seed) and show months to "
            "first shortfall as central (P5–P95). 0 = off.",
            min=0,
            max=5000,
        ),
    ] = 0,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
    base_year: Annotated[
        int | None,
        typer.Option(
            help="Read the dataset as one of its vintages (e.g. 2010); default: its base year. "
            "What the vintage lacks is printed before the runs."
        ),
    ] = None,
    with_impact: Annotated[
        bool,
        typer.Option(
            "--impact",
            help="Also compute each run's lost output, value added and GDP through an "
            "input-output table (see `oreshock impact`), stored with the run.",
        ),
    ] = False,
    table: TableOpt = None,
    regions: RegionsOpt = None,
    sectors: SectorsOpt = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="A label stored with each run, to find it again (`runs list --label`); one "
            "line, at most 200 characters.",
        ),
    ] = None,
) -> None:
    """Run a scenario's variants, store each run, and compare them."""
    label = check_label(label)  # a bad label is refused before anything runs
    file = open_scenario(scenario)
    names: list[str | None] = list(variant or file.variants) or [None]
    for asked in variant or []:
        file.resolve(asked)  # an unknown variant fails before anything runs
    dataset = load_dataset(data, base_year=vintage_asked(file, names, base_year))
    if not json_out:
        for notice in dataset.notices:
            text = notice.message_ja if lang == "ja" else notice.message_en
            say(f"data {dataset.base_year}: {text}", err)
    network = build_network(dataset)
    code = country.upper()
    # What the data cover is worked out before anything runs, for the country asked about too.
    overrides = {("months",): months} if months else None
    cover_names = CoverageNames.of(dataset)
    scenarios = [file.build(name, overrides) for name in names]
    coverages = [
        check_coverage(network, built, countries=[code], names=cover_names) for built in scenarios
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
    # so is an unreadable --table
    io_table = load_table(table, None, regions, sectors) if with_impact else None
    if with_impact:  # and a scenario whose shortfall the bridge cannot value
        for built in scenarios:
            minerals = built.minerals or list(network.chains)
            check_covered([p for m in minerals for p in network.products(m) or [m]], dataset)
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
    spreads = [
        _spread(file, r, network, code, uncertainty, seed, months) if uncertainty else None
        for r in results
    ]
    # Rows are built before the database is opened, so the Store (and its lock) is held
    # only while writing; what cannot be saved is kept in a recovery folder, not lost.
    impacts = [assess(r, dataset, io_table) for r in results] if io_table is not None else []
    rows = [run_rows(r, label=label) for r in results]
    outcome = save_or_keep(rows, db)
    run_ids = [r.run_id if r.run_id in outcome.saved else None for r in rows]
    records = [
        store_impact(db, rid, imp) if rid else imp.to_json(None)
        for rid, imp in zip(run_ids, impacts, strict=False)
    ]
    if json_out:
        report: dict[str, object] = {
            "runs": [
                {
                    "variant": r.scenario.variant or "base",
                    "run_id": rid,
                    "summary": r.status_records(),
                    "coverage": r.coverage.records(),
                    "prices": [
                        p
                        for p in r.price_summary()
                        if p["base_usd_kg"] is not None or abs(p["peak_index"] - 1.0) > 1e-9
                    ],
                    **({"uncertainty": sp.records()} if sp is not None else {}),
                    **({"impact": records[k]} if records else {}),
                }
                for k, (r, rid, sp) in enumerate(zip(results, run_ids, spreads, strict=True))
            ]
        }
        if not outcome.ok:
            report["kept"] = kept_json(outcome)
        print_json(report)
        exit_if_kept(outcome)
        return
    words = Names(dataset, lang)
    _print_tables(results, network, code, run_ids, spreads, words, lang)
    _print_prices(results, words, lang)
    if any(sp is not None for sp in spreads):
        say(_spread_caption(spreads, uncertainty, seed, lang))
    products = [p for p in network.products(CLAIM_FAMILY) if p in results[0].runs]
    if code == "JPN" and products:  # the claim is about Japan's rare-earth-using production
        _print_claim(results, code, products, words, lang)
    _print_coverage([r.coverage for r in results], words, lang)
    if records:
        labels = [str(r.scenario.variant or t("base", lang)) for r in results]
        print_variant_impacts(records, labels, code, words, lang, dataset.base_year)
    exit_if_kept(outcome)


CLAIM_FAMILY = "rare_earths"
"""The family the flagship claim ("in six months Japan can make nothing") is about."""


def _print_tables(
    results: list[RunResult],
    network: Network,
    country: str,
    run_ids: list[str | None],
    spreads: list[Spread | None],
    words: Names,
    lang: str,
) -> None:
    """One comparison table per chain (per product of a family) in which the country has
    demand, each with the stage cells the data do not cover marked; the caption, the same
    for every table, is printed once after the last."""
    caption = None
    for mineral in results[0].runs:
        stages = words.stages_of(mineral)
        ranges = [sp.months(mineral) if sp is not None else None for sp in spreads]
        table = comparison_table(results, country, mineral, lang, stages, ranges)
        if table.empty:  # no demand of the country in this chain: nothing to compare
            continue
        caption = table.attrs.get("caption") or caption
        table["run_id"] = [rid or "not saved" for rid in run_ids]
        marked = _mark_not_covered(table, results, country, mineral, stages, lang)
        title = f"{words.country(country)} · {words.mineral(mineral)}: "
        print_frame(table, title=title + t("months_to_shortfall", lang))
        for message in marked:
            say(f"* {message}")
    if caption:
        say(caption)


def price_table(results: list[RunResult], words: Names, lang: str) -> pd.DataFrame:
    """Per variant, product and stage with a base-year price: the base price, the peak
    outside China (USD/kg, month) and the last month's price inside China. The variant comes
    first: a short id that never wraps, so the table fits 80 columns."""
    rows = []
    for result in results:
        variant = result.scenario.variant or t("base", lang)
        prices = {(p["mineral"], p["stage"], p["region"]): p for p in result.price_summary()}
        for (mineral, stage, region), p in prices.items():
            if region != "ROW" or p["base_usd_kg"] is None:
                continue
            stages = words.stages_of(mineral)
            label = words.mineral(mineral)
            if len(stages) > 1:
                label = f"{label}: {stages[stage]}"
            inside = prices[(mineral, stage, "CHN")]
            rows.append(
                {
                    t("variant", lang): variant,
                    t("price_product", lang): label,
                    t("price_base", lang): f"{p['base_usd_kg']:,.2f}",
                    t(
                        "price_peak_outside", lang
                    ): f"{p['peak_usd_kg']:,.2f} ({p['peak_month'][:7]})",
                    t(
                        "price_end_inside", lang
                    ): f"{inside['base_usd_kg'] * inside['final_index']:,.2f}",
                }
            )
    return pd.DataFrame(rows)


def _print_prices(results: list[RunResult], words: Names, lang: str) -> None:
    table = price_table(results, words, lang)
    if not table.empty:
        print_frame(table, title=t("price_table_title", lang))


def _print_claim(
    results: list[RunResult], country: str, products: list[str], words: Names, lang: str
) -> None:
    """The claim checked once per variant over every product of the family: it holds only
    when all of the country's rare-earth-using production is short."""
    names: dict[str, str] = {}
    for p in products:
        stages = words.stages_of(p)
        for s, label in stages.items():  # a one-stage product (magnets) is named by itself
            names[f"{p}:{s}"] = (
                words.mineral(p) if len(stages) == 1 else f"{words.mineral(p)}: {label}"
            )
    say(t("claim_title", lang))
    for r in results:
        line = claim_line(family_claim_check(r, country, products), lang, names)
        say(f"  {r.scenario.variant or 'base'}: {line}")


@dataclass(frozen=True)
class StageSpread:
    """One stage's months to first shortfall: the central run's, and P5 and P95 of the
    sampled runs (None = beyond the horizon, never short)."""

    mineral: str
    stage: str
    central: int | None
    p5: int | None
    p95: int | None
    never_share: float


@dataclass(frozen=True)
class Spread:
    """Months to first shortfall of one variant's sampled runs, per mineral and stage."""

    samples: int
    seed: int
    parameters: list[str]
    stages: list[StageSpread]

    def months(self, mineral: str) -> dict[str, tuple[int | None, int | None]]:
        """stage -> (P5, P95) for ``comparison_table``."""
        return {r.stage: (r.p5, r.p95) for r in self.stages if r.mineral == mineral}

    def records(self) -> dict[str, object]:
        """The JSON form: how the runs were drawn and each stage's P5 and P95 (null = never)."""
        return {
            "samples": self.samples,
            "seed": self.seed,
            "method": "lhs",
            "parameters": self.parameters,
            "months_to_shortfall": [
                {
                    "mineral": r.mineral,
                    "stage": r.stage,
                    "central": r.central,
                    "p5": r.p5,
                    "p95": r.p95,
                    "never_share": round(r.never_share, 4),
                }
                for r in self.stages
            ],
        }


def _month(value: object, horizon: int) -> int | None:
    """A month, or None for a run that is never short within the horizon (or NA)."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    month = float(value)  # type: ignore[arg-type]
    return None if month >= never_value(horizon) else int(month)


def _parameters(
    file: ScenarioFile, variant: str | None, result: RunResult, network: Network
) -> list[Parameter]:
    """The variant's own distributions plus every dataset stock range it uses (the same
    ranges an ``oreshock ensemble`` samples)."""
    params: list[Parameter] = []
    if file.uncertain(variant):
        params = scenario_parameters(file, variant)
    return params + stock_parameters(result.scenario, network, {p.name for p in params})


def _spread(
    file: ScenarioFile,
    result: RunResult,
    network: Network,
    code: str,
    runs: int,
    seed: int,
    months: int | None,
) -> Spread | None:
    """Sample the variant ``runs`` times and evaluate the samples as one batched engine call
    (the ensemble's own evaluation, so a sampled run is computed exactly as an ensemble's)."""
    variant = result.scenario.variant
    params = _parameters(file, variant, result, network)
    summary = result.summary([code])
    if not params or summary.empty:
        return None
    values = sample(params, runs, "lhs", seed)
    names, paths = [p.name for p in params], [p.path for p in params]
    if months:  # the horizon asked for on the command line holds for every sample
        values = np.column_stack([values, np.full(len(values), float(months))])
        names, paths = [*names, "months"], [*paths, ("months",)]
    task = BatchTask(
        index=0,
        first_run=0,
        values=values,
        names=names,
        paths=paths,
        scenario_text=Path(file.path).read_text("utf-8"),
        scenario_path=file.path,
        variant=variant,
        network=network,
        target=code,
        tracked_origins=sorted(
            {s.origin for s in result.scenario.shocks if s.type == "reexport_control"}
        ),
        cells=outcome_cells(network, summary),
    )
    frame = evaluate_batch(task)
    horizon = result.scenario.months
    stages = []
    for mineral, stage, central in zip(
        summary["mineral"], summary["stage"], summary["months_to_shortfall"], strict=True
    ):
        column = frame[f"months_to_shortfall.{code}.{mineral}.{stage}"].to_numpy(float)
        p5, p95 = np.percentile(column, [5, 95], method="inverted_cdf")
        stages.append(
            StageSpread(
                str(mineral),
                str(stage),
                _month(central, horizon),
                _month(float(p5), horizon),
                _month(float(p95), horizon),
                float((column >= never_value(horizon)).mean()),
            )
        )
    return Spread(runs, seed, [p.name for p in params], stages)


def _spread_caption(spreads: list[Spread | None], runs: int, seed: int, lang: str) -> str:
    """What the brackets after each month are."""
    count = max((len(s.parameters) for s in spreads if s is not None), default=0)
    if lang == "ja":
        return (
            f"括弧内: 各バリアント{runs}回の標本（シナリオの分布とデータセットの在庫範囲、"
            f"{count}個以下のパラメータ、ラテン超方格、seed {seed}）の初回不足月のP5–P95。"
        )
    return (
        f"In brackets: P5–P95 of months to first shortfall over {runs} sampled runs per "
        f"variant (the scenario's distributions and the dataset's stock ranges, up to {count} "
        f"parameters, Latin hypercube, seed {seed})."
    )


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
    say(t("cov_heading", lang))
    for message, level in shown.items():
        say(f"  {level}: {message}")
    sep = "、" if lang == "ja" else ", "
    for iso3, minerals in asked.items():
        line = t(
            "cov_asked",
            lang,
            country=words.country(iso3),
            minerals=sep.join(words.mineral(m) for m in minerals),
        )
        say(f"  {t('cov_note', lang)}: {line}")


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to the main CLI."""
    app.command("run")(friendly(run))
