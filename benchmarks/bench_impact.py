"""The impact layer's speed: ``python -m benchmarks.bench_impact [--repeat 7]``.

For each variant of the flagship (60 months, bundled data), the median time of ``assess`` (the
bridge, the direct loss, the Leontief and Ghosh propagation and the dynamic measure, every
measure computed) on the bundled table, over ``--repeat`` repeats after one warm-up; and the
time to read the bundled table through pymrio. The simulation itself is not counted (it is
``bench_engine``'s).
"""

from __future__ import annotations

import argparse
from functools import partial

from benchmarks import figures
from benchmarks.bench_engine import timed
from benchmarks.bench_ensemble import machine
from benchmarks.figures import report

SCENARIO = "japan-rare-earths-2026"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    from oreshock.data.datasets import load_dataset
    from oreshock.impact.assessment import assess
    from oreshock.impact.tables import load_table
    from oreshock.model.network import build_network
    from oreshock.model.variants import run_variants

    print(machine())
    dataset = load_dataset()
    network = build_network(dataset)
    read = timed(load_table, args.repeat)
    table = load_table()
    print(f"read the bundled table ({table.name}, {table.size} industries): {read:.3f} s")
    figures.report("read the bundled input-output table", f"{read:.3f} s")
    print(f"{'variant':<24} {'months':>6} {'assess (s)':>11}")
    for result in run_variants(SCENARIO, network):
        assess(result, dataset, table)  # warm-up
        seconds = timed(partial(assess, result, dataset, table), args.repeat)
        months = len(result.months())
        variant = result.scenario.variant or "base"
        print(f"{variant:<24} {months:>6} {seconds:>11.3f}")
        figures.report(
            f"impact of flagship {variant}, {months} months", f"{seconds:.3f} s", "< 1 s"
        )
        variant = result.scenario.variant or "base"
        report(f"impact of flagship `{variant}`, {months} months", f"{seconds:.3f} s", "< 1 s")


if __name__ == "__main__":
    main()
