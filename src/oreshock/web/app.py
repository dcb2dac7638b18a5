"""HTTP API and dashboard host (FastAPI): a thin layer over the Python API.

``create_app`` wires the parts together and holds no logic of its own: the service
(``oreshock.web.service``) owns the dataset, the results database and the run queue; the
routers (``oreshock.web.routes``) answer requests; the middlewares (``oreshock.web.security``)
check the Host header, the token and the body size; the handlers here turn the package's
errors into status codes. No route takes a filesystem path: scenarios are shipped names or
inline objects, and error messages name no server file, process id or line of code.

Status codes: bad input is 4xx (422, 404, 409, 413, 429), never 5xx. A database another
process holds answers 503 with ``Retry-After``. Anything unexpected answers 500 with a
generic message and an error id; the traceback goes to the server's log under that id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.version import __version__
from oreshock.ensemble.runner import DamagedBatchError
from oreshock.store.integrity import DamagedRunError, DamagedStoreError
from oreshock.store.plans import DamagedPlanError
from oreshock.web.db import BUSY, ServerBusy, is_busy
from oreshock.web.jobs import NotFinished, NothingToCancel, QueueFull
from oreshock.web.routes import (
    dashboard,
    data,
    docs,
    ensembles,
    jobs,
    metrics,
    plans,
    reports,
    runs,
    scenarios,
)
from oreshock.web.security import BodyLimit, HostCheck, TokenCheck
from oreshock.web.service import Service
from oreshock.web.settings import Settings

log = logging.getLogger("oreshock.web")

ROUTERS = (
    data.router,
    scenarios.router,
    runs.router,
    plans.router,
    ensembles.router,
    jobs.router,
    reports.router,
    metrics.router,
    dashboard.router,
    docs.router,
)
STATUS: dict[type[Exception], int] = {
    DamagedStoreError: 500,
    DamagedRunError: 500,
    DamagedPlanError: 500,
    DamagedBatchError: 500,
    UnknownIdError: 404,
    NotFinished: 409,
    NothingToCancel: 409,
    OreshockError: 422,
    QueueFull: 429,
    ServerBusy: 503,
}
"""Status code per error the service raises; the most specific class of an error wins. A
damaged database, run, plan or ensemble batch file is the server's trouble, not the request's: 500, with the store's
message (which names no file here)."""
RETRY = (429, 503)
"""Statuses that tell the client when to try again (``Retry-After``)."""


def error_handler(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """A handler that answers ``{"detail": message}`` with ``status`` (503 when the error is
    a busy database, whatever its class)."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        service: Service = request.app.state.service
        code, detail = (503, BUSY) if is_busy(exc) else (status, service.hide(str(exc)))
        headers = {"Retry-After": str(service.settings.retry_after)} if code in RETRY else None
        return JSONResponse({"detail": detail}, status_code=code, headers=headers)

    return handle


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    """500 with an error id for the log; the client learns nothing of the server's insides."""
    error_id = uuid.uuid4().hex[:8]
    log.error(
        "unexpected error %s on %s %s",
        error_id,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return JSONResponse(
        {"detail": f"internal error (id {error_id}); the server's log has the details"},
        status_code=500,
    )


async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
    """422 with one readable ``detail`` line, and the field errors for programs."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = []
    for err in errors:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        parts.append(f"{loc}: {err.get('msg')}")
    return JSONResponse(
        {
            "detail": "invalid request: " + "; ".join(parts),
            "errors": [
                {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg"))}
                for e in errors
            ],
        },
        status_code=422,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the run queue (it resumes what a previous server left); on stop, stop the
    running job and leave queued ones in the store for the next start."""
    app.state.service.jobs.start()
    yield
    app.state.service.jobs.shutdown()


def secure(app: FastAPI, settings: Settings) -> None:
    """The middlewares, innermost first: body size, token, CORS (so a browser's preflight
    is answered without a token), Host header (outermost: a wrong host learns nothing)."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.token:
        app.add_middleware(TokenCheck, token=settings.token)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Total-Count", "Link", "Retry-After"],
        )
    app.add_middleware(HostCheck, allowed=settings.allowed_hosts)


def create_app(
    db_path: str | Path | None = None,
    data_path: str | Path | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """The API and dashboard over one results database and dataset (bundled by default)."""
    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # served by routes.docs from this server's own files
        redoc_url=None,
        title="oreshock",
        version=__version__,
        description="Stress tests for critical-mineral supply chains: datasets, metrics, "
        "scenarios, runs and reports (Japanese and English).",
    )
    app.state.service = Service(db_path, data_path, settings)
    for error, status in STATUS.items():
        app.add_exception_handler(error, error_handler(status))
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC), name="static")
    app.mount(docs.PREFIX, docs.assets(), name="docs-static")
    for router in ROUTERS:
        app.include_router(router)
    secure(app, app.state.service.settings)
    return app
