"""What a scenario means on the network it runs on: every id it names exists, and every dated
item falls inside the horizon.

The types, ranges and date order of a scenario are checked when it is built
(``scenario.py``); what is checked here needs the network: a country, group, mineral, stage
or end-use sector the dataset does not know would otherwise be ignored and give a run with no
shock at all. A scenario built from a file is checked with every variant of that file, each
problem named by file, line, field, value and what was expected, with a "did you mean" when an
id is close to a known one.

A shock that starts at or after the end of the horizon is an error: it would never apply, and
the run would read as "no shortfall". A response (sharing, recycling, new capacity) that starts
after the horizon is a warning: a response that comes too late is a legitimate answer, but the
user should know it does nothing in the run.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from oreshock.core.errors import OreshockWarning, ScenarioError
from oreshock.core.ids import ALL, STAGE_ALIASES, stage_position
from oreshock.core.months import month_index
from oreshock.model.network import Network
from oreshock.model.scenario import Scenario, ScenarioFile, source_of, unique_problems

Located = tuple[tuple, str]
"""A problem: the field path it is about and what is wrong with it."""


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(set(choices)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


class _Ids:
    """The ids a network knows: countries (every chain's nodes and every group's members),
    groups, minerals, each mineral's stages and end-use sectors."""

    def __init__(self, network: Network):
        self.network = network
        self.groups = set(network.groups)
        self.countries: set[str] = set()
        for chain in network.chains.values():
            self.countries.update(chain.countries)
        for members in network.groups.values():
            self.countries.update(members)
        self.minerals = set(network.chains) | set(network.families)
        self.elements = {e for chain in network.chains.values() for e in chain.elements}
        self.sectors: dict[str, set[str]] = {
            m: set(map(str, chain.end_uses["sector"])) for m, chain in network.chains.items()
        }

    def country(self, value: Any, groups: bool) -> str | None:
        """Why ``value`` is not a country (or group) of the network; None when it is."""
        if not isinstance(value, str):
            return f"expected a country code, found {value!r}"
        if value.upper() in self.countries or (groups and value in self.groups):
            return None
        known = self.countries | (self.groups if groups else set())
        kind = "country or group" if groups else "country"
        return (
            f"unknown {kind} {value!r}; expected an ISO3 code of the dataset"
            + (f" or a group ({', '.join(sorted(self.groups))})" if groups else "")
            + _did_you_mean(value.upper() if len(value) == 3 else value, known)
        )

    def mineral(self, value: str) -> str | None:
        if value in self.minerals:
            return None
        return f"unknown mineral {value!r}; expected a mineral of the dataset" + _did_you_mean(
            value, self.minerals
        )

    def chains_of(self, minerals: list[str]) -> list[str]:
        """The chains mineral ids stand for (a family's products)."""
        return [c for m in minerals for c in self.network.products(m)]

    def stages_of(self, minerals: list[str]) -> set[str]:
        return {s for m in self.chains_of(minerals) for s in self.network.chains[m].stages}

    def element(self, value: Any) -> str | None:
        """Why ``value`` is an element no chain carries; None when one does."""
        if value in self.elements:
            return None
        return (
            f"unknown element {value!r}; expected a chemical element a chain of the dataset "
            f"carries: {', '.join(sorted(self.elements))}"
            + _did_you_mean(str(value), self.elements)
        )

    def stage(self, value: str, minerals: list[str]) -> str | None:
        """Why ``value`` is a stage of none of ``minerals``' chains; None when one has it."""
        for m in self.chains_of(minerals):
            if stage_position(value, self.network.chains[m].stages) is not None:
                return None
        known = self.stages_of(minerals)
        names = ", ".join(sorted(known | set(STAGE_ALIASES)))
        which = minerals[0] if len(minerals) == 1 else "the minerals it covers"
        return f"unknown stage {value!r} for {which}; expected one of: {names}" + _did_you_mean(
            value, known | set(STAGE_ALIASES)
        )


def _covered(scenario: Scenario, ids: _Ids) -> list[str]:
    """The minerals of the network that the scenario runs."""
    if scenario.minerals == ALL:
        return sorted(ids.minerals)
    return [m for m in scenario.minerals if m in ids.minerals]


def _targets(
    ids: _Ids, item: Any, loc: tuple, covered: list[str], *, countries: tuple[str, ...] = ()
) -> list[Located]:
    """Problems with the ids of one scenario item: its minerals, stages and countries."""
    found: list[Located] = []
    minerals = covered
    chosen = getattr(item, "minerals", ALL)
    if chosen != ALL:
        found += [
            ((*loc, "minerals", i), why)
            for i, m in enumerate(chosen)
            if (why := ids.mineral(m)) is not None
        ]
        minerals = [m for m in chosen if m in ids.minerals and m in covered] or [
            m for m in chosen if m in ids.minerals
        ]
    elements = getattr(item, "elements", ALL)
    if elements != ALL:
        found += [
            ((*loc, "elements", i), why)
            for i, e in enumerate(elements)
            if (why := ids.element(e)) is not None
        ]
    stages = getattr(item, "stages", ALL)
    if stages != ALL and minerals:
        found += [
            ((*loc, "stages", i), why)
            for i, s in enumerate(stages)
            if (why := ids.stage(s, minerals)) is not None
        ]
    for name in countries:  # a group stands for its members wherever a country is named
        value = getattr(item, name)
        if value == ALL:
            continue
        if isinstance(value, list):
            found += [
                ((*loc, name, i), why)
                for i, v in enumerate(value)
                if (why := ids.country(v, groups=True)) is not None
            ]
        elif (why := ids.country(value, groups=True)) is not None:
            found.append(((*loc, name), why))
    return found


_IDS: list[tuple[Network, _Ids]] = []
"""The ids of the networks checked last, so an ensemble's many builds collect them once."""


def _ids_of(network: Network) -> _Ids:
    """The ids ``network`` knows (collected once per network, kept for the last few)."""
    for known, ids in _IDS:
        if known is network:
            return ids
    ids = _Ids(network)
    _IDS.append((network, ids))
    del _IDS[:-4]
    return ids


def _single(ids: _Ids, item: Any, loc: tuple) -> list[Located]:
    """A recycling or new-capacity item: one mineral and one stage of its chain."""
    if (why := ids.mineral(item.mineral)) is not None:
        return [((*loc, "mineral"), why)]
    if (why := ids.stage(item.stage, [item.mineral])) is not None:
        return [((*loc, "stage"), why)]
    return []


def id_problems(scenario: Scenario, network: Network) -> list[Located]:
    """Every id of the scenario that the network does not know."""
    ids = _ids_of(network)
    found: list[Located] = []
    if scenario.minerals != ALL:
        found += [
            (("minerals", i), why)
            for i, m in enumerate(scenario.minerals)
            if (why := ids.mineral(m)) is not None
        ]
    covered = _covered(scenario, ids)
    for k, shock in enumerate(scenario.shocks):
        names = tuple(
            n
            for n in ("exporter", "origin", "country", "countries", "destinations")
            if hasattr(shock, n)
        )
        found += _targets(ids, shock, ("shocks", k), covered, countries=names)
    buffers = scenario.buffers
    for code in buffers.commercial_months:
        if (why := ids.country(code, groups=True)) is not None:
            found.append((("buffers", "commercial_months", code), why))
    for k, pile in enumerate(buffers.stockpiles):
        found += _targets(ids, pile, ("buffers", "stockpiles", k), covered, countries=("holder",))
    responses = scenario.responses
    for k, share in enumerate(responses.sharing):
        loc = ("responses", "sharing", k)
        found += _targets(ids, share, loc, covered)
        if (why := ids.country(share.group, groups=True)) is not None:
            found.append(((*loc, "group"), why))
    for k, rec in enumerate(responses.recycling):
        loc = ("responses", "recycling", k)
        found += _single(ids, rec, loc)
        found += _targets(ids, rec, loc, covered, countries=("countries",))
    for k, project in enumerate(responses.new_capacity):
        loc = ("responses", "new_capacity", k)
        found += _single(ids, project, loc)
        if (why := ids.country(project.country, groups=False)) is not None:
            found.append(((*loc, "country"), why))
    for k, sub in enumerate(responses.substitution):
        found += _targets(
            ids, sub, ("responses", "substitution", k), covered, countries=("countries",)
        )
    sectors = set().union(*(ids.sectors[m] for m in ids.chains_of(covered))) if covered else set()
    for k, sector in enumerate(scenario.end_use_priority):
        if sector not in sectors:
            found.append(
                (
                    ("end_use_priority", k),
                    f"unknown end-use sector {sector!r}; expected one of: "
                    f"{', '.join(sorted(sectors)) or '(none in the chains run)'}"
                    + _did_you_mean(sector, sectors),
                )
            )
    return found


def date_problems(scenario: Scenario) -> tuple[list[Located], list[Located]]:
    """Errors (a shock entirely outside the horizon) and warnings (a response that starts
    after the horizon ends)."""
    errors: list[Located] = []
    late: list[Located] = []
    last = month_index(scenario.start, scenario.start) + scenario.months
    horizon = f"the end of the horizon ({scenario.start} + {scenario.months} months)"
    for k, shock in enumerate(scenario.shocks):
        t0 = scenario.month_index(shock.start)
        if t0 >= last:
            errors.append(
                (
                    ("shocks", k, "start"),
                    f"starts {shock.start}, after {horizon}; expected a start inside the "
                    "horizon (the shock would never apply)",
                )
            )
        if shock.end is not None and scenario.month_index(shock.end) <= 0:
            errors.append(
                (
                    ("shocks", k, "end"),
                    f"ends {shock.end}, before the horizon starts ({scenario.start}); expected "
                    "an end after the start of the horizon (the shock would never apply)",
                )
            )
    responses = scenario.responses
    dated: list[tuple[tuple, str]] = [
        (("responses", "sharing", k), x.start) for k, x in enumerate(responses.sharing)
    ]
    dated += [(("responses", "recycling", k), x.start) for k, x in enumerate(responses.recycling)]
    dated += [
        (("responses", "new_capacity", k), x.start) for k, x in enumerate(responses.new_capacity)
    ]
    for loc, start in dated:
        if scenario.month_index(start) >= last:
            late.append(
                ((*loc, "start"), f"starts {start}, after {horizon}: it does nothing in the run")
            )
    return errors, late


def _report(errors: list[str], warned: list[str], warn: bool = True) -> None:
    if warn:
        for text in warned:
            warnings.warn(text, OreshockWarning, stacklevel=3)
    if errors:
        raise ScenarioError("invalid scenario:\n  " + "\n  ".join(errors))


def _lines(
    scenario: Scenario, network: Network, where: Callable[[tuple], str], label: str
) -> tuple[list[str], list[str]]:
    def say(problems: list[Located]) -> list[str]:
        return [
            f"{where(loc)}, field '{'.'.join(map(str, loc))}': {why}{label}"
            for loc, why in problems
        ]

    errors, late = date_problems(scenario)
    return say(id_problems(scenario, network) + errors), say(late)


def file_problems(file: ScenarioFile, network: Network) -> tuple[list[str], list[str]]:
    """Errors and warnings of every variant of a file on a network (the base first)."""
    errors: list[str] = []
    warned: list[str] = []
    for name, scenario in file.scenarios().items():
        label = "" if name is None else f" (variant '{name}')"
        err, late = _lines(scenario, network, partial(file.where, name), label)
        errors += err
        warned += late
    return unique_problems(errors), unique_problems(warned)


def check_file(file: ScenarioFile, network: Network, *, warn: bool = True) -> None:
    """Raise a ScenarioError naming every problem of every variant of the file on the network;
    warn about responses that start after the horizon (unless ``warn`` is false)."""
    _report(*file_problems(file, network), warn=warn)


_CHECKED: list[tuple[ScenarioFile, Network]] = []
"""Files already checked on a network, so an ensemble's many builds check a file once."""


def _check_base_year(scenario: Scenario, network: Network) -> None:
    """A scenario that names its data's base year runs on that vintage only: on another it
    would replay 2010 on 2024 flows and look like an answer."""
    if scenario.base_year is not None and scenario.base_year != network.base_year:
        raise ScenarioError(
            f"scenario {scenario.name!r}: base_year {scenario.base_year}, but the data are of "
            f"{network.base_year}; load that vintage (`--base-year {scenario.base_year}`, "
            f"load_dataset(base_year={scenario.base_year}))"
        )


def check_scenario(scenario: Scenario, network: Network, *, warn: bool = True) -> None:
    """Check a scenario on the network it runs on: with every variant of its file when it came
    from one, else on its own (fields named by path). Raises ScenarioError.

    Late responses are warned about once per file (``warn``: a server passes False and keeps
    its request threads free of warnings); a scenario made in Python, or a copy of one, is
    held to the errors only.
    """
    _check_base_year(scenario, network)
    source = source_of(scenario)
    if source is None:
        _report(_lines(scenario, network, lambda loc: "scenario", "")[0], [])
        return
    file, variant = source
    if not any(f is file and n is network for f, n in _CHECKED):
        check_file(file, network, warn=warn)
        _CHECKED.append((file, network))
        del _CHECKED[:-16]
    label = "" if variant is None else f" (variant '{variant}')"
    errors, _ = _lines(scenario, network, lambda loc: file.where(variant, loc), label)
    _report(errors, [])


def validation(file: ScenarioFile, network: Network) -> tuple[list[str], list[str]]:
    """What ``oreshock scenarios validate`` reports for a file, as lines: the errors (types,
    ranges, dates and ids of the base and every variant) and the warnings (responses after
    the horizon). One function, so a client validating as the user types hears the same."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OreshockWarning)  # returned below instead
            return file_problems(file, network)
    except ScenarioError as exc:
        return problem_lines(exc), []


def problem_lines(exc: ScenarioError) -> list[str]:
    """The problems of a ScenarioError, one a line, without its ``invalid scenario:`` head."""
    lines = (x.strip() for x in str(exc).removeprefix("invalid scenario:").splitlines())
    return [x for x in lines if x]
