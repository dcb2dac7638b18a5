"""``oreshock plan SCENARIO``: the least-cost stockpiles that keep every member's shortfall
under a cap across sampled future controls, and who pays what. Each plan is stored in the
results database (``store.plans``) and printed with its id; ``oreshock plans`` reads it back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from oreshock.cli.common import (
    SEED_MAX,
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    PaperOpt,
    err,
    friendly,
    print_json,
)
from oreshock.cli.plan_text import print_plan, say
from oreshock.core.errors import OreshockError, ScenarioError
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.model.network import build_network
from oreshock.model.scenario import open_scenario
from oreshock.plan.model import Costs
from oreshock.plan.projects import from_table
from oreshock.plan.runner import make_plan
from oreshock.plan.solve import CapInfeasible, Mapper, PlanError
from oreshock.report.plan import item_product, write_plan_report
from oreshock.report.text import Names
from oreshock.store.integrity import first_line
from oreshock.store.plans import PlanRows, plan_rows, save_plan
from oreshock.store.recovery import SAVE_ERRORS
from oreshock.store.store import Store, check_target


def _caps(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ScenarioError(
            f"--caps: expected shares separated by commas, found {text!r}"
        ) from None


def infeasible_message(exc: CapInfeasible, words: Names, lang: str) -> str:
    """Where a cap no plan can keep binds, with names: members, products, control starts."""
    where = "; ".join(
        t("plan_binds_at", lang, member=words.country(m), product=item_product(
            {"product": node.split(":")[0], "stage": node.split(":")[1]}, words),
          points=f"{100 * v:.1f}")
        for (m, node), v in list(exc.over.items())[:6]
    )  # fmt: skip
    starts = ", ".join(str(s) for s in exc.starts) or "?"
    return t("plan_infeasible", lang, cap=f"{exc.cap:.0%}", where=where, starts=starts)


def plan(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or YAML path.")],
    members: Annotated[str, typer.Option(help="Coalition: a group id or ISO3 code.")] = "g7plus",
    cap: Annotated[float, typer.Option(help="Cumulative shortfall cap, share of demand.")] = 0.05,
    risk: Annotated[
        str,
        typer.Option(help="worst (every scenario), expected, or cvar (mean of the worst tail)."),
    ] = "worst",
    alpha: Annotated[
        float, typer.Option(help="With --risk cvar: the tail is the worst 1 - alpha of scenarios.")
    ] = 0.9,
    buy_rate: Annotated[
        float | None,
        typer.Option(help="Most the coalition buys a month, share of world output (default: any)."),
    ] = None,
    carrying_rate: Annotated[
        float, typer.Option(help="Cost of capital a year, share of the stock's value (assumed).")
    ] = Costs.carrying_rate,
    storage: Annotated[
        float, typer.Option(help="Storage, USD per tonne-year (assumed).", min=0)
    ] = Costs.storage_usd_t_yr,
    shortfall_multiple: Annotated[
        float, typer.Option(help="Cost of a tonne short, multiple of its price (assumed).", min=0)
    ] = Costs.shortfall_multiple,
    scenarios: Annotated[int, typer.Option(help="Sampled future controls.", min=1, max=2000)] = 50,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX)] = 0,
    caps: Annotated[
        str | None, typer.Option(help="Cost-vs-cap curve, e.g. 0.10,0.05,0.02.")
    ] = None,
    variant: Annotated[
        str | None, typer.Option(help="Scenario variant (default: the base).")
    ] = None,
    verify: Annotated[
        int, typer.Option(help="Check the plan in the engine on this many fresh controls.", min=0)
    ] = 0,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="With --verify: write the plan as a scenario file here."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Also write the plan's report here (.html or .pdf, in --lang)."),
    ] = None,
    paper: PaperOpt = "a4",
    workers: Annotated[
        int | None,
        typer.Option(help="Processes for the sub-coalitions' solves (default: CPU count).", min=1),
    ] = None,
    dask: Annotated[
        str | None, typer.Option(help="Solve them on Dask: 'local' or a scheduler address.")
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Least-cost national and joint stockpiles keeping each member's cumulative shortfall
    under the cap in the scenario's plan: block (sampled future controls), solved by HiGHS,
    with the cost split by Shapley value, demand and benefit. The plan is stored and its id
    printed (`oreshock plans show ID`)."""
    file = open_scenario(scenario)
    built = file.build(variant)
    dataset = load_dataset(data, base_year=built.base_year)
    network = build_network(dataset)
    report_format = _report_format(report)  # a report that cannot be written, and a bad
    target = check_target(db)  # --db, are refused before anything is computed
    try:
        costs = Costs(carrying_rate=carrying_rate, storage_usd_t_yr=storage,
                      shortfall_multiple=shortfall_multiple, buy_rate=buy_rate)  # fmt: skip
        with _progress(hidden=json_out) as say_step:
            result = make_plan(
                network,
                built,
                members,
                cap,
                risk=risk,
                alpha=alpha,
                scenarios=scenarios,
                seed=seed,
                caps=_caps(caps),
                costs=costs,
                progress=say_step,
                verify_scenarios=verify,
                write_to=out_file or (Path(f"{built.name}-plan.yaml") if verify else None),
                projects=from_table(dataset.table("projects")),
                mapper=_mapper(workers, dask),
            )
    except CapInfeasible as exc:
        if json_out:
            print_json(infeasible_record(exc, members, cap, risk))
            raise typer.Exit(1) from None
        raise PlanError(infeasible_message(exc, Names(dataset, lang), lang)) from None
    rows = plan_rows(result, built, network, coalition=members, seed=seed)
    why = _save(rows, target)
    record = rows.record if why is None else {**rows.record, "plan_id": None}
    if report is not None and report_format is not None:
        write_plan_report(record, report, dataset, lang=lang, fmt=report_format, paper=paper)
    if json_out:
        print_json(record)
    else:
        print_plan(record, Names(dataset, lang), lang)
        if report is not None:
            say(t("plan_report_written", lang, path=str(report)))
    if why is not None:
        raise OreshockError(
            f"the plan was computed but could not be saved to {target}: {why}; it is printed "
            "above, with no plan_id, but not stored"
        )
    if not json_out:
        say(t("plan_saved", lang, plan_id=rows.plan_id))


def _save(rows: PlanRows, db: Path) -> str | None:
    """Store the plan; None when it is stored, else why not. The plan is printed either way:
    its record holds every number, so a failed save loses no work that is not shown."""
    try:
        with Store(db) as store:
            save_plan(store, rows)
    except SAVE_ERRORS as exc:
        return first_line(exc)
    return None


def infeasible_record(exc: CapInfeasible, members: str, cap: float, risk: str) -> dict:
    """The ``--json`` of a cap no plan keeps: status ``infeasible``, where it binds."""
    return {"plan_id": None, "status": "infeasible", "members": members, "cap": cap, "risk": risk,
            "binding": [{"member": m, "node": n, "least_excess_share": v}
                        for (m, n), v in exc.over.items()],
            "control_starts": exc.starts, "total_cost_usd": None, "items": None}  # fmt: skip


def _mapper(workers: int | None, dask: str | None) -> Mapper | None:
    """The evaluator the sub-coalitions' solves run on (None: one after another)."""
    from oreshock.ensemble.evaluators import make_evaluator  # lazy: it loads scipy.stats

    count = workers or os.cpu_count() or 1
    return make_evaluator(count, dask) if count > 1 or dask else None


def _report_format(path: Path | None) -> str | None:
    """``html`` or ``pdf`` from the report's name, its folder made (None: no report)."""
    if path is None:
        return None
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("html", "pdf"):
        raise OreshockError(f"--report {path}: expected a file name ending in .html or .pdf")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OreshockError(f"--report {path}: cannot make its folder ({exc.strerror})") from None
    if path.is_dir():
        raise OreshockError(f"--report {path}: is a folder; expected a file name")
    return fmt


@contextmanager
def _progress(hidden: bool) -> Iterator[Callable[[str, float], None]]:
    """A progress bar on the terminal (none with ``--json``) and the callback that moves it."""
    with Progress(console=err, transient=True, disable=hidden) as bar:
        task = bar.add_task("planning", total=1.0)
        yield lambda step, done: bar.update(task, completed=done, description=step)


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the main CLI."""
    app.command("plan")(friendly(plan))
