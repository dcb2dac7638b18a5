"""The API's interactive documentation (Swagger UI at ``/docs``), served from this server.

FastAPI's own ``/docs`` page loads Swagger UI's script, style and icon from a public CDN, so
on a machine without internet (or behind a strict proxy) it shows a blank page. Here the
page's files are Swagger UI's release files shipped in the package (``web/swagger_ui/``,
Apache-2.0; version 5, which reads the OpenAPI 3.1 that FastAPI writes) mounted under
``/docs-static``, and the online spec validator is switched off, so opening
``/docs`` asks nothing of any other host. ReDoc is switched off (its script exists only on a
CDN). With a token set, these files want it like every other route (``web.security``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(resources.files("oreshock.web").joinpath("swagger_ui")))
"""Swagger UI's files, shipped inside the package."""
PREFIX = "/docs-static"
"""Where those files are served."""

router = APIRouter(include_in_schema=False)


def assets() -> StaticFiles:
    """The mount that serves Swagger UI's script, style and icons (``app.mount(PREFIX, ...)``)."""
    return StaticFiles(directory=ASSETS)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, every file from this server; no validator badge
    (it would send the spec's address to an online validator)."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="oreshock API",
        swagger_js_url=f"{root}{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{root}{PREFIX}/favicon-32x32.png",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 helper page (inline script only)."""
    return get_swagger_ui_oauth2_redirect_html()
