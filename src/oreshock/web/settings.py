"""The service's limits and security settings, in one place, shown to clients at /api/limits.

Every bound the service enforces is a field here, so a deployment can change it (``oreshock
serve`` options, or ``create_app(settings=...)``) and a client can read what applies before
it hits a 413, 422 or 429.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oreshock.core.options import get_option

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Host header values accepted by default (a DNS-rebinding page sends its own name)."""


def _token() -> str | None:
    token: str | None = get_option("token")
    return token or None


@dataclass(frozen=True)
class Settings:
    """Limits of the service and who may use it.

    - ``max_body_bytes``: largest request body (413 beyond it, from Content-Length or while
      reading a streamed body).
    - ``max_shocks``, ``max_months``: the largest scenario a run may have (422 beyond them),
      so one request cannot hold the only worker for minutes; an inline scenario may hold
      at most ``max_shocks`` shocks in all, its variants' included.
    - ``max_values``: most values (scalars, lists, mappings) in an inline scenario, checked
      before it is parsed.
    - ``max_queued``: runs queued or running at once, counted in the store (429 beyond it).
    - ``job_seconds``: the time a run may take; it is stopped after that at its next check
      (between minerals, and at each allocation pass). A plan is checked between the
      planner's steps.
    - ``max_plan_scenarios``: most sampled controls a plan (and its check in the engine) may
      ask for (422 beyond it); the flagship plan takes about 25 s for 50.
    - ``ensemble_seconds``: the time an ensemble (``POST /api/ensembles``) may take, checked
      every half second while its command runs; one stopped keeps its finished batches and
      resumes when submitted again.
    - ``max_ensemble_runs``: most runs an ensemble started through the API may ask for.
    - ``page_rows``: most rows one time series or flows page returns (Parquet for all).
    - ``series_at_once``: pages and Parquet files built at the same time; more wait up to
      ``series_wait`` seconds, then answer 503. With ``page_rows`` this bounds the memory
      that series requests take (a full page is about 100 MB while it is built).
    - ``retry_after``: seconds told to clients in ``Retry-After`` with a 429 or 503.
    - ``token``: when set, every route wants ``Authorization: Bearer <token>`` (or the
      cookie the dashboard gets from ``?token=``); default ``get_option("token")``.
    - ``allowed_hosts``: Host header values served (400 otherwise); ``*`` allows any.
    - ``cors_origins``: origins allowed to call the API from a browser (none by default).
    """

    max_body_bytes: int = 1_000_000
    max_shocks: int = 200
    max_values: int = 4000
    max_months: int = 240
    max_queued: int = 8
    job_seconds: float = 300.0
    max_plan_scenarios: int = 200
    ensemble_seconds: float = 3600.0
    max_ensemble_runs: int = 20_000
    page_rows: int = 100_000
    series_at_once: int = 2
    series_wait: float = 30.0
    retry_after: int = 5
    token: str | None = field(default_factory=_token, repr=False)
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    cors_origins: tuple[str, ...] = ()

    def seconds(self, kind: str) -> float:
        """The time a job of ``kind`` may take: ``ensemble_seconds`` for an ensemble, else
        ``job_seconds``."""
        return self.ensemble_seconds if kind == "ensemble" else self.job_seconds

    def limits(self) -> dict[str, Any]:
        """What clients may know (the route /api/limits): every bound, never the token."""
        return {
            "max_body_bytes": self.max_body_bytes,
            "max_shocks": self.max_shocks,
            "max_values": self.max_values,
            "max_months": self.max_months,
            "max_queued": self.max_queued,
            "job_seconds": self.job_seconds,
            "max_plan_scenarios": self.max_plan_scenarios,
            "ensemble_seconds": self.ensemble_seconds,
            "max_ensemble_runs": self.max_ensemble_runs,
            "page_rows": self.page_rows,
            "series_at_once": self.series_at_once,
            "retry_after": self.retry_after,
            "token_required": self.token is not None,
        }
