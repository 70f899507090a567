"""Accounts test helpers: the demo tenants' rows, a code inbox, forms with their CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from core.notifications.channels import DEV_INBOX, DevInbox
from core.tenancy.model import Tenant

JIEJIA_HOST = "jiejia.localhost"
WANJIA_HOST = "wanjia.localhost"
WANG = "13812341234"
"""A customer's number, as typed; masked it reads 138****1234."""
WANG_E164 = "+8613812341234"
STRANGER = "13916285730"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def jiejia(tenants) -> Tenant:  # type: ignore[no-untyped-def]
    found = tenants.get("jiejia")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def wanjia(tenants) -> Tenant:  # type: ignore[no-untyped-def]
    found = tenants.get("wanjia")
    assert found is not None
    return found


@dataclass(frozen=True)
class Rows:
    jiejia: str
    wanjia: str


@pytest.fixture
async def rows(db, tenants, settings) -> Rows:  # type: ignore[no-untyped-def]
    """An empty database with the demo tenants' rows; their ids. Personal-data keys loaded."""
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)

    await sync_tenant_rows(tenants)
    jiejia_id, wanjia_id = await tenant_row_id("jiejia"), await tenant_row_id("wanjia")
    assert jiejia_id and wanjia_id
    return Rows(jiejia=jiejia_id, wanjia=wanjia_id)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[DevInbox]:
    """Demo mode for the test: the console channel keeps the codes it sends."""
    monkeypatch.setenv("DOORSTEP_DEMO", "1")
    DEV_INBOX.clear()
    yield DEV_INBOX
    DEV_INBOX.clear()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Visitor:
    """A browser on one tenant's host: reads pages, posts forms with the page's CSRF token."""

    def __init__(self, client: TestClient, slug: str = "jiejia") -> None:
        self.client = client
        self.slug = slug

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post_form(self, page: str, action: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """Open ``page``, then post ``data`` to ``action`` with that page's CSRF token."""
        token = csrf_of(self.client.get(page).text)
        return self.client.post(action, data={"_csrf_token": token, **data}, **kwargs)

    def request_code(self, phone: str, consent: bool = True) -> Any:
        data = {"phone": phone, **({"consent": "yes"} if consent else {})}
        return self.post_form("/signin", "/signin", data)

    def sign_in(self, phone: str, inbox: DevInbox, e164: str | None = None) -> Any:
        """The whole journey: ask for a code, read it from the inbox, enter it."""
        sent = self.request_code(phone)
        assert sent.status_code == 200, sent.text
        code = inbox.code_for(self.slug, e164 or "+86" + phone)
        assert code is not None
        return self.post_form(
            "/signin", "/signin/code", {"phone": phone, "code": code}, follow_redirects=False
        )

    @property
    def session(self) -> str | None:
        return self.client.cookies.get("doorstep_session")


@pytest.fixture
def visitor(app) -> Iterator[Visitor]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=f"http://{JIEJIA_HOST}") as client:
        yield Visitor(client)


@pytest.fixture
def another_visitor(app) -> Iterator[Visitor]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=f"http://{JIEJIA_HOST}") as client:
        yield Visitor(client)


@pytest.fixture
def wanjia_visitor(app) -> Iterator[Visitor]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=f"http://{WANJIA_HOST}") as client:
        yield Visitor(client, "wanjia")


async def seen_by(tenant_id: str, query: Any) -> Any:
    """Run ``query`` as ``tenant_id``: on PostgreSQL, row-level security shows only its rows."""
    from core.tenancy.scoped import tenant_transaction

    async with tenant_transaction(tenant_id):
        return await query
