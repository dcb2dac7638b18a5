"""Chains of the same shape stepped as one batch.

The engine's arrays carry a leading batch axis B so that many parameter sets run in one call
(ensembles). The same axis serves chains that share countries, stages and origin buckets and
see the same policy windows: the rare-earth element groups of one scenario, say. Stacking
them turns eight small steps a month into three, which is what keeps the element-level
flagship within its time budget: on arrays of a few hundred cells the cost is in the number
of numpy calls, not in their size.

Nothing is approximated: batch members never interact (every reduction of the engine runs
within a member), so a stacked run gives each chain exactly what it gives alone. Per-chain
constants get a leading axis (``ChainConstants.stacked``), per-chain inputs are concatenated
(``stack_inputs``), states likewise (``stack_states``), and a stacked run is cut back into one
``ChainRun`` per chain (``split_run``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from oreshock.core.errors import OreshockError
from oreshock.model.compile import ChainInputs, Window
from oreshock.model.record import ChainRun
from oreshock.model.state import ChainConstants, ChainState

# ChainInputs fields carrying the batch axis, and where it sits.
_AXIS1 = ("availability", "new_capacity", "recycling", "demand_factor")
_AXIS0 = (
    "stock0",
    "pile0",
    "pile_trigger",
    "pile_rate",
    "pile_floor",
    "joint0",
    "joint_pool",
    "joint_trigger",
    "joint_rate",
    "joint_floor",
    "persistence",
    "elasticity",
    "supply_elasticity",
    "storage_elasticity",
    "max_price",
    "supply_lag",
    "demand_lag",
    "reroute_delay",
    "reroute_growth",
)
_BATCHED_WINDOWS = ("export_cut", "origin_cut", "sharing")
_SHARED = ("chain", "months", "origin_of", "origin_labels", "delays", "threshold", "feed_origin")


class StackingError(OreshockError):
    """ChainInputs that cannot share one engine call."""


def structure_key(inp: ChainInputs) -> tuple:
    """What must agree for two members to share one engine call."""

    def spans(ws: list[Window]) -> tuple:
        return tuple((w.t0, w.t1) for w in ws)

    return (
        inp.months,
        inp.threshold,
        inp.origin_labels,
        spans(inp.export_cut),
        spans(inp.origin_cut),
        spans(inp.sharing),
        tuple((w.t0, w.t1, w.value.tobytes()) for w in inp.delays),
        inp.reroute_delay is None,
        tuple((m.tobytes(), lag, ramp) for m, _, lag, ramp in inp.substitution),
    )


def chain_key(inp: ChainInputs) -> tuple:
    """What must agree for two chains (not only two parameter sets) to share one call: the
    structure, the batch size, the country and stage axes and the origin stage."""
    ch = inp.chain
    return (structure_key(inp), inp.batch, ch.countries, ch.stages, ch.origin_stage)


def stack_inputs(items: list[ChainInputs]) -> ChainInputs:
    """Concatenate members along the batch axis (their ``structure_key`` must agree). The
    result keeps the first member's shared fields (chain, origin buckets, delays)."""
    first = items[0]
    known = set(_AXIS0) | set(_AXIS1) | set(_BATCHED_WINDOWS) | set(_SHARED)
    known |= {"batch", "substitution", "policies"}  # policies: a cache, each copy starts empty
    unknown = {f.name for f in fields(ChainInputs)} - known
    if unknown:  # a new engine input: refuse rather than silently share member 0's value
        raise StackingError(
            f"cannot batch ChainInputs fields {sorted(unknown)}; update model/stacking.py"
        )
    if len(items) == 1:
        return first
    out: dict[str, Any] = {
        name: np.concatenate([getattr(i, name) for i in items], axis=1) for name in _AXIS1
    }
    for name in _AXIS0:
        if getattr(first, name) is not None:
            out[name] = np.concatenate([getattr(i, name) for i in items], axis=0)
    for name in _BATCHED_WINDOWS:
        out[name] = [
            Window(w.t0, w.t1, np.concatenate([getattr(i, name)[k].value for i in items], axis=0))
            for k, w in enumerate(getattr(first, name))
        ]
    out["substitution"] = [
        (mask, np.concatenate([i.substitution[k][1] for i in items]), lag, ramp)
        for k, (mask, _, lag, ramp) in enumerate(first.substitution)
    ]
    return replace(first, batch=sum(i.batch for i in items), **out)


def stack_states(states: list[ChainState]) -> ChainState:
    """Concatenate states along the batch axis (axis 1 of ``transit``, 0 elsewhere)."""
    if len(states) == 1:
        return states[0]
    axis = {f.name: 0 for f in fields(ChainState)}
    axis["transit"] = 1
    return ChainState(
        **{
            name: np.concatenate([getattr(s, name) for s in states], axis=ax)
            for name, ax in axis.items()
        }
    )


@dataclass
class Stack:
    """Chains stepped as one batch: each chain's inputs (``parts``, batch ``n`` each, in
    order), and the stacked inputs, constants, state and record."""

    minerals: list[str]
    parts: list[ChainInputs]
    inputs: ChainInputs
    consts: ChainConstants
    state: ChainState
    run: ChainRun

    @classmethod
    def of(cls, minerals: list[str], parts: list[ChainInputs], record_flows: bool) -> Stack:
        consts = [ChainConstants.of(p) for p in parts]
        inputs = stack_inputs(parts)
        n = parts[0].batch
        run = ChainRun.empty(inputs, record_flows=record_flows, flow_rows=n * np.arange(len(parts)))
        return cls(
            minerals,
            parts,
            inputs,
            ChainConstants.stacked(consts, [p.batch for p in parts]),
            stack_states([ChainState.initial(p, c) for p, c in zip(parts, consts, strict=True)]),
            run,
        )

    def rows(self, mineral: str) -> slice:
        """The batch rows of one chain."""
        k = self.minerals.index(mineral)
        n = self.parts[0].batch
        return slice(k * n, (k + 1) * n)

    def chain_inputs(self, mineral: str) -> ChainInputs:
        return self.parts[self.minerals.index(mineral)]

    def split(self) -> dict[str, ChainRun]:
        """One ``ChainRun`` per chain (views of the stacked arrays)."""
        return {
            m: split_run(self.run, self.parts[k], self.rows(m), k)
            for k, m in enumerate(self.minerals)
        }


def split_run(run: ChainRun, inputs: ChainInputs, rows: slice, k: int) -> ChainRun:
    """Chain k's part of a stacked run: its batch rows, and its recorded flows."""
    return ChainRun(
        inputs,
        series={v: a[:, rows] for v, a in run.series.items()},
        flows=None if run.flows is None else run.flows[:, k],
        price=run.price[:, rows],
        final_use=None if run.final_use is None else run.final_use[:, rows],
    )
