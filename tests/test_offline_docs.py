"""The API's documentation page works offline: ``/docs`` (Swagger UI) loads every file from
the server itself, so it renders on a machine with no internet, and asks no other host."""

from __future__ import annotations

import httpx

from tests.browser import ARTIFACTS, needs_chromium, open_page
from tests.test_web_faults import Server


def test_docs_files_are_served_by_the_server(tmp_path):
    """The page names only local script, style and icon files, and they are served; ReDoc
    (whose script exists only online) is off."""
    with Server(tmp_path / "runs.duckdb") as server:
        html = httpx.get(server.url + "/docs").text
        assert "cdn" not in html.lower() and "https://" not in html
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            assert f"/docs-static/{name}" in html
            answer = httpx.get(f"{server.url}/docs-static/{name}")
            assert answer.status_code == 200 and len(answer.content) > 500, name
        assert httpx.get(server.url + "/redoc").status_code == 404


@needs_chromium
def test_docs_render_the_operations_without_asking_another_host(tmp_path):
    """In headless Chromium, /docs shows the API's operations (runs, plans, ensembles) while
    every request to anything but the server is recorded: there must be none."""
    with Server(tmp_path / "runs.duckdb") as server, open_page(server.url, tmp_path / "p") as page:
        page.goto(server.url + "/docs")
        page.wait_for_selector(".opblock-summary-path")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert {"/api/runs", "/api/plans", "/api/ensembles"} <= set(paths), paths
        assert page.locator(".opblock-tag").count() >= 5
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
        assert page.foreign == []
        assert page.script_errors == []
