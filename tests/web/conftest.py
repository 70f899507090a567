"""Web test helpers: a client per host, raw requests, and apps serving an editable site copy."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import ROOT

JIEJIA = "jiejia.localhost"
WANJIA = "wanjia.localhost"
TENANT_WORDS = ("洁家", "Jiejia", "万家", "Wanjia", "jiejia", "wanjia")
"""Anything that would tell a stranger which tenants this install serves."""


@dataclass(frozen=True)
class SiteCopy:
    """A copy of the repository's tenants and themes that a test may change."""

    tenants_dir: Path
    themes_dir: Path

    def edit_tenant(self, slug: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.tenants_dir / f"{slug}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    def write(self, relative: str, text: str, *, under: str = "tenants") -> Path:
        """Write a file under the copied ``tenants`` or ``themes`` folder."""
        base = self.tenants_dir if under == "tenants" else self.themes_dir
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def site(tmp_path: Path) -> SiteCopy:
    copy = SiteCopy(tenants_dir=tmp_path / "tenants", themes_dir=tmp_path / "themes")
    shutil.copytree(ROOT / "tenants", copy.tenants_dir)
    shutil.copytree(ROOT / "themes", copy.themes_dir)
    return copy


@pytest.fixture
def build_app(settings, plugins) -> Callable[[SiteCopy], Litestar]:  # type: ignore[no-untyped-def]
    """Build an app serving a site copy (same database settings as the session's app)."""
    from core.web.app import create_app

    def build(copy: SiteCopy) -> Litestar:
        copied = dataclasses.replace(
            settings, tenants_dir=copy.tenants_dir, themes_dir=copy.themes_dir
        )
        return create_app(settings=copied, plugins=plugins)

    return build


@pytest.fixture
def client_for(app) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    """``client_for(host, app=None)``: a client whose requests (and cookies) go to ``host``."""
    with ExitStack() as stack:

        def open_client(host: str, on: Litestar | None = None) -> TestClient:
            client = TestClient(on or app, base_url=f"http://{host}")
            return stack.enter_context(client)

        yield open_client


async def raw_get(app: Litestar, host: str, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written: HTTP clients would resolve ``..`` before sending it,
    an attacker's raw socket does not, and the ASGI server passes it on unchanged."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body
