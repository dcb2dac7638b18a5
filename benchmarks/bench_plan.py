"""The planner's size and speed: ``python -m benchmarks.bench_plan [--sizes 10,50,100,200]``.

For each number of sampled controls N, in a fresh process (so each peak resident memory is
its own): the engine runs that read the gaps, the linopy build and the HiGHS solve of the
flagship plan (g7plus, cap 5%, worst case, with the dataset's candidate plants), the model's
variables and constraints, and the process's peak resident memory; with ``--whole``, also
``make_plan`` end to end (the rounds against the engine and every sub-coalition's solve for
the Shapley value, no ``--verify``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

from benchmarks.bench_ensemble import SCENARIO, machine
from benchmarks.figures import report


def measure(n: int, whole: bool) -> dict[str, Any]:
    """One size, in this process."""
    from oreshock.data.datasets import load_dataset
    from oreshock.model.network import build_network
    from oreshock.model.scenario import open_scenario
    from oreshock.plan.model import Costs, Plants, Risk, build
    from oreshock.plan.projects import from_table, usable
    from oreshock.plan.runner import make_plan, planned_gaps
    from oreshock.plan.solve import run_solver

    dataset = load_dataset()
    network = build_network(dataset)
    scenario = open_scenario(SCENARIO).build(None)
    projects = from_table(dataset.table("projects"))
    start = time.perf_counter()
    gaps, _ = planned_gaps(network, scenario, "g7plus", n, 0, projects)
    engine = time.perf_counter() - start
    periods = gaps.short.shape[3]
    plants = Plants.full(usable(projects, gaps.nodes, periods), n, periods)
    start = time.perf_counter()
    model = build(gaps, 0.05, Risk(), Costs(), plants)
    built = time.perf_counter() - start
    start = time.perf_counter()
    status = run_solver(model)
    solved = time.perf_counter() - start
    out = {
        "n": n,
        "engine_s": engine,
        "build_s": built,
        "solve_s": solved,
        "variables": model.nvars,
        "constraints": model.ncons,
        "status": "/".join(status),
    }
    if whole:
        start = time.perf_counter()
        make_plan(network, scenario, "g7plus", 0.05, scenarios=n, projects=projects)
        out["make_plan_s"] = time.perf_counter() - start
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10,50,100,200")
    ap.add_argument("--whole", action="store_true", help="also time make_plan end to end")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.whole)))
        return
    print(machine())
    print(
        f"{'N':>4} {'engine s':>9} {'build s':>8} {'solve s':>8} {'variables':>10} "
        f"{'constraints':>11} {'peak MiB':>9}" + (f" {'make_plan s':>11}" if args.whole else "")
    )
    for n in (int(x) for x in args.sizes.split(",")):
        command = [sys.executable, "-m", "benchmarks.bench_plan", "--one", str(n)]
        done = subprocess.run(
            command + (["--whole"] if args.whole else []),
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        line = (
            f"{r['n']:>4} {r['engine_s']:>9.1f} {r['build_s']:>8.2f} {r['solve_s']:>8.2f} "
            f"{r['variables']:>10,} {r['constraints']:>11,} {r['peak_rss_mib']:>9.0f}"
        )
        print(line + (f" {r['make_plan_s']:>11.1f}" if args.whole else ""), flush=True)
        report(
            f"plan, {r['n']} controls: engine / build / solve, peak memory",
            f"{r['engine_s']:.1f} / {r['build_s']:.2f} / {r['solve_s']:.2f} s, "
            f"{r['peak_rss_mib']:.0f} MiB",
            "50 controls < 60 s and 4 GiB" if r["n"] == 50 else "",
        )


if __name__ == "__main__":
    main()
