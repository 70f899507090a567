"""Browser tests: the real app served by uvicorn, driven by the system Chromium.

Playwright's async API is used on purpose: the suite runs pytest-asyncio with one session
event loop, and the sync API would leave its own loop marked as running in the main thread
for the rest of the session, which breaks every async test that runs after it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
STARTUP_TIMEOUT_S = 10.0
FAVICON = "/favicon.ico"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Chromium resolves *.localhost to loopback by itself; this makes sure of it.
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (before ``-m`` deselects anything)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class LiveServer:
    port: int

    def url(self, slug: str, path: str = "/") -> str:
        """The address of a tenant's page, e.g. ``http://jiejia.localhost:8123/``."""
        return f"http://{slug}.localhost:{self.port}{path}"


def _wait_for_health(server, port: int, thread: threading.Thread) -> None:  # type: ignore[no-untyped-def]
    """Poll /health until it answers at all (any HTTP status), for at most 10 s."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the test server stopped while starting; see the log above")
        if server.started:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered (e.g. 503 degraded): the server is up
            except OSError as exc:
                last_error = exc
        time.sleep(0.05)  # polling interval of a bounded wait, not a fixed sleep
    raise RuntimeError(f"the test server did not answer /health within 10 s: {last_error}")


@pytest.fixture(scope="session")
def live_server(app, migrated) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app on 127.0.0.1 and a free port, served by uvicorn in a background thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True
    )
    thread.start()
    try:
        _wait_for_health(server, port, thread)
        yield LiveServer(port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator:  # type: ignore[type-arg]
    """The system Chromium, headless. Skipped where it is not installed (fails on CI)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    try:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
    finally:
        await playwright.stop()


@dataclass
class Problems:
    """What went wrong in the watched pages: console errors, failed or 4xx/5xx requests."""

    found: list[str] = field(default_factory=list)

    def watch(self, page) -> None:  # type: ignore[no-untyped-def]
        def on_console(msg) -> None:  # type: ignore[no-untyped-def]
            # Chromium asks for /favicon.ico on its own; no page links it (yet).
            if msg.type == "error" and not msg.location.get("url", "").endswith(FAVICON):
                self.found.append(f"console error on {page.url}: {msg.text}")

        def on_response(response) -> None:  # type: ignore[no-untyped-def]
            if response.status >= 400 and not response.url.endswith(FAVICON):
                self.found.append(f"HTTP {response.status} for {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda exc: self.found.append(f"script error on {page.url}: {exc}"))
        page.on("requestfailed", self._on_request_failed)

    def _on_request_failed(self, request: Any) -> None:
        # A request still under way when the page navigates (a live price quote, a status poll,
        # an image not yet loaded) is aborted by the browser itself: the person sees nothing
        # wrong. A server error still shows (the response handler above) and so does any other
        # network failure.
        if "ERR_ABORTED" in (request.failure or ""):
            return
        self.found.append(f"request failed: {request.url} {request.failure}")


@pytest.fixture
async def phone(browser, live_server) -> AsyncIterator:  # type: ignore[no-untyped-def]
    """A fresh phone-sized browser context (390x844, touch, zh-CN)."""
    context = await browser.new_context(**PHONE)
    try:
        yield context
    finally:
        await context.close()
