"""Identifiers that every layer shares: the word for "every target", and stage aliases.

``refining`` is what the published statistics call a chain's first processing stage (USGS and
IEA report "refining" for lithium, cobalt or copper, where the bundled chains name the stage
after its product); the alias resolves to that stage wherever a stage id is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

ALL: Final[Literal["all"]] = "all"

STAGE_ALIASES = {"refining": 1}  # alias -> position in a chain of more than one stage


def named_in(item: str, targets: Sequence[str] | str) -> bool:
    """Whether a target list (or ``all``) names ``item``: the one reading of ``minerals:``."""
    return targets == ALL or item in targets


def stage_position(stage: str, stages: Sequence[str]) -> int | None:
    """Position of ``stage`` (or of the stage an alias names) in ``stages``; None if neither."""
    if stage in stages:
        return list(stages).index(stage)
    position = STAGE_ALIASES.get(stage)
    if position is not None and position < len(stages):
        return position
    return None
