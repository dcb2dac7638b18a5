"""What a run records: the variables, their units and axes, and the arrays that hold them.

``RECORDED`` is the one list of recorded variables. The engine writes them, ``RunResult``
turns them into tidy tables, the store and the exports keep them, and docs/model.md lists
them (a test checks it), so adding a variable here is the whole of adding it everywhere.

Axis letters, used in every docstring of the engine: T month, B batch member (parameter set),
C country (Ce exporter, Ci importer), S stage of the chain, O origin bucket of material.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oreshock.model.compile import ChainInputs
from oreshock.model.network import Chain
from oreshock.model.prices import REGIONS

NODE_AXES = ("month", "country", "stage")
PRICE_AXES = ("month", "region", "stage")


@dataclass(frozen=True)
class Recorded:
    """One recorded variable: name, unit, axes of its table, what it means, and whether the
    tidy tables leave it out of a chain where it is zero throughout (a variable only some
    scenarios use, kept out of every other run's stored rows)."""

    name: str
    unit: str
    axes: tuple[str, ...]
    description: str
    only_when_used: bool = False


RECORDED = (
    Recorded("production", "t/month", NODE_AXES, "output of the stage, secondary supply included"),
    Recorded("imports", "t/month", NODE_AXES, "shipments arriving this month"),
    Recorded("exports", "t/month", NODE_AXES, "shipments leaving this month"),
    Recorded("consumption", "t/month", NODE_AXES, "use met from stock and stockpile"),
    Recorded("demand", "t/month", NODE_AXES, "final use plus input wanted by the next stage"),
    Recorded("shortfall", "t/month", NODE_AXES, "demand not met"),
    Recorded("stock", "t", NODE_AXES, "commercial stock at the end of the month"),
    Recorded("stockpile", "t", NODE_AXES, "national or joint stockpile at the end of the month"),
    Recorded(
        "stockpile_transfer",
        "t/month",
        NODE_AXES,
        "net draw from joint stockpile parts stored in other member countries",
        only_when_used=True,
    ),
    Recorded("in_transit", "t", NODE_AXES, "shipments held by a licence delay, by importer"),
    Recorded(
        "price_index",
        "1 = base year",
        PRICE_AXES,
        "price index of the stage in a price region (inside or outside China)",
    ),
    Recorded(
        "price",
        "USD/kg",
        PRICE_AXES,
        "price of the stage in a price region: base-year price (dataset) x index",
    ),
    Recorded(
        "flow",
        "t/month",
        ("month", "stage", "exporter", "importer", "origin"),
        "shipments by route and origin of the material (single runs only)",
    ),
)

VARIABLES = tuple(r.name for r in RECORDED if r.axes == NODE_AXES)
OPTIONAL = frozenset(r.name for r in RECORDED if r.only_when_used)


class ChainRun:
    """Recorded paths of one chain's run.

    ``series[v]`` is [T, B, C, S] for each node variable, ``final_use`` [T, B, C, S] the
    final-use part of demand, ``price`` [T, B, R, S] the price index by region, and ``flows``
    [T, S, Ce, Ci, O] for the first batch member when flows are recorded (a stacked run's,
    before ``stacking.split_run``, hold one such slice per chain).
    """

    def __init__(
        self,
        inputs: ChainInputs,
        series: dict[str, np.ndarray],
        flows: np.ndarray | None,
        price: np.ndarray,
        final_use: np.ndarray | None = None,
        flow_rows: np.ndarray | None = None,
    ):
        self.inputs = inputs
        self.series = series
        self.flows = flows
        self.price = price
        self.final_use = final_use
        # The batch rows whose flows are recorded: each stacked chain's first member
        # (``stacking.py``); then ``flows`` is [T, K, S, Ce, Ci, O], one slice per chain.
        self.flow_rows = flow_rows

    @property
    def chain(self) -> Chain:
        return self.inputs.chain

    @classmethod
    def empty(cls, inputs: ChainInputs, *, record_flows: bool, flow_rows: np.ndarray) -> ChainRun:
        """Zeroed arrays for the whole horizon, filled month by month by the engine; flows
        [T, K, S, Ce, Ci, O] for the K batch rows ``flow_rows`` when recorded."""
        T, B = inputs.months, inputs.batch
        C, S = inputs.chain.production.shape
        O = len(inputs.origin_labels)
        K = len(flow_rows)
        return cls(
            inputs,
            series={v: np.zeros((T, B, C, S)) for v in VARIABLES},
            flows=np.zeros((T, K, S, C, C, O)) if record_flows else None,
            price=np.zeros((T, B, len(REGIONS), S)),
            final_use=np.zeros((T, B, C, S)),
            flow_rows=flow_rows,
        )
