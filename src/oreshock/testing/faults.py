"""What the fault tests share: a quick scenario to run, kill and store, and a large stored run.

The drill scenario has three variants on the test suite's mini dataset, so one
``oreshock run`` takes about a second and saves three runs: a kill at a random moment can land
while it computes or while it saves.
"""

from __future__ import annotations

from pathlib import Path

from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate
from oreshock.store.store import Store

DRILL = """\
name: {name}
start: 2026-01
months: 6
minerals: [rare_earths]
shocks:
  - type: export_ban
    exporter: CHN
    destinations: [JPN]
    stages: all
    start: 2026-01
    share: 1.0
variants:
  one:
    description: the ban as written
  two:
    description: the same, stored again
  three:
    description: and a third time
"""


def write_drill(folder: Path, name: str = "fault-drill") -> Path:
    """The drill scenario as ``folder/name.yaml``."""
    path = folder / f"{name}.yaml"
    path.write_text(DRILL.format(name=name), "utf-8")
    return path


def stored_long_run(
    db: Path, network: Network, months: int, minerals: list[str]
) -> tuple[str, int]:
    """Store one run long enough that its time series needs several pages; returns its id
    and its number of time-series rows."""
    result = simulate(network, Scenario(name="big", months=months, minerals=minerals), warn=False)
    with Store(db) as store:
        run_id = store.save_run(result)
        (rows,) = store.con.execute(
            "SELECT count(*) FROM timeseries WHERE run_id = ?", [run_id]
        ).fetchone() or (0,)
    return run_id, int(rows)
