"""The engine's data: constants of a chain and the state that a month's step changes.

Two objects, so that the rules in ``rules.py`` can be read as equations over named arrays:

- ``ChainConstants``: what the base year fixes for a run (monthly base flows, trade weights,
  home shares, capacities, yields); built once per run.
- ``ChainState``: what carries from one month to the next (stocks and stockpiles by origin,
  shipments in transit, rerouted routes, how long each node has been short, the price index
  and the lagged prices that supply and demand answer).

Arrays that carry origins put the origin axis before the country axes, (B, S, O, C): elementwise
work and sums then run along contiguous country axes, several times faster than with a short
trailing origin axis. Axis letters are those of ``record.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from oreshock.model.compile import ChainInputs
from oreshock.model.network import origin_composition
from oreshock.model.prices import REGIONS, region_mask, region_of

# Tonnes below which a quantity is treated as zero, so ratios stay finite. It sits well above
# the rounding noise of the largest monthly quantities (about 1e4 t x 2.2e-16 = 2e-12 t): at
# 1e-12 that noise decided whether a residue was material, so results depended on how origins
# were bucketed (per country in a run, China/other in an ensemble) in the fifth digit.
TINY = 1e-9


def safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b where b is not (numerically) zero, else 0 (dividing by infinity there is one
    array operation fewer than a masked divide into zeros)."""
    return a / np.where(b > TINY, b, np.inf)


@dataclass(frozen=True)
class ChainConstants:
    """Base-year quantities of one chain, per month, in the engine's axis order.

    Every quantity that belongs to a chain carries a leading batch axis (first letter K): 1
    for one chain, whose values every batch member shares, or B when several chains of the same
    shape are stepped as one batch (``stacked``), so each member reads its own chain's values.
    """

    own: np.ndarray  # (O, C) 1 where country C's own output takes origin bucket O
    base_prod: np.ndarray  # (K, C, S) t/month
    base_cons: np.ndarray  # (K, C, S) t/month
    base_final: np.ndarray  # (K, C, S) t/month
    weights: np.ndarray  # (K, S, Ce, Ci) exporter's share of its exports going to each importer
    home_share: np.ndarray  # (K, C, S) share of demand a producer serves from its own output
    capacity: np.ndarray  # (K, C, S) t/month
    yields: np.ndarray  # (K, S) output per unit of input (1 where not given)
    offdiag: np.ndarray  # (C, C) bool, every route but a country to itself
    next_suppliers: np.ndarray  # (K, S, C, C) bool: j sold the next stage to i in the base year
    origin_stage: int  # up to this stage output takes its producer as origin
    region_of: np.ndarray  # (C,) price region of each country (``model.prices``)
    region_mask: np.ndarray  # (R, C) 1 where a country belongs to a price region

    @property
    def stages(self) -> int:
        return int(self.yields.shape[1])

    @cached_property
    def stage_weights(self) -> list[np.ndarray]:
        """Per stage (K, Ce, Ci) ``weights``, C-ordered once for the kernels."""
        return [np.ascontiguousarray(self.weights[:, s]) for s in range(self.stages)]

    @cached_property
    def reroute_constants(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per stage (base consumption (K, C), ``offdiag``, next-stage suppliers (K, C, C)),
        C-ordered once for the rerouting kernel."""
        offdiag = np.ascontiguousarray(self.offdiag)
        return [
            (
                np.ascontiguousarray(self.base_cons[:, :, s]),
                offdiag,
                np.ascontiguousarray(self.next_suppliers[:, s]),
            )
            for s in range(self.stages)
        ]

    @classmethod
    def of(cls, inputs: ChainInputs) -> ChainConstants:
        ch = inputs.chain
        C, S = ch.production.shape
        O = len(inputs.origin_labels)
        own = np.zeros((O, C))
        own[inputs.origin_of, np.arange(C)] = 1.0
        base_prod = ch.production / 12.0
        base_cons = ch.consumption / 12.0
        base_flows = ch.trade / 12.0  # (S, C, C)
        base_exports = base_flows.sum(axis=2)  # (S, C)
        next_suppliers = np.zeros((S, C, C), dtype=bool)
        next_suppliers[:-1] = base_flows[1:] > 0
        return cls(
            own=own,
            base_prod=base_prod[None],
            base_cons=base_cons[None],
            base_final=(ch.final_use / 12.0)[None],
            weights=safe_div(base_flows, base_exports[:, :, None])[None],
            home_share=np.clip(safe_div(base_prod - base_exports.T, base_cons), 0.0, 1.0)[None],
            capacity=(ch.capacity / 12.0)[None],
            yields=np.nan_to_num(ch.yields, nan=1.0)[None],
            offdiag=~np.eye(C, dtype=bool),
            next_suppliers=next_suppliers[None],
            origin_stage=ch.origin_stage,
            region_of=region_of(ch.countries),
            region_mask=region_mask(ch.countries),
        )

    @classmethod
    def stacked(cls, parts: list[ChainConstants], batches: list[int]) -> ChainConstants:
        """Chains of one shape stepped as one batch: each part's values repeated for its
        ``batches`` members, in order (the parts must share countries, origins and stages)."""
        first = parts[0]

        def cat(name: str) -> np.ndarray:
            return np.concatenate(
                [
                    np.repeat(getattr(p, name), n, axis=0)
                    for p, n in zip(parts, batches, strict=True)
                ]
            )

        return replace(
            first,
            base_prod=cat("base_prod"),
            base_cons=cat("base_cons"),
            base_final=cat("base_final"),
            weights=cat("weights"),
            home_share=cat("home_share"),
            capacity=cat("capacity"),
            yields=cat("yields"),
            next_suppliers=cat("next_suppliers"),
        )


def normal_cover(stock0: np.ndarray, base_cons: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B, R, S) months of demand a price region's opening commercial stock covers in the base
    year (0 where it holds none): the stock level its market treats as normal."""
    held = np.einsum("rc,bcs->brs", mask, stock0)
    used = np.einsum("rc,bcs->brs", mask, np.broadcast_to(base_cons, stock0.shape))
    return safe_div(held, used)


@dataclass
class ChainState:
    """What one month hands to the next, for every member of the batch."""

    stock: np.ndarray  # (B, S, O, C) commercial stock by origin, t
    pile: np.ndarray  # (B, S, O, C) stockpile by origin, t
    pile_start: np.ndarray  # (B, C, S) stockpile at the start, t (release rates refer to it)
    joint: np.ndarray  # (B, S, O, C) parts of joint stockpiles by origin, t
    joint_start: np.ndarray  # (B, C, S) those parts at the start, t
    transit: np.ndarray  # (slots, B, S, O, Ci) shipments due in month t % slots, t
    route: np.ndarray  # (B, S, Ce, Ci) capacity of rerouted routes opened so far, t/month
    gap_age: np.ndarray  # (B, S, C) months an importer has had a gap after trade
    short_age: np.ndarray  # (B, C, S) months since the node first ran short, -1 if not
    price: np.ndarray  # (B, R, S) scarcity price index by price region, 1 = base year
    normal_cover: np.ndarray  # (B, R, S) months of demand the opening stock covers
    supply_price: np.ndarray  # (B, R, S) the price as spare capacity has answered it so far
    demand_price: np.ndarray  # (B, R, S) the price as final use has answered it so far

    @property
    def slots(self) -> int:
        return self.transit.shape[0]

    @classmethod
    def initial(cls, inputs: ChainInputs, consts: ChainConstants) -> ChainState:
        """Stocks split by origin as the base year's supply is; nothing in transit."""
        ch = inputs.chain
        B = inputs.batch
        C, S = ch.production.shape
        O = len(inputs.origin_labels)
        composition = origin_composition(ch, inputs.feed_origin)  # (S, C, origin country)
        comp0 = np.stack([(composition[s] @ consts.own.T).T for s in range(S)])  # (S, O, C)
        return cls(
            stock=inputs.stock0.transpose(0, 2, 1)[:, :, None, :] * comp0[None],
            pile=inputs.pile0.transpose(0, 2, 1)[:, :, None, :] * comp0[None],
            pile_start=inputs.pile0.copy(),
            joint=inputs.joint0.transpose(0, 2, 1)[:, :, None, :] * comp0[None],
            joint_start=inputs.joint0.copy(),
            transit=np.zeros((inputs.max_delay + 1, B, S, O, C)),
            route=np.zeros((B, S, C, C)),
            gap_age=np.zeros((B, S, C)),
            short_age=np.full((B, C, S), -1.0),
            price=np.ones((B, len(REGIONS), S)),
            normal_cover=normal_cover(inputs.stock0, consts.base_cons, consts.region_mask),
            supply_price=np.ones((B, len(REGIONS), S)),
            demand_price=np.ones((B, len(REGIONS), S)),
        )
