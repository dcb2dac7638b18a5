"""Ensemble benchmarks: throughput, batched vs single-run loop, Dask speed-up, peak memory.

Run: ``python -m benchmarks.bench_ensemble [--variant V] [--runs N] [--big N] [--dask-runs N]
[--batched-runs N] [--loop-runs N]``.
Prints one line per figure; BENCHMARKS.md records them with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.figures import report
from oreshock.ensemble.batching import evaluate_batch
from oreshock.ensemble.evaluators import DaskEvaluator, PoolEvaluator
from oreshock.ensemble.runner import EnsembleSpec, plan_ensemble, run_ensemble
from oreshock.model.network import Network, build_network
from oreshock.model.simulate import simulate

SCENARIO = "japan-rare-earths-2026"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"CPU {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.system()} {platform.release()}"
    )


def throughput(network: Network, variant: str, runs: int, workers: int, folder: Path) -> float:
    """Runs/s of a full ensemble (sampling, batches on a process pool, Parquet, DuckDB)."""
    spec = EnsembleSpec(SCENARIO, variant, runs=runs, seed=1, batch_size=500)
    res = run_ensemble(
        spec, network=network, evaluator=PoolEvaluator(workers), out=folder, db=folder / "db.duckdb"
    )
    print(
        f"ensemble {variant}: {runs} runs on {workers} workers in {res.seconds:.1f} s "
        f"= {runs / res.seconds:.0f} runs/s"
    )
    report(
        f"{runs:,} runs of `{variant}`, local process pool, {workers} workers",
        f"{res.seconds:.1f} s = {runs / res.seconds:.0f} runs/s",
        ">= 1,000 runs/s" if workers == 2 else "",
    )
    return runs / res.seconds


def batched_vs_loop(network: Network, variant: str, batched_runs: int, loop_runs: int) -> None:
    """One core each: ``evaluate_batch`` on a batch against ``simulate()`` per sample."""
    plan = plan_ensemble(
        EnsembleSpec(SCENARIO, variant, runs=batched_runs, seed=2, batch_size=batched_runs),
        network=network,
        out="unused",
    )
    t = time.perf_counter()
    evaluate_batch(plan.task(0, chunk=100))
    batched = batched_runs / (time.perf_counter() - t)
    sf = plan.scenario_file
    t = time.perf_counter()
    for row in plan.values[:loop_runs]:
        sc = sf.build(
            variant, dict(zip([p.path for p in plan.parameters], row.tolist(), strict=True))
        )
        simulate(network, sc, record_flows=False).summary([plan.spec.target])
    loop = loop_runs / (time.perf_counter() - t)
    print(
        f"batched vs single-run loop ({variant}, 1 core): {batched:.1f} vs {loop:.1f} runs/s "
        f"= {batched / loop:.1f}x"
    )
    report(
        "batched evaluation vs the single-run engine in a loop, one core",
        f"{batched:.1f} vs {loop:.1f} runs/s = {batched / loop:.1f}x",
        ">= 30x",
    )


def dask_speedup(network: Network, variant: str, runs: int, folder: Path) -> None:
    rates: dict[int, float] = {}
    for n in (1, 2):
        spec = EnsembleSpec(SCENARIO, variant, runs=runs, seed=3, batch_size=250)
        res = run_ensemble(
            spec,
            network=network,
            evaluator=DaskEvaluator("local", n),
            out=folder / f"dask{n}",
            db=folder / "db.duckdb",
        )
        rates[n] = runs / res.seconds
        print(
            f"dask LocalCluster {n} worker(s), {runs} runs: {res.seconds:.1f} s = {rates[n]:.0f} runs/s"
        )
    print(f"dask speed-up 2 vs 1 workers: {rates[2] / rates[1]:.2f}x")
    report(
        f"Dask LocalCluster, {runs:,} runs: 1 vs 2 workers",
        f"{rates[1]:.0f} vs {rates[2]:.0f} runs/s = {rates[2] / rates[1]:.2f}x",
        ">= 1.9x",
    )
    spec = EnsembleSpec(SCENARIO, variant, runs=runs, seed=3, batch_size=250)
    pool = run_ensemble(
        spec,
        network=network,
        evaluator=PoolEvaluator(1),
        out=folder / "pool1",
        db=folder / "db.duckdb",
    )
    alone = runs / pool.seconds
    print(f"local pool 1 worker, the same {runs} runs: {pool.seconds:.1f} s = {alone:.0f} runs/s")
    report(
        f"one Dask worker against one pool worker, the same {runs:,} runs",
        f"{rates[1]:.0f} vs {alone:.0f} runs/s = {100 * rates[1] / alone:.0f}%",
        ">= 90%",
    )


def peak_memory(variant: str, runs: int, folder: Path) -> None:
    """A large ensemble in a fresh process; peak RSS of the parent and of the workers."""
    code = (
        "import resource, sys, time\n"
        "from oreshock.ensemble.runner import EnsembleSpec, run_ensemble\n"
        "from oreshock.ensemble.evaluators import PoolEvaluator\n"
        "if __name__ == '__main__':\n"
        f"    spec = EnsembleSpec({SCENARIO!r}, {variant!r}, runs={runs}, seed=4, batch_size=1000)\n"
        f"    r = run_ensemble(spec, evaluator=PoolEvaluator(2), out={str(folder)!r}, db={str(folder / 'db.duckdb')!r})\n"
        "    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "    print(f'{r.runs} {r.seconds:.1f} {me:.0f} {kids:.0f}')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n, seconds, me, kids = out.stdout.split()
    size = sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 2**20
    print(
        f"streamed ensemble {variant}: {n} runs in {seconds} s; peak RSS parent {me} MiB, "
        f"largest worker {kids} MiB; {size:.1f} MiB of Parquet on disk"
    )
    report(
        f"{int(n):,} runs of `{variant}` streamed to Parquet: peak resident memory",
        f"parent {me} MiB, largest worker {kids} MiB",
        "< 1 GiB per process",
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", default="full-response")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dask-runs", type=int, default=2_000, help="0 skips the Dask rows")
    ap.add_argument(
        "--big", type=int, default=100_000, help="runs of the memory benchmark (0 skips it)"
    )
    ap.add_argument("--big-variant", default=None)
    ap.add_argument(
        "--batched-runs", type=int, default=500, help="batch of the batched-vs-loop row"
    )
    ap.add_argument("--loop-runs", type=int, default=30, help="single runs of that row")
    args = ap.parse_args(argv)

    print(machine())
    network = build_network()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        batched_vs_loop(network, args.variant, args.batched_runs, args.loop_runs)
        throughput(network, args.variant, args.runs, args.workers, root / "main")
        if args.dask_runs > 0:
            dask_speedup(network, args.variant, args.dask_runs, root)
        if args.big > 0:
            peak_memory(args.big_variant or args.variant, args.big, root / "big")
    print(
        f"benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
