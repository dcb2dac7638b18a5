"""``oreshock plan SCENARIO``: the least-cost stockpiles that keep every member's shortfall
under a cap across sampled future controls, and who pays what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import Progress

from oreshock.cli.common import (
    SEED_MAX,
    DataOpt,
    JsonOpt,
    LangOpt,
    err,
    friendly,
    out,
    print_frame,
    print_json,
)
from oreshock.core.errors import ScenarioError
from oreshock.core.i18n import t
from oreshock.data.datasets import load_dataset
from oreshock.model.network import build_network
from oreshock.model.scenario import open_scenario
from oreshock.plan.model import Costs
from oreshock.plan.projects import from_table
from oreshock.plan.runner import Plan, make_plan
from oreshock.plan.solve import CapInfeasible, PlanError
from oreshock.report.plan import item_holder, item_product, write_plan_report
from oreshock.report.text import Names


def _caps(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ScenarioError(
            f"--caps: expected shares separated by commas, found {text!r}"
        ) from None


def _share(option: str, value: float | None) -> float | None:
    if value is not None and not 0 < value <= 1:
        raise ScenarioError(f"{option}: expected a share in (0, 1], found {value}")
    return value


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


def _million(usd: float) -> str:
    return f"{usd / 1e6:,.1f}"


def _print(plan: Plan, words: Names, lang: str) -> None:
    out.print(
        t("plan_header", lang, cost=_million(plan.total_cost_usd), cap=f"{plan.cap:.0%}",
          risk=plan.risk, n=plan.scenarios),
        highlight=False, markup=False, soft_wrap=True,
    )  # fmt: skip
    items = pd.DataFrame(
        {
            t("plan_holder", lang): item_holder(i, words, lang),
            t("plan_product", lang): item_product(i, words),
            t("plan_tonnes", lang): f"{i['quantity_t']:,.0f}",
            t("plan_cost", lang): _million(i["cost_usd"]),
        }
        for i in plan.items
    )  # fmt: skip
    print_frame(items, title=t("plan_items", lang))
    shares = pd.DataFrame(
        {
            t("plan_member", lang): words.country(m),
            **{t(f"plan_rule_{rule}", lang): _million(s.usd[m]) for rule, s in plan.shares.items()},
            t("plan_standalone", lang): _million(plan.standalone_cost_usd[m]),
            t("plan_cap_dual", lang): f"{round(plan.cap_duals.get(m, 0.0) / 1e6, 2) + 0.0:,.2f}",
        }
        for m in plan.members
    )  # fmt: skip
    print_frame(shares, title=t("plan_shares", lang))
    for rule, groups in plan.core_violations.items():
        if groups:
            worst = groups[0]
            named = ", ".join(words.country(m) for m in worst["members"])
            out.print(t("plan_core", lang, rule=t(f"plan_rule_{rule}", lang), n=len(groups),
                        groups=named, excess=_million(worst["excess_usd"])),
                      highlight=False, markup=False, soft_wrap=True)  # fmt: skip
    if plan.verified is not None:
        v = plan.verified
        for m in plan.members:
            out.print(t("plan_verify", lang, member=words.country(m), n=v.scenarios,
                        p=f"{v.exceed_probability[m]:.0%}", cap=f"{plan.cap:.0%}",
                        worst=f"{v.max_cumulative_shortfall_pct[m]:.1f}",
                        engine=f"{v.engine_mean_shortfall_pct[m]:.1f}",
                        program=f"{v.program_mean_shortfall_pct[m]:.1f}"),
                      highlight=False, markup=False, soft_wrap=True)  # fmt: skip
        if v.scenario_file:
            out.print(t("plan_written", lang, path=v.scenario_file), highlight=False, markup=False)
    for point in plan.curve:
        out.print(t("plan_curve", lang, cap=f"{point['cap']:.0%}",
                    cost=_million(point["total_cost_usd"])), highlight=False, markup=False)  # fmt: skip


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
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Least-cost national and joint stockpiles keeping each member's cumulative shortfall
    under the cap in the scenario's plan: block (sampled future controls), solved by HiGHS,
    with the cost split by Shapley value, demand and benefit."""
    file = open_scenario(scenario)
    built = file.build(variant)
    dataset = load_dataset(data, base_year=built.base_year)
    network = build_network(dataset)
    try:
        costs = Costs(carrying_rate=_share("--carrying-rate", carrying_rate) or carrying_rate,
                      storage_usd_t_yr=storage, shortfall_multiple=shortfall_multiple,
                      buy_rate=_share("--buy-rate", buy_rate))  # fmt: skip
        result = _planned(network, built, dataset, members, cap, risk, alpha, costs, scenarios,
                          seed, caps, verify, out_file, json_out)  # fmt: skip
    except CapInfeasible as exc:
        if json_out:
            print_json(infeasible_record(exc, members, cap, risk))
            raise typer.Exit(1) from None
        raise PlanError(infeasible_message(exc, Names(dataset, lang), lang)) from None
    if report is not None:
        fmt = "pdf" if report.suffix.lower() == ".pdf" else "html"
        write_plan_report(result.record(), report, dataset, lang=lang, fmt=fmt)
    if json_out:
        print_json(result.record())
        return
    _print(result, Names(dataset, lang), lang)
    if report is not None:
        out.print(t("plan_report_written", lang, path=str(report)), highlight=False, markup=False)


def infeasible_record(exc: CapInfeasible, members: str, cap: float, risk: str) -> dict:
    """The ``--json`` of a cap no plan keeps: status ``infeasible``, where it binds."""
    return {"plan_id": None, "status": "infeasible", "members": members, "cap": cap, "risk": risk,
            "binding": [{"member": m, "node": n, "least_excess_share": v}
                        for (m, n), v in exc.over.items()],
            "control_starts": exc.starts, "total_cost_usd": None, "items": None}  # fmt: skip


def _planned(network, built, dataset, members, cap, risk, alpha, costs, scenarios, seed,
             caps, verify, out_file, json_out) -> Plan:  # fmt: skip
    """make_plan with the dataset's candidate plants, behind a progress bar."""
    with Progress(console=err, transient=True, disable=json_out) as progress:
        task = progress.add_task("planning", total=1.0)

        def say(step: str, done: float) -> None:
            progress.update(task, completed=done, description=step)

        return make_plan(network, built, members, cap, risk=risk, alpha=alpha, scenarios=scenarios,
                           costs=costs,
                           seed=seed, caps=_caps(caps), progress=say, verify_scenarios=verify,
                           write_to=out_file or (Path(f"{built.name}-plan.yaml") if verify else None),
                           projects=from_table(dataset.table("projects")))  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the main CLI."""
    app.command("plan")(friendly(plan))
