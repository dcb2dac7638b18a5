"""Request and response models of the HTTP API, and its typed path and query parameters.

One definition for every router and the job service: the OpenAPI document is built from
these, so the patterns that keep paths and ids out of requests are written once here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

RunId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="run or job id")]
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


class RunRequest(BaseModel):
    """Start a run: a shipped scenario name or an inline scenario object, and a variant."""

    model_config = ConfigDict(extra="forbid")
    scenario: Annotated[str, Field(min_length=1, max_length=100)] | dict[str, Any]
    variant: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    seed: int = Field(0, ge=0, le=2**31 - 1)
    months: int | None = Field(None, ge=1, le=600)
    strict: bool = Field(
        False, description="refuse (422) a scenario with a shock the data do not cover"
    )


# No docstring: pydantic would publish it as the schema's description and change the API.
class RunCreated(BaseModel):
    id: str
    status: str
    url: str
