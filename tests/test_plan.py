"""The resilience plan: the stochastic program keeps every member under the cap in every
sampled control, tighter caps never cost less, every sharing rule splits the whole cost, and
bad requests are clear errors."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.core.errors import ScenarioError
from oreshock.model.scenario import load_scenario
from oreshock.model.simulate import simulate
from oreshock.plan.model import Costs, Plants, Risk, build
from oreshock.plan.projects import usable
from oreshock.plan.refine import tail_mean
from oreshock.plan.runner import make_plan, planned_gaps
from oreshock.plan.solve import CapInfeasible, only, solve

FLAGSHIP = "japan-rare-earths-2026"
N = 4  # sampled controls: enough for the properties, small enough for the suite


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(FLAGSHIP)


@pytest.fixture(scope="module")
def gaps(network, scenario):
    return planned_gaps(network, scenario, "g7plus", N, seed=0)[0]


@pytest.fixture(scope="module")
def plan(network, scenario):
    return make_plan(network, scenario, "g7plus", 0.05, scenarios=N, caps=[0.2, 0.05, 0.01])


def test_members_are_those_with_demand_and_some_go_short(gaps):
    assert {"JPN", "USA", "KOR"} <= set(gaps.members)
    assert gaps.short.sum() > 0 and (gaps.short >= 0).all()
    assert (gaps.short.sum(axis=3) <= gaps.demand.sum(axis=2)[None] + 1e-6).all()


@pytest.mark.parametrize("risk", ["worst", "expected", "cvar"])
def test_the_cap_holds_in_the_solution(gaps, risk):
    model = build(gaps, 0.05, Risk(risk, 0.5), Costs())
    status, condition = model.solve(solver_name="highs", output_flag=False, progress=False)
    assert (status, condition) == ("ok", "optimal")
    short = model.solution["short"].sum("period").values  # [W, M, N]
    allowed = 0.05 * gaps.demand.sum(axis=2)
    level = {"worst": short.max(axis=0), "expected": short.mean(axis=0)}.get(risk)
    if risk == "cvar":  # the mean of the worst half of the scenarios
        level = tail_mean(short, 0.5)
    assert (level <= allowed + 1e-4).all()


def test_a_looser_risk_measure_never_costs_more(gaps):
    """expected <= cvar (the worst half's mean) <= worst, member by member and in cost."""
    cost = {r: solve(gaps, 0.05, Risk(r, 0.5), Costs()).cost for r in ("expected", "cvar", "worst")}
    assert cost["expected"] <= cost["cvar"] * (1 + 1e-6) <= cost["worst"] * (1 + 1e-6) ** 2


def test_tighter_caps_never_cost_less(plan):
    costs = [p["total_cost_usd"] for p in sorted(plan.curve, key=lambda p: -p["cap"])]
    assert np.all(np.diff(costs) >= -1e-6 * costs[0])


def test_every_rule_splits_the_whole_cost(plan):
    for rule, shares in plan.shares.items():
        assert sum(shares.usd.values()) == pytest.approx(plan.total_cost_usd, rel=1e-6), rule
    items = sum(i["cost_usd"] for i in plan.items)
    assert items <= plan.total_cost_usd * (1 + 1e-9)  # the rest is the shortfall left


def test_shapley_is_individually_rational_here(plan):
    """The members' gaps come together (one control on all of them), so pooling saves
    little and each member's Shapley share is at most what it would pay alone."""
    for m, usd in plan.shares["shapley"].usd.items():
        assert usd <= plan.standalone_cost_usd[m] * (1 + 1e-6) + 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cap": 0.0}, "--cap: expected a share in"),
        ({"cap": 1.5}, "--cap: expected a share in"),
        ({"cap": 0.05, "risk": "cvar90"}, "--risk: expected one of worst, expected, cvar"),
        ({"cap": 0.05, "risk": "cvar", "alpha": 1.0}, r"--alpha: expected a share in \[0, 1\)"),
        ({"cap": 0.05, "scenarios": 0}, "--scenarios: expected at least 1"),
    ],
)
def test_bad_requests_are_clear_errors(network, scenario, kwargs, message):
    cap = kwargs.pop("cap")
    with pytest.raises(ScenarioError, match=message):
        make_plan(network, scenario, "g7plus", cap, **kwargs)


def test_a_scenario_without_a_plan_block_is_refused(network):
    with pytest.raises(ScenarioError, match="has no plan: block"):
        make_plan(network, load_scenario("baseline"), "g7plus", 0.05, scenarios=2)


def test_an_unknown_group_is_refused(network, scenario):
    with pytest.raises(Exception, match="unknown group 'g9'"):
        make_plan(network, scenario, "g9", 0.05, scenarios=2)


def test_cli_json_has_every_field(db_path):
    result = CliRunner().invoke(app, ["plan", FLAGSHIP, "--scenarios", "2", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"plan_id", "status", "members", "cap", "risk", "total_cost_usd", "items", "shares",
            "standalone_cost_usd", "core_violations", "cap_duals", "verify", "scenario_file",
            "curve"} <= set(out)  # fmt: skip
    assert out["status"] == "optimal" and out["verify"] is None
    assert set(out["shares"]) == {"shapley", "demand", "benefit"}
    item = out["items"][0]
    assert {"kind", "holder", "stage", "product", "quantity_t", "start", "cost_usd"} <= set(item)


def test_verify_checks_the_plan_in_the_engine_and_writes_a_scenario(network, scenario, tmp_path):
    """Fresh controls through the engine with the plan's stockpiles: probabilities in [0, 1]
    per member, and a scenario file that loads and runs on the same network."""
    path = tmp_path / "plan.yaml"
    plan = make_plan(
        network, scenario, "g7plus", 0.05, scenarios=3, verify_scenarios=3, write_to=path
    )
    record = plan.record()
    assert record["scenario_file"] == str(path)
    verified = record["verify"]
    assert verified["scenarios"] == 3
    assert set(verified["exceed_probability"]) == set(plan.members)
    assert all(0.0 <= p <= 1.0 for p in verified["exceed_probability"].values())
    written = load_scenario(path)
    assert written.buffers.stockpiles and written.shocks
    result = simulate(network, written, warn=False)
    assert result.summary()["months_to_shortfall"].notna().any()


def test_a_negative_verify_count_is_refused(network, scenario):
    with pytest.raises(ScenarioError, match="--verify: expected 0 or more"):
        make_plan(network, scenario, "g7plus", 0.05, scenarios=2, verify_scenarios=-1)


def test_a_cap_of_the_curve_outside_the_unit_interval_is_refused(network, scenario):
    with pytest.raises(ScenarioError, match="--caps: expected shares in"):
        make_plan(network, scenario, "g7plus", 0.05, scenarios=2, caps=[0.1, 1.5])


def _plan_file(tmp_path, months: int, block: str):
    """A small scenario of its own with the plan block given."""
    path = tmp_path / "own.yaml"
    text = f"name: own\nmonths: {months}\nminerals: [rare_earths]\nplan: {block}\n"
    path.write_text(text, "utf-8")
    return load_scenario(path)


def test_a_control_starting_beyond_the_horizon_is_refused(network, tmp_path):
    late = "{destinations: [g7plus], start_months: [6, 30], length_months: [3, 6]}"
    with pytest.raises(ScenarioError, match="beyond the 12-month horizon"):
        make_plan(network, _plan_file(tmp_path, 12, late), "g7plus", 0.05, scenarios=2)


def test_many_controls_from_a_block_without_ranges_are_refused(network, tmp_path):
    fixed = "{destinations: [g7plus], start_months: [6, 6], length_months: [6, 6]}"
    with pytest.raises(ScenarioError, match="--scenarios 3: the plan block's start_months"):
        make_plan(network, _plan_file(tmp_path, 24, fixed), "g7plus", 0.05, scenarios=3)


def _projects(network):
    from oreshock.data.datasets import load_dataset
    from oreshock.plan.projects import from_table

    return from_table(load_dataset().table("projects"))


def test_a_plant_makes_nothing_before_its_lead_time_and_ramps_to_full(network):
    plant = next(p for p in _projects(network) if p.project_id == "neo_narva_2")
    online = plant.online(20)
    assert online[: plant.lead_months // 3].max() == 0.0
    assert online[-1] == 1.0 and (np.diff(online) >= 0).all()
    late = replace(plant, lead_months=61)
    assert usable([late], plant.nodes, 20) == []


def test_the_program_builds_a_plant_it_can_use_and_never_past_its_capacity(network, gaps):
    cheap = [replace(p, capex_usd=1.0) for p in _projects(network)]
    plants = Plants.full(usable(cheap, gaps.nodes, gaps.short.shape[3]), N, gaps.short.shape[3])
    solved = solve(gaps, 0.05, Risk(), Costs(), plants)
    assert max(solved.build.values()) > 0.5
    for project in plants.projects:
        made = sum(v for (j, _), v in solved.made.items() if j == project.project_id)
        most = (
            solved.build[project.project_id]
            * project.capacity
            / 4
            * project.online(gaps.short.shape[3]).sum()
        )
        assert made <= most + 1e-6


def test_a_plant_without_feed_is_found_out_in_the_engine(network, scenario):
    """Magnet plants outside China need metal from outside China, which the control leaves
    scarce: the engine shows the built plant making nothing once online, and the plan drops
    it rather than count on it."""
    projects = [p for p in _projects(network) if p.project_id == "neo_narva_2"]
    plan = make_plan(network, scenario, "g7plus", 0.05, scenarios=N, projects=projects)
    assert plan.refined is not None
    usable_share = plan.refined.plants.usable[0]
    online = projects[0].online(usable_share.shape[1]) > 0
    assert usable_share[:, online].max() < 0.05
    assert not [i for i in plan.items if i["kind"] == "capacity"]


def test_buying_over_time_never_costs_more_and_keeps_to_the_limit(gaps):
    """Bought quarter by quarter, a stock is held for less of the horizon than one bought at
    once, and no quarter's purchases exceed the limit."""
    at_once = solve(gaps, 0.05, Risk(), Costs()).cost
    model = build(gaps, 0.05, Risk(), Costs(buy_rate=0.5))
    status, condition = model.solve(solver_name="highs", output_flag=False, progress=False)
    assert (status, condition) == ("ok", "optimal")
    assert model.objective.value <= at_once * (1 + 1e-6)
    bought = model.solution["buy"].sum("holder").values  # [N, P]
    assert (bought <= 0.5 * gaps.output[:, None] / 4 + 1e-6).all()


def test_a_cap_no_purchase_rate_can_keep_names_where_it_binds(network, scenario):
    with pytest.raises(CapInfeasible) as caught:
        make_plan(network, scenario, "g7plus", 0.05, scenarios=N, costs=Costs(buy_rate=0.01))
    exc = caught.value
    assert exc.over and all(v > 0 for v in exc.over.values())
    assert {m for m, _ in exc.over} <= {"DEU", "JPN", "KOR", "USA", "XEU"}
    assert exc.starts and min(exc.starts) >= 6  # the plan block's earliest start
    assert "cannot be bought fast enough" in str(exc)


def test_cli_names_an_infeasible_cap_in_both_languages():
    for lang, words in (("en", "No plan keeps every member"), ("ja", "計画はありません")):
        result = CliRunner().invoke(app, ["plan", FLAGSHIP, "--scenarios", "3", "--buy-rate",
                                          "0.01", "--lang", lang])  # fmt: skip
        assert result.exit_code == 2 and words in result.output
        assert "USA" not in result.output  # countries by name


def test_without_a_cap_the_plan_buys_only_what_the_shortfall_cost_pays_for(network, gaps):
    """--cap 1 binds nowhere: with no cost on the shortfall left the plan buys and builds
    nothing; with one, only what costs less to hold than the shortfall it avoids."""
    plants = Plants.full(usable(_projects(network), gaps.nodes, gaps.short.shape[3]), N,
                         gaps.short.shape[3])  # fmt: skip
    free = solve(gaps, 1.0, Risk(), Costs(shortfall_multiple=0.0), plants)
    assert free.cost == pytest.approx(0.0, abs=1e-6) and not free.stock
    assert max(free.build.values()) <= 1e-9
    priced = solve(gaps, 1.0, Risk(), Costs(), plants)
    capped = solve(gaps, 0.05, Risk(), Costs(), plants)
    assert priced.cost <= capped.cost * (1 + 1e-9)
    assert all(v == pytest.approx(0.0, abs=1e-6) for v in priced.cap_duals.values())


def test_sub_coalitions_on_a_process_pool_cost_what_they_cost_one_after_another(gaps):
    from oreshock.ensemble.evaluators import PoolEvaluator
    from oreshock.plan.solve import coalition_costs

    small = only(gaps, gaps.members[:3])
    alone = coalition_costs(small, 0.05, Risk(), Costs())
    pooled = coalition_costs(small, 0.05, Risk(), Costs(), mapper=PoolEvaluator(2))
    assert alone.keys() == pooled.keys() and len(alone) == 2**3
    for group, cost in alone.items():
        assert pooled[group] == pytest.approx(cost, rel=1e-9, abs=1e-6), group


def test_a_built_recycler_runs_in_the_engine_as_secondary_supply(network, scenario):
    """A recycler is fed by scrap: in the engine it is secondary supply from its first
    output, ramping to its capacity, whatever the control does to newly mined metal."""
    from oreshock.plan.solve import Solved
    from oreshock.plan.verify import plant_entries, with_stockpiles

    recycler = next(p for p in _projects(network) if p.kind == "recycling")
    solved = Solved(0.0, {}, {}, np.zeros((0, 0)), build={recycler.project_id: 1.0})
    entries = plant_entries([recycler], solved, scenario.start, network)
    assert not entries["new_capacity"] and len(entries["recycling"]) == len(recycler.products)
    assert all(e["start"] == "2027-07" for e in entries["recycling"])  # 18 months' lead
    base = simulate(network, scenario, warn=False)
    built = simulate(network, with_stockpiles(scenario, [], entries), warn=False)
    made = 0.0
    for product in recycler.products:
        chain = network.chain(product)
        usa, s = chain.countries.index("USA"), chain.stages.index("magnets")
        extra = built.runs[product].series["production"] - base.runs[product].series["production"]
        made += float(extra[-1, 0, usa, s]) * 12  # t/yr once fully ramped
        assert (extra[:18, 0, usa, s] == 0).all()  # nothing before its first output
    assert made == pytest.approx(recycler.capacity, rel=0.05)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("plan.docx", "expected a file name ending in .html or .pdf"),
        ("/proc/no/plan.html", "cannot make its folder"),
    ],
)
def test_a_report_that_cannot_be_written_is_refused_before_planning(tmp_path, name, message):
    target = name if name.startswith("/") else str(tmp_path / name)
    result = CliRunner().invoke(app, ["plan", FLAGSHIP, "--scenarios", "2", "--report", target,
                                      "--db", str(tmp_path / "p.duckdb")])  # fmt: skip
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "p.duckdb").exists()  # refused before any plan was made or stored
