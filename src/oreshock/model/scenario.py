"""Scenarios: typed, frozen event objects loaded from YAML, with named variants.

A scenario file declares a horizon, shocks (export bans and quotas, licence delays,
re-export controls by origin, outages, demand surges), buffers (commercial stocks, national
stockpiles with release rules) and responses (sharing agreements, rerouting, recycling, new
capacity, substitution). Variants override parts of the base scenario, optionally on top of
another variant (``extends``). Any number may be written as a distribution
(``{dist: uniform, low: 1, high: 3}``); a single run takes its central value and the
ensemble samples it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oreshock.core.errors import ScenarioError
from oreshock.core.ids import ALL
from oreshock.core.months import month_index, month_labels


class Frozen(BaseModel):
    """Base of scenario objects: immutable, keyword-only, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _month(value: Any) -> str:
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value)
    try:
        dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        raise ValueError(f"expected a month as YYYY-MM, found {value!r}") from None
    return text[:7]


Month = Annotated[str, Field(description="YYYY-MM")]


class Window(Frozen):
    """A period in months; ``end`` is exclusive and open when omitted."""

    start: Month
    end: Month | None = None

    _check_start = field_validator("start", mode="before")(_month)

    @field_validator("end", mode="before")
    @classmethod
    def _check_end(cls, v: Any) -> str | None:
        return None if v is None else _month(v)


Targets = list[str] | Literal["all"]


class ExportBan(Window):
    """Exports from ``exporter`` to ``destinations`` cut by ``share`` (1 = full ban)."""

    type: Literal["export_ban"] = "export_ban"
    exporter: str
    destinations: list[str]
    minerals: Targets = ALL
    stages: Targets = ALL
    share: float = Field(1.0, ge=0, le=1, description="share of base exports blocked")


class ExportQuota(Window):
    """Exports from ``exporter`` to ``destinations`` capped at ``allowed`` of base flows."""

    type: Literal["export_quota"] = "export_quota"
    exporter: str
    destinations: list[str] | Literal["all"] = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    allowed: float = Field(ge=0, le=1)


class LicenceDelay(Window):
    """Shipments from ``exporter`` to ``destinations`` arrive ``months`` later."""

    type: Literal["licence_delay"] = "licence_delay"
    exporter: str
    destinations: list[str] | Literal["all"] = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    months: int = Field(ge=0, le=24)


class ReexportControl(Window):
    """No material of ``origin`` may reach ``destinations`` from any third country."""

    type: Literal["reexport_control"] = "reexport_control"
    origin: str
    destinations: list[str]
    minerals: Targets = ALL
    stages: Targets = ALL
    share: float = Field(1.0, ge=0, le=1)


class Outage(Window):
    """Capacity at ``country`` and ``stages`` reduced by ``share``."""

    type: Literal["outage"] = "outage"
    country: str
    minerals: Targets = ALL
    stages: Targets = ALL
    share: float = Field(ge=0, le=1)


class DemandSurge(Window):
    """Final use in ``countries`` multiplied by ``factor``."""

    type: Literal["demand_surge"] = "demand_surge"
    countries: list[str] | Literal["all"] = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    factor: float = Field(gt=0)


Shock = Annotated[
    ExportBan | ExportQuota | LicenceDelay | ReexportControl | Outage | DemandSurge,
    Field(discriminator="type"),
]


class Stockpile(Frozen):
    """A national or joint stockpile released by rule: trigger, rate and floor."""

    holder: str
    minerals: Targets = ALL
    stages: Targets = ALL
    months_of_demand: float | None = Field(None, ge=0)
    trigger: float = Field(
        0.01,
        ge=0,
        le=1,
        description="shortfall share of demand tolerated; beyond it the stockpile covers",
    )
    rate: float = Field(
        0.25, gt=0, le=1, description="max release per month, share of the initial level"
    )
    floor: float = Field(0.0, ge=0, lt=1, description="share of the initial level kept back")


class Buffers(Frozen):
    """Stocks that absorb a shock: commercial inventories (dataset levels, or months of
    demand per country) and national or joint stockpiles."""

    commercial_stocks: bool = True
    commercial_months: dict[str, float] = Field(default_factory=dict)
    stockpiles: list[Stockpile] = Field(default_factory=list)


class Sharing(Frozen):
    """Members reserve ``share`` of their exports for members in shortfall."""

    group: str
    share: float = Field(ge=0, le=1)
    start: Month
    minerals: Targets = ALL

    _check_start = field_validator("start", mode="before")(_month)


class Rerouting(Frozen):
    """Importers short of supply bid for spare supply elsewhere after a delay, growing slowly."""

    delay_months: int = Field(3, ge=0, le=60)
    growth: float = Field(
        0.05, gt=0, le=1, description="monthly growth cap, share of importer demand"
    )


class Recycling(Frozen):
    """Secondary supply ramping to ``rate`` of consumption at a stage."""

    countries: list[str]
    mineral: str
    stage: str
    rate: float = Field(ge=0, le=1)
    start: Month
    ramp_months: int = Field(24, ge=0)

    _check_start = field_validator("start", mode="before")(_month)


class NewCapacity(Frozen):
    """A project adding capacity after a lead time, then ramping up linearly."""

    name: str
    country: str
    mineral: str
    stage: str
    capacity: float = Field(ge=0, description="tonnes per year at full output")
    start: Month
    lead_months: int = Field(0, ge=0)
    ramp_months: int = Field(12, ge=0)

    _check_start = field_validator("start", mode="before")(_month)


class Substitution(Frozen):
    """Final use falls by ``share`` after ``lag_months`` of shortfall, over ``ramp_months``."""

    countries: list[str]
    minerals: Targets = ALL
    stages: Targets = ALL
    share: float = Field(ge=0, le=1)
    lag_months: int = Field(6, ge=0)
    ramp_months: int = Field(12, ge=0)


class Responses(Frozen):
    """What countries do about a shock: sharing, rerouting, recycling, new capacity and
    substitution."""

    sharing: list[Sharing] = Field(default_factory=list)
    rerouting: Rerouting | None = None
    recycling: list[Recycling] = Field(default_factory=list)
    new_capacity: list[NewCapacity] = Field(default_factory=list)
    substitution: list[Substitution] = Field(default_factory=list)


class Market(Frozen):
    """Scarcity price index: p_t = 1 + persistence (p_t-1 - 1) + sensitivity x shortfall share."""

    persistence: float = Field(0.8, ge=0, lt=1)
    sensitivity: float = Field(3.0, ge=0)
    demand_elasticity: float = Field(0.05, ge=0, description="final use ~ price^-elasticity")


class Scenario(Frozen):
    """A stress test: horizon, shocks, buffers and responses."""

    name: str
    title_en: str = ""
    title_ja: str = ""
    description: str = ""
    start: Month = "2026-01"
    months: int = Field(60, ge=1, le=600, description="horizon in monthly steps")
    minerals: Targets = Field(ALL, description="chains to run (every mineral when `all`)")
    shortfall_threshold: float = Field(
        0.01, ge=0, lt=1, description="a month is short when shortfall exceeds this share of demand"
    )
    shocks: list[Shock] = Field(default_factory=list)
    buffers: Buffers = Field(default_factory=Buffers)
    responses: Responses = Field(default_factory=Responses)
    market: Market = Field(default_factory=Market)
    end_use_priority: list[str] = Field(
        default_factory=list,
        description="end-use sectors served first when a stage's final use falls short, in "
        "order; the others share what is left in proportion",
    )
    variant: str | None = Field(None, description="set by the loader to the variant's name")

    _check_start = field_validator("start", mode="before")(_month)

    def month_index(self, month: str) -> int:
        """Months from the scenario start to ``month`` (negative if before)."""
        return month_index(self.start, month)

    def month_labels(self) -> list[str]:
        """ISO dates of the first day of each month of the horizon."""
        return month_labels(self.start, self.months)

    def chains_covered(self, available: Iterable[str]) -> list[str]:
        """The chains this scenario runs, among ``available``: every one when ``all``."""
        return sorted(available) if self.minerals == ALL else list(self.minerals)


DISTRIBUTIONS = {"uniform", "triangular", "normal", "lognormal"}


def central_value(spec: dict, where: str) -> float:
    """The value a single run uses for an uncertain parameter."""
    kind = spec.get("dist")
    try:
        if kind == "uniform":
            low, high = float(spec["low"]), float(spec["high"])
            if high < low:
                raise ValueError("high < low")
            return (low + high) / 2
        if kind == "triangular":
            return float(spec["mode"])
        if kind in ("normal", "lognormal"):
            return float(spec["mean"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ScenarioError(f"{where}: bad distribution {spec!r} ({exc})") from None
    raise ScenarioError(
        f"{where}: unknown distribution {kind!r}; expected one of {sorted(DISTRIBUTIONS)}"
    )


def split_uncertain(data: Any, path: tuple = ()) -> tuple[Any, dict[tuple, dict]]:
    """Replace distribution specs by central values; return them keyed by their path."""
    found: dict[tuple, dict] = {}
    if isinstance(data, dict):
        if "dist" in data:
            return central_value(data, ".".join(map(str, path))), {path: data}
        out = {}
        for k, v in data.items():
            out[k], sub = split_uncertain(v, (*path, k))
            found.update(sub)
        return out, found
    if isinstance(data, list):
        out_list = []
        for i, v in enumerate(data):
            item, sub = split_uncertain(v, (*path, i))
            out_list.append(item)
            found.update(sub)
        return out_list, found
    return data, found


def set_path(data: Any, path: tuple, value: Any) -> None:
    """Set ``data[path]`` in nested dicts and lists."""
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


class ScenarioFile:
    """A parsed scenario file: the base document, its variants and where each field is."""

    def __init__(self, text: str, path: str):
        self.path = path
        try:
            self.node = yaml.compose(text)
            self.doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f", line {mark.line + 1}" if mark else ""
            raise ScenarioError(f"{path}{line}: not valid YAML: {exc}") from None
        if not isinstance(self.doc, dict):
            raise ScenarioError(f"{path}: expected a mapping at the top of the file")
        self.variants: dict[str, dict] = self.doc.pop("variants", None) or {}
        if not isinstance(self.variants, dict):
            raise ScenarioError(
                f"{path}, field 'variants': expected a mapping of name -> overrides"
            )

    @property
    def name(self) -> str:
        return str(self.doc.get("name", Path(self.path).stem))

    def line_of(self, loc: tuple) -> int | None:
        """Line number (1-based) of a field path in the file, when it can be found."""
        node = self.node
        best = node.start_mark.line + 1 if node else None
        for key in loc:
            if node is None:
                break
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == str(key)), None)
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(key, int)
                and key < len(node.value)
            ):
                node = node.value[key]
            else:
                node = None
            if node is not None:
                best = node.start_mark.line + 1
        return best

    def resolve(self, variant: str | None, _seen: tuple = ()) -> dict:
        """The document of ``variant`` (base when None), following ``extends``."""
        if variant is None:
            return copy.deepcopy(self.doc)
        if variant not in self.variants:
            names = ", ".join(self.variants) or "(none)"
            raise ScenarioError(
                f"{self.path}: unknown variant {variant!r}; expected one of: {names}"
            )
        if variant in _seen:
            raise ScenarioError(f"{self.path}: variants extend each other in a loop: {_seen}")
        override = dict(self.variants[variant] or {})
        parent = override.pop("extends", None)
        base = self.resolve(parent, (*_seen, variant))
        merged = _merge(base, override)
        merged["variant"] = variant
        return merged

    def build(
        self, variant: str | None = None, overrides: dict[tuple, Any] | None = None
    ) -> Scenario:
        """Validate one variant into a Scenario, naming file, line and field on error."""
        doc, _ = split_uncertain(self.resolve(variant), ())
        for path, value in (overrides or {}).items():
            set_path(doc, path, value)
        try:
            return Scenario.model_validate(doc)
        except ValidationError as exc:
            lines = []
            for err in exc.errors():
                loc = tuple(
                    x
                    for x in err["loc"]
                    if not ((isinstance(x, str) and x[:1].isupper()) or x in _SHOCK_TYPES)
                )
                field = ".".join(map(str, loc)) or "(top)"
                line = self.line_of(loc if variant is None else ("variants", variant, *loc))
                if variant is not None and line == self.line_of(("variants", variant)):
                    line = self.line_of(loc)
                where = f"{self.path}, line {line}" if line else self.path
                lines.append(f"{where}, field '{field}': {err['msg']} (found {err.get('input')!r})")
            raise ScenarioError("invalid scenario:\n  " + "\n  ".join(lines)) from None

    def uncertain(self, variant: str | None = None) -> dict[tuple, dict]:
        """Distribution specs of the resolved variant, keyed by field path."""
        return split_uncertain(self.resolve(variant), ())[1]


_SHOCK_TYPES = {
    "export_ban",
    "export_quota",
    "licence_delay",
    "reexport_control",
    "outage",
    "demand_surge",
}


def shipped_scenarios() -> dict[str, Path]:
    """Scenario files that ship with the package, by name."""
    folder = Path(str(resources.files("oreshock.model").joinpath("scenarios")))
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def open_scenario(name_or_path: str | Path) -> ScenarioFile:
    """A shipped scenario by name, or a YAML file by path."""
    shipped = shipped_scenarios()
    if str(name_or_path) in shipped:
        path = shipped[str(name_or_path)]
    else:
        path = Path(name_or_path)
        if not path.exists():
            names = ", ".join(shipped) or "(none)"
            raise ScenarioError(
                f"no scenario {str(name_or_path)!r}: not a shipped name ({names}) nor an existing file"
            )
    return ScenarioFile(path.read_text("utf-8"), str(path))


def load_scenario(name_or_path: str | Path, variant: str | None = None) -> Scenario:
    """Load and validate one variant of a scenario."""
    return open_scenario(name_or_path).build(variant)
