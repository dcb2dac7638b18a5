"""Where a batched ensemble spends its time: ``evaluate_batch`` on one core under cProfile.

Run: ``python -m benchmarks.profile_ensemble [--variant V] [--runs 200] [--chunk 100]
[--top 25]``. Builds the flagship ensemble's first batch (the parameter sets ``bench_ensemble``
samples), evaluates it once to compile the kernels, then once under cProfile, and prints the
runs per second without the profiler, the share of the time spent compiling scenarios and
stepping the engine, and the functions with the most time of their own.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import warnings

from benchmarks.bench_ensemble import SCENARIO, machine
from oreshock.ensemble.batching import evaluate_batch
from oreshock.ensemble.runner import EnsembleSpec, plan_ensemble
from oreshock.model.network import build_network

PARTS = {
    "compile the samples' scenarios (compile_chain)": "compile_chain",
    "step the engine (run_chains)": "run_chains",
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", default="full-response")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=100, help="members stepped as one batch")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(machine())
    network = build_network()
    spec = EnsembleSpec(SCENARIO, args.variant, runs=args.runs, seed=2, batch_size=args.runs)
    plan = plan_ensemble(spec, network=network, out="unused")
    evaluate_batch(plan.task(0, chunk=args.chunk))  # compiles the kernels (numba) first
    start = time.perf_counter()
    evaluate_batch(plan.task(0, chunk=args.chunk))
    seconds = time.perf_counter() - start
    print(f"{args.runs} runs of {args.variant}, one core: {args.runs / seconds:.1f} runs/s")
    profile = cProfile.Profile()
    profile.runcall(evaluate_batch, plan.task(0, chunk=args.chunk))
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-12)  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]
    for label, name in PARTS.items():
        cum = sum(v[3] for k, v in entries.items() if k[2] == name)
        print(f"{label}: {100 * cum / total:.0f}% of the profiled time")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
