"""Engine benchmarks: one flagship variant over 60 months, the whole dataset over 120 months.

Run: python -m benchmarks.bench_engine   (prints the figures BENCHMARKS.md records)
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from collections.abc import Callable
from functools import partial
from statistics import median

import numpy as np

from benchmarks.figures import report
from oreshock import build_network, load_dataset, open_scenario, simulate
from oreshock.model.scenario import Scenario


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"
    )


def timed(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return median(times)


def main() -> None:
    print(f"machine: {machine()}")
    start = time.perf_counter()
    dataset = load_dataset()
    network = build_network(dataset)
    loaded = time.perf_counter() - start
    print(f"load bundled dataset + build network: {loaded:.3f} s")
    report("load the bundled dataset and build the network", f"{loaded:.3f} s")
    flagship = open_scenario("japan-rare-earths-2026")
    for variant in ("reexport-control", "full-response"):
        scenario = flagship.build(variant)
        t = timed(partial(simulate, network, scenario, record_flows=False), repeat=7)
        t_flows = timed(partial(simulate, network, scenario), repeat=7)
        print(
            f"flagship {variant}, 60 months: {t:.3f} s (with flow recording {t_flows:.3f} s; target < 0.05 s)"
        )
        report(
            f"flagship `{variant}`, 60 months (recording flows)",
            f"{t:.3f} s ({t_flows:.3f} s)",
            "< 0.05 s",
        )
    whole = Scenario.model_validate(
        {
            "name": "whole",
            "months": 120,
            "shocks": [
                {
                    "type": "export_ban",
                    "exporter": "CHN",
                    "destinations": ["g7plus"],
                    "start": "2026-03",
                },
                {
                    "type": "reexport_control",
                    "origin": "CHN",
                    "destinations": ["g7plus"],
                    "start": "2026-03",
                },
            ],
            "responses": {"rerouting": {"delay_months": 3, "growth": 0.05}},
        }
    )
    with warnings.catch_warnings():  # the data's coverage of a ban on every mineral: many notes
        warnings.simplefilter("ignore")
        t = timed(lambda: simulate(network, whole, record_flows=False), repeat=3)
    chains = len(network.chains)
    stages = sum(len(c.stages) for c in network.chains.values())
    print(
        f"whole dataset ({chains} minerals, {stages} stages), 120 months: {t:.3f} s (target < 1 s)"
    )
    report(f"whole dataset ({chains} chains, {stages} stages), 120 months", f"{t:.3f} s", "< 1 s")


if __name__ == "__main__":
    main()
