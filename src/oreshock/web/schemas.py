"""Request and response models of the HTTP API, and its typed path and query parameters.

One definition for every router and the job service: the OpenAPI document is built from
these, so the patterns that keep paths and ids out of requests are written once here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from oreshock.plan.model import Costs

RunId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="run or job id")]
EnsembleId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="ensemble or job id")]
PlanId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="plan or job id")]
MineralQ = Annotated[str, Query(pattern=r"^[a-z_]{1,40}$", description="mineral id")]
StageQ = Annotated[str, Query(pattern=r"^[a-z_]{1,40}$", description="stage id")]
CountryQ = Annotated[str, Query(pattern=r"^[A-Za-z]{3}$", description="ISO3 code")]
Lang = Annotated[Literal["en", "ja"], Query(description="language")]
# Optional filters of the table routes: absent means "every row".
Iso3Filter = Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")]
FilterQ = Annotated[str | None, Query(pattern=r"^[A-Za-z_]{1,40}$")]
LimitQ = Annotated[
    int | None,
    Query(ge=1, description="rows per page (default and most: the server's page_rows)"),
]
ScenarioNameQ = Annotated[
    str | None, Query(min_length=1, max_length=100, description="only runs of this scenario")
]
LabelQ = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="only runs whose label contains this"),
]
OffsetQ = Annotated[int, Query(ge=0, le=10**12, description="rows to skip")]

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id"},
    422: {"description": "Invalid request"},
    503: {"description": "Results database busy with another process; see Retry-After"},
}
"""Error responses most routes document, so clients (and schemathesis) expect them."""

NOT_FINISHED: dict[int | str, dict[str, Any]] = {**ERRORS, 409: {}}
"""Routes that read a run's stored tables answer 409 while its job is still going."""

PAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page of rows; the total in X-Total-Count, the next page in Link",
        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
    }
}
"""The paged long tables: a JSON array of row objects."""


class ScenarioRequest(BaseModel):
    """What every job starts from: a shipped scenario name or an inline scenario object, a
    variant and a seed."""

    model_config = ConfigDict(extra="forbid")
    scenario: Annotated[str, Field(min_length=1, max_length=100)] | dict[str, Any]
    variant: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    seed: int = Field(0, ge=0, le=2**31 - 1)


class RunRequest(ScenarioRequest):
    """Start a run: a shipped scenario name or an inline scenario object, and a variant."""

    months: int | None = Field(None, ge=1, le=600)
    strict: bool = Field(
        False, description="refuse (422) a scenario with a shock the data do not cover"
    )
    label: str | None = Field(
        None, max_length=200, description="a label stored with the run (one line of text)"
    )


# No docstring: pydantic would publish it as the schema's description and change the API.
class RunCreated(BaseModel):
    id: str
    status: str
    url: str


class PlanRequest(ScenarioRequest):
    """Start a plan (as `oreshock plan`): a scenario with a plan: block, the members, the
    cap on each member's cumulative shortfall and the risk it holds for."""

    members: str = Field(
        "g7plus", pattern=r"^[A-Za-z0-9_]{1,40}$", description="a group id or an ISO3 code"
    )
    cap: float = Field(0.05, gt=0, le=1, description="cumulative shortfall cap, share of demand")
    risk: Literal["worst", "expected", "cvar"] = Field(
        "worst",
        description="worst: under the cap in every control; expected: on average; cvar: on "
        "average over the worst 1 - alpha of the controls",
    )
    alpha: float = Field(0.9, ge=0, lt=1, description="with risk cvar: the tail's complement")
    scenarios: int = Field(50, ge=1, le=2000, description="sampled future controls")
    caps: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=list, max_length=20, description="caps of a cost-vs-cap curve"
    )
    verify: int = Field(
        0, ge=0, le=2000, description="fresh controls to check the plan on in the engine"
    )
    buy_rate: float | None = Field(
        None, gt=0, le=1, description="most bought a month, share of world output (none: any)"
    )
    carrying_rate: float = Field(
        Costs.carrying_rate, gt=0, le=1, description="cost of capital a year (assumed)"
    )
    storage: float = Field(
        Costs.storage_usd_t_yr, ge=0, le=1e6, description="USD per tonne-year (assumed)"
    )
    shortfall_multiple: float = Field(
        Costs.shortfall_multiple, ge=0, le=1000, description="cost of a tonne short, x price"
    )

    def costs(self) -> Costs:
        """The planner's assumed costs, as `oreshock plan` builds them from its options."""
        return Costs(carrying_rate=self.carrying_rate, storage_usd_t_yr=self.storage,
                     shortfall_multiple=self.shortfall_multiple, buy_rate=self.buy_rate)  # fmt: skip


# No docstring: pydantic would publish it as the schema's description and change the API.
class PlanCreated(RunCreated):
    pass


class EnsembleRequest(BaseModel):
    """Start an ensemble (as `oreshock ensemble`): a shipped or inline scenario, a variant, the number
    of runs, the sampler and its seed, the target country, extra parameters and the failure
    rule its page applies."""

    model_config = ConfigDict(extra="forbid")
    scenario: (
        Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
        | dict[str, Any]
    ) = Field(description="a shipped scenario's name, or a scenario object (the workbench's)")
    variant: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    runs: int = Field(ge=1, le=10**7, description="number of runs (Sobol: at least this many)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="random seed of the sampler")
    method: Literal["lhs", "sobol"] = Field("lhs", description="Latin hypercube or Saltelli")
    target: str = Field("JPN", pattern=r"^[A-Za-z]{3}$", description="country whose outcomes "
                        "are recorded (ISO3)")  # fmt: skip
    param: list[Annotated[str, Field(min_length=3, max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="extra or overriding parameters, NAME=uniform:LOW:HIGH (as --param)",
    )
    batch_size: int = Field(500, ge=1, le=100_000, description="runs per Parquet batch")
    stock_ranges: bool = Field(True, description="also sample the dataset stock ranges")
    fail: Annotated[str, Field(min_length=3, max_length=100)] | None = Field(
        None, description="when a run fails, OUTCOME>VALUE or OUTCOME<VALUE (as --fail)"
    )


# No docstring: pydantic would publish it as the schema's description and change the API.
class EnsembleCreated(RunCreated):
    ensemble_id: str
