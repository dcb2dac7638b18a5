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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from oreshock.model.allocation import Allocator
from oreshock.model.compile import ChainInputs
from oreshock.model.network import RecipeInput
from oreshock.model.record import ChainRun
from oreshock.model.state import ChainConstants, ChainState, safe_div
from oreshock.model.step import MonthDrivers, month_drivers, step_with


@dataclass
class Member:
    """One chain of a linked group: its inputs, constants, state and record."""

    inputs: ChainInputs
    consts: ChainConstants
    state: ChainState
    run: ChainRun

    @property
    def recipe(self) -> tuple[RecipeInput, ...]:
        return self.inputs.chain.recipe


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


def recipe_needs(
    members: dict[str, Member], drivers: dict[str, MonthDrivers]
) -> dict[str, np.ndarray]:
    """(B, C, S) what recipes want of each input chain this month: target x quantity."""
    needs: dict[str, np.ndarray] = {}
    for product, member in members.items():
        target = drivers[product].target[:, :, 0]
        for item in member.recipe:
            if item.mineral not in members:
                continue
            source = members[item.mineral]
            s = source.inputs.chain.stages.index(item.stage)
            need = needs.setdefault(item.mineral, np.zeros(drivers[item.mineral].target.shape))
            need[:, :, s] += target * item.quantity
    return needs


def leontief_feed(
    product: str,
    members: dict[str, Member],
    drivers: dict[str, MonthDrivers],
    needs: dict[str, np.ndarray],
    handed: dict[str, dict[int, np.ndarray]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(B, O, C) output a recipe stage can make from what its inputs handed over, by origin,
    and per input (B, O, C) what it received beyond that (to go back to the input's stock)."""
    member = members[product]
    target = drivers[product].target[:, :, 0]
    received: dict[str, np.ndarray] = {}
    possible = target.copy()
    for item in member.recipe:
        if item.mineral not in members or item.quantity <= 0:
            continue
        s = members[item.mineral].inputs.chain.stages.index(item.stage)
        total_need = needs[item.mineral][:, :, s]
        mine = target * item.quantity
        got = handed[item.mineral].get(s)
        got = (
            np.zeros((*target.shape[:1], member.consts.own.shape[0], target.shape[1]))
            if got is None
            else got
        )
        got = got * safe_div(mine, total_need)[:, None, :]
        received[item.mineral] = got
        possible = np.minimum(possible, got.sum(axis=1) / item.quantity)
    principal = next((i for i in member.recipe if i.principal and i.mineral in received), None)
    if principal is None:
        mix = np.broadcast_to(member.consts.own[None], (target.shape[0], *member.consts.own.shape))
    else:
        got = received[principal.mineral]
        mix = safe_div(got, got.sum(axis=1)[:, None, :])
    made = possible[:, None, :] * mix
    surplus = {}
    for item in member.recipe:
        if item.mineral in received:
            got = received[item.mineral]
            left = np.maximum(got.sum(axis=1) - possible * item.quantity, 0.0)
            surplus[item.mineral] = got * safe_div(left, got.sum(axis=1))[:, None, :]
    return made, surplus


def give_back(member: Member, stage: str, surplus: np.ndarray, t: int) -> None:
    """Input a recipe could not use returns to the input's stock, and the month's record of
    that input's use and demand is lowered by as much (it was never consumed)."""
    s = member.inputs.chain.stages.index(stage)
    member.state.stock[:, s] += surplus
    back = surplus.sum(axis=1)
    series = member.run.series
    series["consumption"][t, :, :, s] -= back
    series["demand"][t, :, :, s] -= back
    series["stock"][t, :, :, s] += back


def step_group(members: dict[str, Member], order: list[str], t: int, allocate: Allocator) -> None:
    """Advance every chain of a linked group by month t (steps 1-4 of the module text)."""
    drivers = {m: month_drivers(x.state, x.inputs, x.consts, t) for m, x in members.items()}
    needs = recipe_needs(members, drivers)
    for m, need in needs.items():
        drivers[m] = replace(drivers[m], need_external=need, demand=drivers[m].demand + need)
    handed: dict[str, dict[int, np.ndarray]] = {}
    for m in order:
        member = members[m]
        feed = None
        if member.recipe:
            feed, surplus = leontief_feed(m, members, drivers, needs, handed)
        handed[m] = step_with(
            member.state, member.inputs, member.consts, t, member.run, allocate, drivers[m], feed
        )
        if member.recipe:
            for item in member.recipe:
                if item.mineral in surplus:
                    give_back(members[item.mineral], item.stage, surplus[item.mineral], t)
