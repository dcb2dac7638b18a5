"""The engine benchmark on two checkouts in one sitting, alternating, so the ratio is fair.

    python -m benchmarks.compare OLD_SRC [NEW_SRC] [--rounds 5] [--repeat 15]

OLD_SRC and NEW_SRC are ``src`` folders (NEW_SRC defaults to this checkout's). Each round
starts one fresh process per checkout, in alternating order, and times the same runs as
``bench_engine`` through the public API only (so any version of oreshock answers); the
figure kept is the minimum over rounds and repeats, which on a shared 2-core machine is the
least disturbed estimate of what the code costs. Prints each figure and the new/old ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import oreshock
network = oreshock.build_network(oreshock.load_dataset())
flagship = oreshock.open_scenario("japan-rare-earths-2026")
whole = oreshock.Scenario.model_validate({
    "name": "whole", "months": 120,
    "shocks": [
        {"type": "export_ban", "exporter": "CHN", "destinations": ["g7plus"], "start": "2026-03"},
        {"type": "reexport_control", "origin": "CHN", "destinations": ["g7plus"], "start": "2026-03"},
    ],
    "responses": {"rerouting": {"delay_months": 3, "growth": 0.05}},
})
cases = {
    "flagship reexport-control, 60 months": flagship.build("reexport-control"),
    "flagship full-response, 60 months": flagship.build("full-response"),
    "whole dataset, 120 months": whole,
}
repeat = int(sys.argv[1])
out = {}
for name, scenario in cases.items():
    times = []
    for _ in range(repeat if "whole" not in name else max(repeat // 5, 2)):
        start = time.perf_counter()
        oreshock.simulate(network, scenario, record_flows=False)
        times.append(time.perf_counter() - start)
    out[name] = min(times)
print(json.dumps(out))
"""


def probe(src: Path, repeat: int) -> dict[str, float]:
    """One fresh process on one checkout's ``src``: the minimum time of each case."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(repeat)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=src,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=Path(__file__).parents[1] / "src")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    best: dict[str, dict[str, float]] = {"old": {}, "new": {}}
    for k in range(args.rounds):
        order = ("old", "new") if k % 2 == 0 else ("new", "old")
        for side in order:
            for case, seconds in probe(getattr(args, side).resolve(), args.repeat).items():
                best[side][case] = min(seconds, best[side].get(case, float("inf")))
        print(f"round {k + 1}/{args.rounds} done", file=sys.stderr)
    for case in best["old"]:
        old, new = best["old"][case], best["new"][case]
        print(f"{case}: old {old:.4f} s, new {new:.4f} s, new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
