"""Headless Debian Chromium (Playwright) for the page tests, recording every request.

``open_page`` yields a page in a fresh profile, with the requests it made to any host other
than the server under test collected in ``page.foreign`` and script errors in
``page.script_errors``; the page tests assert both are empty. A server restarted on another
port is added to ``page.allowed``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from oreshock.core.options import get_option
from oreshock.report.builder import CHROMIUM_FLAGS

CHROMIUM = Path(get_option("chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian chromium at /usr/bin/chromium (run scripts/install-system-deps.sh)",
)


@contextmanager
def open_page(server: str, profile: Path, locale: str = "en-US") -> Iterator[Any]:
    """A Chromium page for ``server``; requests elsewhere are recorded, then refused."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    allowed = {urlsplit(server).netloc}
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=list(CHROMIUM_FLAGS),
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale=locale,
        )
        foreign: list[str] = []
        errors: list[str] = []

        def route(r: Any) -> None:
            if urlsplit(r.request.url).netloc in allowed or r.request.url.startswith("data:"):
                r.continue_()
            else:
                foreign.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(30_000)
        page.foreign = foreign
        page.script_errors = errors
        page.allowed = allowed  # a test that restarts the server adds its new address
        try:
            yield page
        finally:
            context.close()
