"""Chains joined by recipes, stepped together month by month.

A recipe stage (the first stage of a product such as high-coercivity NdFeB magnets) consumes
fixed quantities of other chains' output per tonne it makes (NdPr metal and Dy/Tb metal).
Each month, for a group of chains joined by recipes:

1. every chain works out its drivers (targets, demand, policies) as on its own;
2. each recipe adds its input needs (target x quantity) to its inputs' demand, so input
   chains ship, share and ration that material as any other demand;
3. input chains step first (``order``); what each hands to recipes is split among the
   recipes by their needs;
4. a recipe stage makes what its scarcest input allows (Leontief): min over inputs of
   drawn / quantity. The output takes the origins of the principal input; what the other
   inputs delivered beyond that goes back to their stock (it was not consumed), so mass
   balance holds at every node for every chain.

An input chain that the scenario does not run does not bind its recipes (documented in
docs/model.md). Chains share one country axis inside a group (``network.build_network``), so
no country mapping is needed between them.

Chains are stepped in stacks (``stacking.py``): chains of one shape at the same depth of the
recipe graph share one engine call, and every rule here reads and writes a chain's own batch
rows of its stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from oreshock.model.allocation import Allocator
from oreshock.model.compile import ChainInputs
from oreshock.model.network import RecipeInput
from oreshock.model.stacking import Stack, chain_key
from oreshock.model.state import safe_div
from oreshock.model.step import MonthDrivers, month_drivers, step_with


def linked_groups(
    minerals: list[str], recipes: dict[str, tuple[RecipeInput, ...]]
) -> list[list[str]]:
    """The minerals split into groups stepped together, each in input-first order; a chain no
    recipe touches is a group of its own."""
    parent = {m: m for m in minerals}

    def root(m: str) -> str:
        while parent[m] != m:
            m = parent[m]
        return m

    for product in minerals:
        for item in recipes.get(product, ()):
            if item.mineral in parent:
                parent[root(item.mineral)] = root(product)
    groups: dict[str, list[str]] = {}
    for m in minerals:
        groups.setdefault(root(m), []).append(m)
    return [_input_first(g, recipes) for g in groups.values()]


def _input_first(group: list[str], recipes: dict[str, tuple[RecipeInput, ...]]) -> list[str]:
    """Order a group so that every chain comes after the chains its recipe consumes."""
    done: list[str] = []

    def visit(m: str, path: tuple[str, ...]) -> None:
        if m in done:
            return
        if m in path:
            raise ValueError(f"recipes form a cycle: {' -> '.join((*path, m))}")
        for item in recipes.get(m, ()):
            if item.mineral in group:
                visit(item.mineral, (*path, m))
        done.append(m)

    for m in group:
        visit(m, ())
    return done


def recipe_levels(
    minerals: list[str], recipes: dict[str, tuple[RecipeInput, ...]]
) -> dict[str, int]:
    """Depth of each chain in the recipe graph: 0 for a chain whose recipe (if any) draws on
    no chain of the run, else one more than its deepest input; a chain steps after its inputs
    when chains are stepped level by level."""
    level: dict[str, int] = {}
    for group in linked_groups(minerals, recipes):
        for m in group:  # input-first order: inputs already have their level
            inputs = [i.mineral for i in recipes.get(m, ()) if i.mineral in level]
            level[m] = 1 + max(level[i] for i in inputs) if inputs else 0
    return level


def stacks_of(inputs: dict[str, ChainInputs], record_flows: bool) -> list[Stack]:
    """The chains in stacks, inputs before the recipes that use them: chains with the same
    recipe depth, the same role (recipe or not) and the same ``chain_key`` share a stack."""
    recipes = {m: x.chain.recipe for m, x in inputs.items()}
    level = recipe_levels(list(inputs), recipes)
    keyed: dict[tuple, list[str]] = {}
    for m, x in inputs.items():
        keyed.setdefault((level[m], bool(recipes[m]), chain_key(x)), []).append(m)
    ordered = sorted(keyed.items(), key=lambda item: item[0][0])
    return [Stack.of(ms, [inputs[m] for m in ms], record_flows) for _, ms in ordered]


@dataclass
class _Month:
    """One month of stepping stacks: where each chain is, the stacks' drivers, what recipes
    need of each stack, and what each chain handed to recipes (per stage, its own rows)."""

    stacks: list[Stack]
    drivers: list[MonthDrivers]
    where: dict[str, int] = field(default_factory=dict)
    needs: dict[int, np.ndarray] = field(default_factory=dict)
    handed: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.where = {m: i for i, st in enumerate(self.stacks) for m in st.minerals}

    def recipe(self, mineral: str) -> tuple[RecipeInput, ...]:
        return self.stacks[self.where[mineral]].chain_inputs(mineral).chain.recipe

    def stage_of(self, item: RecipeInput) -> int:
        """Position of a recipe input's stage in its own chain."""
        stack = self.stacks[self.where[item.mineral]]
        return stack.chain_inputs(item.mineral).chain.stages.index(item.stage)

    def target(self, mineral: str) -> np.ndarray:
        """(n, C) the first stage's target of one chain."""
        i = self.where[mineral]
        return self.drivers[i].target[self.stacks[i].rows(mineral), :, 0]


def recipe_needs(month: _Month) -> dict[int, np.ndarray]:
    """(B, C, S) per stack, what recipes want of its chains this month: target x quantity."""
    needs: dict[int, np.ndarray] = {}
    for m in month.where:
        target = month.target(m)
        for item in month.recipe(m):
            if item.mineral not in month.where:
                continue
            j = month.where[item.mineral]
            need = needs.setdefault(j, np.zeros(month.drivers[j].target.shape))
            need[month.stacks[j].rows(item.mineral), :, month.stage_of(item)] += (
                target * item.quantity
            )
    return needs


def leontief_feed(product: str, month: _Month) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(n, O, C) output a recipe stage can make from what its inputs handed over, by origin,
    and per input (n, O, C) what it received beyond that (to go back to the input's stock)."""
    own = month.stacks[month.where[product]].consts.own
    target = month.target(product)
    received: dict[str, np.ndarray] = {}
    possible = target.copy()
    recipe = month.recipe(product)
    for item in recipe:
        if item.mineral not in month.where or item.quantity <= 0:
            continue
        s = month.stage_of(item)
        j = month.where[item.mineral]
        total_need = month.needs[j][month.stacks[j].rows(item.mineral), :, s]
        got = month.handed.get(item.mineral, {}).get(s)
        if got is None:
            got = np.zeros((target.shape[0], own.shape[0], target.shape[1]))
        got = got * safe_div(target * item.quantity, total_need)[:, None, :]
        received[item.mineral] = got
        possible = np.minimum(possible, got.sum(axis=1) / item.quantity)
    principal = next((i for i in recipe if i.principal and i.mineral in received), None)
    if principal is None:
        mix = np.broadcast_to(own[None], (target.shape[0], *own.shape))
    else:
        got = received[principal.mineral]
        mix = safe_div(got, got.sum(axis=1)[:, None, :])
    made = possible[:, None, :] * mix
    surplus = {}
    for item in recipe:
        if item.mineral in received:
            got = received[item.mineral]
            left = np.maximum(got.sum(axis=1) - possible * item.quantity, 0.0)
            surplus[item.mineral] = got * safe_div(left, got.sum(axis=1))[:, None, :]
    return made, surplus


def give_back(stack: Stack, mineral: str, stage: str, surplus: np.ndarray, t: int) -> None:
    """Input a recipe could not use returns to the input's stock, and the month's record of
    that input's use and demand is lowered by as much (it was never consumed)."""
    rows = stack.rows(mineral)
    s = stack.chain_inputs(mineral).chain.stages.index(stage)
    stack.state.stock[rows, s] += surplus
    back = surplus.sum(axis=1)
    series = stack.run.series
    series["consumption"][t, rows, :, s] -= back
    series["demand"][t, rows, :, s] -= back
    series["stock"][t, rows, :, s] += back


def step_stacks(stacks: list[Stack], t: int, allocate: Allocator) -> None:
    """Advance every stack by month t (steps 1-4 of the module text), inputs first."""
    drivers = [month_drivers(st.state, st.inputs, st.consts, t) for st in stacks]
    month = _Month(stacks, drivers)
    month.needs = recipe_needs(month)
    for j, need in month.needs.items():
        drivers[j] = replace(drivers[j], need_external=need, demand=drivers[j].demand + need)
    for i, st in enumerate(stacks):
        feed, surplus = None, {}
        if any(month.recipe(m) for m in st.minerals):
            parts = [leontief_feed(m, month) for m in st.minerals]
            feed = np.concatenate([made for made, _ in parts])
            surplus = {m: extra for m, (_, extra) in zip(st.minerals, parts, strict=True)}
        out = step_with(st.state, st.inputs, st.consts, t, st.run, allocate, drivers[i], feed)
        for m in st.minerals:
            month.handed[m] = {s: arr[st.rows(m)] for s, arr in out.items()}
        for m, extra in surplus.items():
            for item in month.recipe(m):
                if item.mineral in extra:
                    j = month.where[item.mineral]
                    give_back(stacks[j], item.mineral, item.stage, extra[item.mineral], t)
