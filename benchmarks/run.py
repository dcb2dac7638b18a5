"""Run every benchmark, each in its own process, and print its figures (``make bench``).

The default sizes suit a 2-core machine and finish in a few minutes; ``--full`` runs the
sizes that BENCHMARKS.md records (``bench_ensemble --runs 10000 --dask-runs 2000 --big
100000``, which takes well over ten minutes). Each benchmark prints the machine it ran on and
its figures as it goes; at the end, one table holds every benchmark's figures with their
targets (``figures.py``: each process appends its figures to a file the runner names).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import figures

SMALL: dict[str, list[str]] = {
    "bench_engine": [],
    "bench_ensemble": [
        "--runs=1000",
        "--dask-runs=400",
        "--big=0",
        "--batched-runs=200",
        "--loop-runs=10",
    ],
    "bench_plan": ["--sizes=10,50"],
    "bench_impact": [],
}
FULL: dict[str, list[str]] = {
    "bench_engine": [],
    "bench_ensemble": ["--runs=10000", "--dask-runs=2000", "--big=100000"],
    "bench_plan": ["--sizes=10,50,100,200", "--whole"],
    "bench_impact": [],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true", help="the sizes BENCHMARKS.md records")
    args = ap.parse_args(argv)
    plan = FULL if args.full else SMALL
    failed = []
    rows: list[tuple[str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in plan.items():
            command = [sys.executable, "-m", f"benchmarks.{name}", *extra]
            print(f"== {' '.join(['python', *command[1:]])}", flush=True)
            found = Path(tmp) / f"{name}.jsonl"
            env = {**os.environ, figures.ENV: str(found)}
            start = time.perf_counter()
            code = subprocess.run(command, check=False, env=env).returncode
            print(f"== {name}: {time.perf_counter() - start:.1f} s, exit {code}\n", flush=True)
            rows += [(name, row) for row in figures.read(found)]
            if code:
                failed.append(name)
                rows.append((name, {"figure": "(failed)", "measured": f"exit {code}"}))
    print(figures.table(rows), flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
