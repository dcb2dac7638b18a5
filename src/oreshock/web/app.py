"""HTTP API and dashboard host (FastAPI): a thin layer over the Python API.

``create_app`` wires the parts together and holds no logic of its own: the service
(``oreshock.web.service``) owns the dataset, the results database and the run queue; the
routers (``oreshock.web.routes``) answer requests; the handlers here turn the package's
errors into status codes. No route takes a filesystem path: scenarios are shipped names or
inline objects, and error messages name no server file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.version import __version__
from oreshock.web.jobs import NotFinished, QueueFull
from oreshock.web.routes import dashboard, data, metrics, reports, runs, scenarios
from oreshock.web.service import Service

ROUTERS = (
    data.router,
    scenarios.router,
    runs.router,
    reports.router,
    metrics.router,
    dashboard.router,
)
STATUS: dict[type[Exception], int] = {
    UnknownIdError: 404,
    NotFinished: 409,
    OreshockError: 422,
    QueueFull: 429,
}
"""Status code per error the service raises; the most specific class of an error wins."""


def hide_paths(message: str, db_path: Path) -> str:
    """Error messages name no server file: the database and package folders are elided."""
    package = str(Path(str(resources.files("oreshock"))))
    return message.replace(str(db_path), "the results database").replace(package + "/", "")


def error_handler(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """A handler that answers ``{"detail": message}`` with ``status``."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        detail = hide_paths(str(exc), request.app.state.service.db_path)
        return JSONResponse({"detail": detail}, status_code=status)

    return handle


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
    """Drop queued runs when the server stops, so shutdown does not wait for them."""
    yield
    app.state.service.jobs.shutdown()


def create_app(db_path: str | Path | None = None, data_path: str | Path | None = None) -> FastAPI:
    """The API and dashboard over one results database and dataset (bundled by default)."""
    app = FastAPI(
        lifespan=lifespan,
        title="oreshock",
        version=__version__,
        description="Stress tests for critical-mineral supply chains: datasets, metrics, "
        "scenarios, runs and reports (Japanese and English).",
    )
    app.state.service = Service(db_path, data_path)
    for error, status in STATUS.items():
        app.add_exception_handler(error, error_handler(status))
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
