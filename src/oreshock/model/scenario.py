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
import difflib
import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from oreshock.core.errors import ScenarioError
from oreshock.core.ids import ALL
from oreshock.core.months import month_index, month_labels


class Frozen(BaseModel):
    """Base of scenario objects: immutable, keyword-only, unknown fields rejected, and no NaN
    or infinity (``.nan`` in YAML or ``NaN`` in JSON would otherwise pass every range check
    and run as "never short")."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator(
        "minerals", "stages", "elements", "destinations", "countries", check_fields=False
    )
    @classmethod
    def _names_one_at_least(cls, v: Any) -> Any:
        """An empty list of ids would make its item a silent no-op (``all`` names every one)."""
        if isinstance(v, list) and not v:
            raise ValueError("expected at least one id, or `all`; found an empty list")
        return v


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

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, v: str | None, info: ValidationInfo) -> str | None:
        """An end at or before the start is an empty window: the shock would silently vanish."""
        start = info.data.get("start")
        if v is not None and start is not None and month_index(start, v) <= 0:
            raise ValueError(
                f"end {v} is not after start {start}; expected an end month after the start "
                "(the end is exclusive), or no end"
            )
        return v


Targets = list[str] | Literal["all"]


class ExportBan(Window):
    """Exports from ``exporter`` to ``destinations`` cut by ``share`` (1 = full ban)."""

    type: Literal["export_ban"] = "export_ban"
    exporter: str
    destinations: list[str]
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    share: float = Field(1.0, ge=0, le=1, description="share of base exports blocked")


class ExportQuota(Window):
    """Exports from ``exporter`` to ``destinations`` capped at ``allowed`` of base flows."""

    type: Literal["export_quota"] = "export_quota"
    exporter: str
    destinations: Targets = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    allowed: float = Field(ge=0, le=1)


class LicenceDelay(Window):
    """Shipments from ``exporter`` to ``destinations`` arrive ``months`` later."""

    type: Literal["licence_delay"] = "licence_delay"
    exporter: str
    destinations: Targets = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    months: int = Field(ge=0, le=24)


class Licensing(Window):
    """Exports from ``exporter`` to ``destinations`` need a licence from ``start``.

    Nothing is approved for ``review_months`` (China's statutory review is 45 working days,
    about two months); after that, each month ``approval`` of the applications still pending
    is approved (one share per month, the last one holding). Orders not approved wait and
    ship when approved, so exports catch up as approvals rise, and at ``end`` every pending
    order is released. Importers may build stock before the start: ``stock_building_share``
    more than base exports in each of the ``stock_building_months`` before it."""

    type: Literal["licensing"] = "licensing"
    exporter: str
    destinations: Targets = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    review_months: int = Field(2, ge=0, le=24, description="months before any approval")
    approval: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: [1.0],
        min_length=1,
        description="share of pending applications approved in each month after the review",
    )
    stock_building_months: int = Field(0, ge=0, le=12)
    stock_building_share: float = Field(
        0.0, ge=0, le=5, description="extra exports before the start, share of base exports"
    )


class ReexportControl(Window):
    """No material of ``origin`` may reach ``destinations`` from any third country."""

    type: Literal["reexport_control"] = "reexport_control"
    origin: str
    destinations: list[str]
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    share: float = Field(1.0, ge=0, le=1)


class Outage(Window):
    """Capacity at ``country`` and ``stages`` reduced by ``share``."""

    type: Literal["outage"] = "outage"
    country: str
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    share: float = Field(ge=0, le=1)


class DemandSurge(Window):
    """Final use in ``countries`` multiplied by ``factor``."""

    type: Literal["demand_surge"] = "demand_surge"
    countries: Targets = ALL
    minerals: Targets = ALL
    stages: Targets = ALL
    elements: Targets = Field(
        ALL, description="chemical elements (e.g. Dy, Tb): only products carrying one are hit"
    )
    factor: float = Field(gt=0)


Shock = Annotated[
    ExportBan | ExportQuota | LicenceDelay | Licensing | ReexportControl | Outage | DemandSurge,
    Field(discriminator="type"),
]


class Stockpile(Frozen):
    """A national or joint stockpile released by rule: trigger, rate and floor.

    A joint stockpile (``joint: true``, the holder a group) is one pool: its members store
    parts of it in proportion to their demand (``months_of_demand`` of each member's demand),
    and a member short of supply draws on the whole pool, not only on the part on its soil.
    A country may also hold a national stockpile of the same product: the joint pool covers
    what the national one leaves short."""

    holder: str
    joint: bool = Field(
        False, description="one pool shared by the holder group's members (see above)"
    )
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

    @model_validator(mode="after")
    def _joint_sized(self) -> Stockpile:
        if self.joint and self.months_of_demand is None:
            raise ValueError(
                "a joint stockpile needs months_of_demand (the dataset holds national "
                "stockpiles only)"
            )
        return self


class Buffers(Frozen):
    """Stocks that absorb a shock: commercial inventories (dataset levels, or months of
    demand per country) and national or joint stockpiles."""

    commercial_stocks: bool = True
    commercial_months: dict[str, float] = Field(default_factory=dict)

    @field_validator("commercial_months")
    @classmethod
    def _months_not_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if x < 0}
        if bad:
            raise ValueError(f"expected months of demand >= 0 for each country, found {bad}")
        return v

    stockpiles: list[Stockpile] = Field(default_factory=list)
    # Levels of dataset stock rows, in each row's own unit (days, months or tonnes), by
    # holder -> country -> mineral -> stage: replaces the row's central value. Written as a
    # distribution it is sampled by ensembles; ``oreshock run --uncertainty`` fills it from the
    # dataset's low/value/high ranges.
    stock_levels: dict[
        Literal["commercial", "national"], dict[str, dict[str, dict[str, float]]]
    ] = Field(default_factory=dict)

    @field_validator("stock_levels")
    @classmethod
    def _levels_not_negative(
        cls, v: dict[str, dict[str, dict[str, dict[str, float]]]]
    ) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
        bad = {
            f"{h}.{c}.{m}.{s}": x
            for h, by_c in v.items()
            for c, by_m in by_c.items()
            for m, by_s in by_m.items()
            for s, x in by_s.items()
            if x < 0
        }
        if bad:
            raise ValueError(f"expected stock levels >= 0, found {bad}")
        return v


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
    """Prices by region (inside and outside China), ``rules.price_index``: each month the
    index moves from last month's toward the price the month's market clears at: ln p =
    persistence ln p_prev + (1 - persistence) ln p*, ln p* = -ln k / storage elasticity -
    ln served / (demand + supply elasticity), k the stock cover against normal, served the
    share of demand met; within 1 / max and max times the base price.
    Spare capacity and final use answer the price with mean lags (restarts, thrifting).
    docs/model.md gives the sources and the episode each value was fitted on."""

    persistence: float = Field(
        0.5, ge=0, lt=1, description="share of last month's log price carried into this month"
    )
    demand_elasticity: float = Field(
        0.28, ge=0, description="short-run price elasticity of final use (final use ~ p^-e)"
    )
    supply_elasticity: float = Field(
        0.38, ge=0, description="short-run price elasticity of supply (spare capacity ~ p^e)"
    )
    storage_elasticity: float = Field(
        1.0, gt=0, description="how far stock cover moves the price: p* ~ k^(-1/e)"
    )
    max_price_multiple: float = Field(
        30.0, gt=1, description="the price stays within 1/x and x times the base-year price"
    )
    supply_lag_months: float = Field(
        12.0, ge=1, description="mean lag of spare capacity behind the price (restarts)"
    )
    demand_lag_months: float = Field(
        6.0, ge=1, description="mean lag of final use behind the price (thrifting)"
    )

    @field_validator("supply_elasticity")
    @classmethod
    def _some_response(cls, value: float, info: ValidationInfo) -> float:
        if value + info.data.get("demand_elasticity", 0.0) <= 0:
            raise ValueError(
                "demand_elasticity + supply_elasticity must be above 0 (with both 0 no price "
                "clears a shortfall)"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_linear_index(cls, data: Any) -> Any:
        """``sensitivity`` set the slope of the earlier linear index, which no longer exists:
        saying so beats the bare "extra inputs are not permitted"."""
        if isinstance(data, Mapping) and "sensitivity" in data:
            raise ValueError(
                "sensitivity is no longer a market setting: the price now follows availability "
                "through demand_elasticity, supply_elasticity and storage_elasticity"
            )
        return data


class PlanControl(Frozen):
    """The control a plan prepares for (``oreshock plan``): one that has not happened yet.
    Each sampled scenario bans exports from ``exporter`` to ``destinations`` (and re-exports of
    its material to them) from a start month after the scenario's start, for a length, letting
    a share through; each drawn uniformly from its [low, high]."""

    exporter: str = "CHN"
    destinations: list[str]
    start_months: tuple[int, int] = Field(
        description="months from the scenario's start, [low, high]"
    )
    length_months: tuple[int, int] = Field(description="months the control lasts, [low, high]")
    leak_share: tuple[float, float] = Field(
        (0.0, 0.0), description="share let through, [low, high]"
    )

    @field_validator("start_months", "length_months", "leak_share")
    @classmethod
    def _ordered(cls, value: tuple[float, float], info: ValidationInfo) -> tuple[float, float]:
        low, high = value
        if low < 0 or high < low:
            raise ValueError(f"expected 0 <= low <= high, found [{low}, {high}]")
        if info.field_name == "leak_share" and high > 1:
            raise ValueError(f"a share is at most 1, found {high}")
        if info.field_name == "length_months" and low < 1:
            raise ValueError("a control lasts at least 1 month")
        return value


VARIANT_TITLES = ("variant_title_en", "variant_title_ja")
"""The fields that name a variant; written in a variant, never inherited by one extending it."""


def variant_title(scenario: Mapping[str, Any], lang: str) -> str:
    """The variant of a scenario (as data, e.g. a stored run's scenario) as a reader names
    it: its title in ``lang``, else in the other language, else its id; "" for the base."""
    variant = scenario.get("variant")
    if not variant:
        return ""
    first, second = ("ja", "en") if lang == "ja" else ("en", "ja")
    return str(
        scenario.get(f"variant_title_{first}") or scenario.get(f"variant_title_{second}") or variant
    )


class Scenario(Frozen):
    """A stress test: horizon, shocks, buffers and responses."""

    name: str
    title_en: str = ""
    title_ja: str = ""
    description: str = ""
    start: Month = "2026-01"
    months: int = Field(60, ge=1, le=600, description="horizon in monthly steps")
    base_year: int | None = Field(
        None,
        ge=1900,
        le=2100,
        description="the dataset vintage to run on (e.g. 2010); default: the dataset's base year",
    )
    minerals: Targets = Field(ALL, description="chains to run (every mineral when `all`)")
    shortfall_threshold: float = Field(
        0.01, ge=0, lt=1, description="a month is short when shortfall exceeds this share of demand"
    )
    shocks: list[Shock] = Field(default_factory=list)
    buffers: Buffers = Field(default_factory=Buffers)
    responses: Responses = Field(default_factory=Responses)
    market: Market = Field(default_factory=Market)
    plan: PlanControl | None = Field(
        None, description="the uncertain future control `oreshock plan` prepares for"
    )
    end_use_priority: list[str] = Field(
        default_factory=list,
        description="end-use sectors served first when a stage's final use falls short, in "
        "order; the others share what is left in proportion",
    )
    variant: str | None = Field(None, description="set by the loader to the variant's name")
    variant_title_en: str = Field(
        "", max_length=80, description="a variant's name as a person reads it, in English"
    )
    variant_title_ja: str = Field(
        "", max_length=80, description="a variant's name as a person reads it, in Japanese"
    )

    _check_start = field_validator("start", mode="before")(_month)

    def variant_name(self, lang: str) -> str:
        """The variant as a reader names it (``variant_title``); "" for the base scenario."""
        return variant_title(self.model_dump(include={"variant", *VARIANT_TITLES}), lang)

    def month_index(self, month: str) -> int:
        """Months from the scenario start to ``month`` (negative if before)."""
        return month_index(self.start, month)

    def month_labels(self) -> list[str]:
        """ISO dates of the first day of each month of the horizon."""
        return month_labels(self.start, self.months)

    def chains_covered(
        self, available: Iterable[str], families: Mapping[str, Sequence[str]] | None = None
    ) -> list[str]:
        """The chains this scenario runs, among ``available``: every one when ``all``; a family
        (``families``: family -> its products) stands for its products. A mineral that is not
        available is an error naming the field (and the file line it came from)."""
        known = sorted(available)
        families = families or {}
        if self.minerals == ALL:
            return known
        problems = []
        chosen: list[str] = []
        for k, mineral in enumerate(self.minerals):
            if mineral in families:
                chosen += [p for p in families[mineral] if p not in chosen]
            elif mineral in known:
                chosen += [] if mineral in chosen else [mineral]
            else:
                source = source_of(self)
                where = source[0].where(source[1], ("minerals", k)) if source else "scenario"
                problems.append(
                    f"{where}, field 'minerals.{k}': unknown mineral {mineral!r}; expected a "
                    f"mineral of the dataset{_suggest(mineral, [*known, *families])}"
                )
        if problems:
            raise ScenarioError("invalid scenario:\n  " + "\n  ".join(problems))
        return chosen


DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
}
"""Each distribution and the parameters it takes (the same as the ensemble samples)."""


class DistributionError(ScenarioError):
    """A distribution spec that cannot be sampled; ``loc`` is the field it stands for."""

    def __init__(self, loc: tuple, message: str):
        self.loc = loc
        self.detail = message
        super().__init__(f"{'.'.join(map(str, loc))}: {message}")


def _spec_text(spec: dict) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k != "dist")
    return f"{spec.get('dist')}({args})"


def _distribution(spec: dict, loc: tuple) -> dict[str, float]:
    """The parameters of a distribution spec, checked: known kind, exactly its parameters,
    finite numbers, low <= (mode <=) high, sd > 0, a lognormal's mean > 0."""
    kind = spec.get("dist")
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        raise DistributionError(
            loc,
            f"unknown distribution {kind!r}; expected one of {sorted(DISTRIBUTIONS)}",
        )
    names = DISTRIBUTIONS[kind]
    extra = sorted(map(str, set(spec) - {"dist", *names}))
    missing = [n for n in names if n not in spec]
    if extra or missing:
        raise DistributionError(
            loc,
            f"bad distribution {_spec_text(spec)}: expected exactly "
            f"{', '.join(names)} (missing: {', '.join(missing) or '-'}; "
            f"unknown: {', '.join(extra) or '-'})",
        )
    values: dict[str, float] = {}
    for name in names:
        raw = spec[name]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise DistributionError(
                loc, f"bad distribution {_spec_text(spec)}: {name} must be a finite number"
            )
        values[name] = float(raw)
    problem = None
    if "low" in values and values["low"] > values["high"]:
        problem = "expected low <= high"
    elif kind == "triangular" and not values["low"] <= values["mode"] <= values["high"]:
        problem = "expected low <= mode <= high"
    elif "sd" in values and values["sd"] <= 0:
        problem = "expected sd > 0"
    elif kind == "lognormal" and values["mean"] <= 0:
        problem = "expected a lognormal mean > 0"
    if problem:
        raise DistributionError(loc, f"bad distribution {_spec_text(spec)}: {problem}")
    return values


def central_value(spec: dict, where: str | tuple) -> float:
    """The value a single run uses for an uncertain parameter."""
    loc = where if isinstance(where, tuple) else (where,)
    values = _distribution(spec, loc)
    if spec["dist"] == "uniform":
        return (values["low"] + values["high"]) / 2
    if spec["dist"] == "triangular":
        return values["mode"]
    return values["mean"]


def support(spec: dict) -> tuple[float, ...]:
    """Values a distribution can take that must each be valid where it stands: both ends of a
    bounded one, the mean of an unbounded one."""
    values = _distribution(spec, ())
    if "low" in values:
        return values["low"], values["high"]
    return (values["mean"],)


def split_uncertain(data: Any, path: tuple = ()) -> tuple[Any, dict[tuple, dict]]:
    """Replace distribution specs by central values; return them keyed by their path."""
    found: dict[tuple, dict] = {}
    if isinstance(data, dict):
        if "dist" in data:
            return central_value(data, path), {path: data}
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
    """Set ``data[path]`` in nested dicts and lists; a missing mapping on the way is created
    (a sampled dataset stock level, ``buffers.stock_levels....``, need not be in the file)."""
    for key in path[:-1]:
        data = data.setdefault(key, {}) if isinstance(data, dict) else data[key]
    data[path[-1]] = value


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


MAX_BYTES = 1 << 20
"""Largest scenario file read (1 MiB); the shipped ones are a few kilobytes."""
MAX_DEPTH = 20
"""Deepest nesting of mappings and lists, counted after aliases are expanded (the shipped
scenarios nest 8 deep); bounded so no check or merge recurses without end."""
MAX_ALIASES = 20
"""Most YAML aliases (``*name``) in one file; with MAX_NODES, a billion-laughs file is refused
before it is expanded."""
MAX_NODES = 100_000
"""Most values in a file once its aliases are expanded."""


def _yaml_error(path: str, line: int | None, message: str) -> ScenarioError:
    where = f"{path}, line {line}" if line else path
    return ScenarioError(f"{where}: {message}")


def _line(mark: Any) -> int | None:
    return None if mark is None else int(mark.line) + 1


def _scan_events(text: str, path: str) -> None:
    """Refuse deep nesting and many aliases from the event stream, before anything is built
    (the composer recurses, and expanding aliases can take memory without bound)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _yaml_error(
                    path,
                    _line(event.start_mark),
                    f"nested deeper than {MAX_DEPTH} levels; expected a scenario file",
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _yaml_error(
                    path,
                    _line(event.start_mark),
                    f"more than {MAX_ALIASES} YAML aliases; expected at most {MAX_ALIASES}",
                )


def _check_nodes(root: yaml.Node, path: str) -> None:
    """Size and depth of the document with aliases expanded, and no duplicate keys (YAML
    keeps the last of two equal keys without a word)."""
    sizes: dict[int, tuple[int, int]] = {}

    def walk(node: yaml.Node) -> tuple[int, int]:
        known = sizes.get(id(node))
        if known is not None:
            return known
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                children += [key, value]
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in seen:
                        raise _yaml_error(
                            path,
                            key.start_mark.line + 1,
                            f"key {key.value!r} appears twice in one mapping (first on line "
                            f"{seen[key.value]}); expected each key once",
                        )
                    seen[key.value] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        count, depth = 1, 0
        for child in children:
            n, d = walk(child)
            count, depth = count + n, max(depth, d)
        if children:
            depth += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            raise _yaml_error(
                path,
                node.start_mark.line + 1,
                f"expands (through aliases) to more than {MAX_NODES} values or "
                f"{MAX_DEPTH} levels; expected a scenario file",
            )
        sizes[id(node)] = (count, depth)
        return count, depth

    walk(root)


def safe_parse(text: str, path: str) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree and document of a scenario file, read with the safe loader and
    within the size, depth and alias limits above."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioError(
            f"{path}: larger than {MAX_BYTES // 1024} KiB; expected a scenario file"
        )
    try:
        _scan_events(text, path)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            return None, None
        _check_nodes(node, path)
        loader = yaml.SafeLoader("")
        try:
            doc = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise ScenarioError(f"{path}{line}: not valid YAML: {exc}") from None
    return node, doc


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


_SOURCES: dict[int, tuple[ScenarioFile, str | None]] = {}


def source_of(scenario: Scenario) -> tuple[ScenarioFile, str | None] | None:
    """The file and variant a Scenario was built from (None when it was made in Python)."""
    return _SOURCES.get(id(scenario))


def _remember(scenario: Scenario, file: ScenarioFile, variant: str | None) -> None:
    key = id(scenario)
    _SOURCES[key] = (file, variant)
    weakref.finalize(scenario, _SOURCES.pop, key, None)


class ScenarioFile:
    """A parsed scenario file: the base document, its variants and where each field is.

    Building any variant first checks every variant of the file (types, ranges, dates,
    distributions), so a mistake in a variant that is not run is not left for later.
    """

    def __init__(self, text: str, path: str):
        self.path = path
        self.node, self.doc = safe_parse(text, path)
        if not isinstance(self.doc, dict):
            raise ScenarioError(f"{path}: expected a mapping at the top of the file")
        variants = self.doc.pop("variants", None) or {}
        if not isinstance(variants, dict):
            raise ScenarioError(
                f"{self.where(None, ('variants',))}, field 'variants': expected a mapping of "
                f"name -> overrides, found {variants!r}"
            )
        self.variants: dict[str, dict] = {}
        for name, body in variants.items():
            where = self.where(None, ("variants", name))
            if not isinstance(name, str):
                raise ScenarioError(
                    f"{where}, field 'variants': expected a variant name (text), found {name!r}"
                )
            if body is not None and not isinstance(body, dict):
                raise ScenarioError(
                    f"{where}, field 'variants.{name}': expected a mapping of fields to "
                    f"override, found {body!r}"
                )
            self.variants[name] = body or {}
        for name, body in self.variants.items():
            parent = body.get("extends")
            if parent is None:
                continue
            where = self.where(None, ("variants", name, "extends"))
            if not isinstance(parent, str) or parent not in self.variants or parent == name:
                others = [v for v in self.variants if v != name]
                hint = _suggest(parent, others) if isinstance(parent, str) else ""
                raise ScenarioError(
                    f"{where}, field 'variants.{name}.extends': expected the name of another "
                    f"variant ({', '.join(others) or 'none'}), found {parent!r}{hint}"
                )
        for name in self.variants:
            chain = [name]
            while (parent := self.variants[chain[-1]].get("extends")) is not None:
                if parent in chain:
                    raise ScenarioError(
                        f"{self.where(None, ('variants', name, 'extends'))}: variants extend "
                        f"each other in a loop: {' -> '.join([*chain, parent])}"
                    )
                chain.append(parent)
        self._checked = False

    @classmethod
    def from_document(cls, doc: Any, path: str) -> ScenarioFile:
        """A scenario given as data (an API body), not as text: held to the same limits and
        checks as a file, its problems named by field (it has no lines)."""
        stack: list[tuple[Any, int]] = [(doc, 0)]
        count = 0
        while stack:
            value, depth = stack.pop()
            count += 1
            if depth > MAX_DEPTH or count > MAX_NODES:
                raise ScenarioError(
                    f"{path}: nested deeper than {MAX_DEPTH} levels or more than {MAX_NODES} "
                    "values; expected a scenario"
                )
            if isinstance(value, dict):
                stack += [(v, depth + 1) for v in value.values()]
            elif isinstance(value, list):
                stack += [(v, depth + 1) for v in value]
        try:
            text = yaml.safe_dump(doc, allow_unicode=True)
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{path}: not a scenario document ({exc})") from None
        file = cls(text, path)
        file.node = None  # the lines of a text the user never wrote would mislead
        return file

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
                node = next(
                    (
                        v
                        for k, v in node.value
                        if isinstance(k, yaml.ScalarNode) and k.value == str(key)
                    ),
                    None,
                )
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

    def where(self, variant: str | None, loc: tuple) -> str:
        """``file, line N`` of a field of a variant: the variant's own line for the field when
        it sets it, else the line of the base document's field."""
        if variant is None:
            line = self.line_of(loc)
        elif not loc or loc[0] in (self.variants.get(variant) or {}):
            line = self.line_of(("variants", variant, *loc))
        else:
            line = self.line_of(loc)
        return f"{self.path}, line {line}" if line else self.path

    def resolve(self, variant: str | None, _seen: tuple = ()) -> dict:
        """The document of ``variant`` (base when None), following ``extends``."""
        if variant is None:
            return copy.deepcopy(self.doc)
        if not isinstance(variant, str) or variant not in self.variants:
            names = ", ".join(self.variants) or "(none)"
            hint = _suggest(variant, self.variants) if isinstance(variant, str) else ""
            raise ScenarioError(
                f"{self.path}: unknown variant {variant!r}; expected one of: {names}{hint}"
            )
        if variant in _seen:
            raise ScenarioError(f"{self.path}: variants extend each other in a loop: {_seen}")
        override = dict(self.variants[variant])
        parent = override.pop("extends", None)
        base = self.resolve(parent, (*_seen, variant))
        for title in VARIANT_TITLES:  # a variant's title names it alone, not those extending it
            if title not in override:
                base.pop(title, None)
        merged = _merge(base, override)
        merged["variant"] = variant
        return merged

    def _problems(
        self, variant: str | None, overrides: dict[tuple, Any] | None = None
    ) -> tuple[Scenario | None, list[str]]:
        """One variant validated into a Scenario, or the problems found, each naming file,
        line, field, the value found and what was expected."""
        label = "" if variant is None else f" (variant '{variant}')"
        try:
            doc, uncertain = split_uncertain(self.resolve(variant), ())
        except DistributionError as exc:
            return None, [f"{self.where(variant, exc.loc)}, field {exc}{label}"]
        for path, value in (overrides or {}).items():
            set_path(doc, path, value)
        lines: list[str] = []
        try:
            scenario = Scenario.model_validate(doc)
        except ValidationError as exc:
            errors = exc.errors()
            for err in errors:
                loc = _field_loc(err["loc"])
                if _is_all_branch(err) and sum(_field_loc(e["loc"]) == loc for e in errors) > 1:
                    continue  # "expected 'all'" beside the list's own error says nothing new
                field = ".".join(map(str, loc)) or "(top)"
                found = err.get("input")
                lines.append(
                    f"{self.where(variant, loc)}, field '{field}': {err['msg']} "
                    f"(found {_short(found)}){label}"
                )
            return None, lines
        for path, spec in uncertain.items():
            if overrides and path in overrides:
                continue
            for value in support(spec):
                trial = copy.deepcopy(doc)
                set_path(trial, path, value)
                try:
                    Scenario.model_validate(trial)
                except ValidationError as exc:
                    reason = exc.errors()[0]["msg"]
                    dotted = ".".join(map(str, path))
                    lines.append(
                        f"{self.where(variant, path)}, field '{dotted}': "
                        f"distribution {_spec_text(spec)} reaches {value:g}, outside the "
                        f"field's valid range ({reason}){label}"
                    )
                    break
        return (None if lines else scenario), lines

    def check(self) -> None:
        """Validate the base document and every variant; raise with every problem found."""
        if self._checked:
            return
        lines = unique_problems(
            line for name in [None, *self.variants] for line in self._problems(name)[1]
        )
        if lines:
            raise ScenarioError("invalid scenario:\n  " + "\n  ".join(lines))
        self._checked = True

    def build(
        self, variant: str | None = None, overrides: dict[tuple, Any] | None = None
    ) -> Scenario:
        """Validate one variant into a Scenario, naming file, line and field on error (after
        checking every variant of the file)."""
        if variant is not None:
            self.resolve(variant)  # an unknown variant is named before anything else
        self.check()
        scenario, lines = self._problems(variant, overrides)
        if scenario is None:
            raise ScenarioError("invalid scenario:\n  " + "\n  ".join(lines))
        _remember(scenario, self, variant)
        return scenario

    def scenarios(self) -> dict[str | None, Scenario]:
        """The base document and every variant, validated (None is the base)."""
        return {name: self.build(name) for name in [None, *self.variants]}

    def uncertain(self, variant: str | None = None) -> dict[tuple, dict]:
        """Distribution specs of the resolved variant, keyed by field path."""
        return split_uncertain(self.resolve(variant), ())[1]


def unique_problems(lines: Iterable[str]) -> list[str]:
    """Problems said once: a variant that inherits a mistake from the base (or from the
    variant it extends) is not told again, whatever its ``(variant ...)`` label."""
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        key = line.split(" (variant '")[0]
        if key not in seen:
            seen.add(key)
            out.append(line)
    return out


def _field_loc(loc: tuple) -> tuple:
    """A pydantic error location as a field path: without model names, shock types and union
    branches (``list[str]``, ``literal['all']``)."""
    return tuple(
        x
        for x in loc
        if not (
            isinstance(x, str)
            and ((x[:1].isupper() and not x.isupper()) or x in _SHOCK_TYPES or "[" in x)
        )
    )


def _is_all_branch(err: Any) -> bool:
    return any(isinstance(x, str) and x.startswith("literal[") for x in err["loc"])


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_SHOCK_TYPES = {
    "export_ban",
    "export_quota",
    "licence_delay",
    "licensing",
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
    if not path.is_file():
        raise ScenarioError(f"{path}: not a file; expected a scenario YAML file")
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(
            f"{path}: larger than {MAX_BYTES // 1024} KiB; expected a scenario file"
        )
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return ScenarioFile(text, str(path))


def load_scenario(name_or_path: str | Path, variant: str | None = None) -> Scenario:
    """Load and validate one variant of a scenario."""
    return open_scenario(name_or_path).build(variant)


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, for editors: the Scenario's fields (any number may be a
    distribution), and ``variants`` of partial overrides, each optionally ``extends``-ing
    another. The meaning checks (ids, dates in the horizon) need a dataset and are
    ``oreshock scenarios validate``'s."""
    schema = Scenario.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs["Distribution"] = {
        "description": "An uncertain number: a single run takes its central value, an "
        "ensemble samples it.",
        "oneOf": [
            {
                "type": "object",
                "properties": {"dist": {"const": kind}, **{p: {"type": "number"} for p in names}},
                "required": ["dist", *names],
                "additionalProperties": False,
            }
            for kind, names in DISTRIBUTIONS.items()
        ],
    }

    def numbers_may_be_distributions(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                return {"anyOf": [node, {"$ref": "#/$defs/Distribution"}]}
            return {k: numbers_may_be_distributions(v) for k, v in node.items()}
        if isinstance(node, list):
            return [numbers_may_be_distributions(v) for v in node]
        return node

    schema = numbers_may_be_distributions(schema)
    schema["properties"].pop("variant", None)
    schema["properties"]["variants"] = {
        "type": "object",
        "description": "Named variants: each overrides fields of the base document, or of the "
        "variant it extends.",
        "additionalProperties": {
            "type": ["object", "null"],
            "properties": {
                "extends": {"type": "string", "description": "name of another variant"},
                "description": {"type": "string"},
            },
        },
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "oreshock scenario file"
    return schema
