"""How scarce supply is shared among importers: the one seam for allocation rules.

Every rule that hands out a pool of supply (sharing agreements, rerouting, swaps, backfill)
calls an ``Allocator``. The default, ``allocate_by_gap``, shares in proportion to importers'
gaps, as DESIGN.md's allocation rules say; another rule (priority lists, pro-rata to base
imports, an LP) is a function with the same signature passed to ``simulate(allocate=...)``.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from oreshock.model.state import safe_div


class Allocation(NamedTuple):
    """Shipments from one allocation pass and their margins."""

    ship: np.ndarray  # (B, O, Ce, Ci)
    given: np.ndarray  # (B, O, Ce) by exporter and origin
    received: np.ndarray  # (B, Ci) by importer
    sent: np.ndarray  # (B, Ce, Ci) by route


class Allocator(Protocol):
    """Shares exporters' pools among importers' gaps in one pass.

    pool (B, O, Ce) by origin, gap (B, Ci), pairs (B, Ce, Ci) share of each route allowed,
    pass_origin (B, O, Ci) share of each origin an importer may receive, offdiag (C, C) routes
    between different countries, cap (B, Ce, Ci) optional bound per route. An allocator gives
    no importer more than its gap and no exporter more than its pool, origin by origin.
    """

    def __call__(
        self,
        pool: np.ndarray,
        gap: np.ndarray,
        pairs: np.ndarray,
        pass_origin: np.ndarray,
        offdiag: np.ndarray,
        cap: np.ndarray | None = None,
    ) -> Allocation: ...


def allocate_by_gap(
    pool: np.ndarray,
    gap: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    offdiag: np.ndarray,
    cap: np.ndarray | None = None,
) -> Allocation:
    """Proportional to gaps: offer[e, i] = pool[e] x gap[i] / sum_k gap[k] over open routes
    (bounded by ``cap``), scaled down where an importer would get more than its gap; each
    shipment carries the exporter's origin mix, less the origins the importer may not take.

    The margins come from small matrix products rather than sums over the 4-D shipments.
    """
    open_pairs = pairs * offdiag
    weight = gap[:, None, :] * (open_pairs > 0)
    share = safe_div(weight, weight.sum(axis=2, keepdims=True))
    total = pool.sum(axis=1)
    offer = total[:, :, None] * share * open_pairs
    if cap is not None:
        offer = np.minimum(offer, cap)
    scale = np.minimum(1.0, safe_div(gap, offer.sum(axis=1)))
    offer = offer * scale[:, None, :]
    mix = safe_div(pool, total[:, None, :])
    ship = mix[:, :, :, None] * pass_origin[:, :, None, :]
    ship *= offer[:, None, :, :]  # in place: large temporaries cost more than the products
    given = mix * np.matmul(pass_origin, offer.transpose(0, 2, 1))
    received = (pass_origin * np.matmul(mix, offer)).sum(axis=1)
    sent = offer * np.matmul(mix.transpose(0, 2, 1), pass_origin)
    return Allocation(ship, given, received, sent)
