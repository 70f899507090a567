"""API v1 sign-in for mobile apps: requestCode, signIn, getMe, signOut."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from core.accounts import profile
from core.accounts.tables import SecurityEvent, User
from core.notifications.channels import DevInbox
from core.tenancy.scoped import tenant_transaction
from tests.accounts.conftest import STRANGER, WANG, WANG_E164, Rows

pytestmark = pytest.mark.db


@pytest.fixture
def api(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        yield client


@pytest.fixture
def wanjia_api(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://wanjia.localhost") as client:
        yield client


def sign_in(
    api: TestClient, inbox: DevInbox, phone: str = WANG, slug: str = "jiejia", **extra
) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert api.post("/api/v1/auth/codes", json={"phone": phone, "consent": True}).status_code == 202
    code = inbox.code_for(slug, "+86" + phone)
    issued = api.post("/api/v1/auth/tokens", json={"phone": phone, "code": code, **extra})
    assert issued.status_code == 201, issued.text
    return issued.json()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_request_code_answers_the_same_for_known_and_unknown_numbers(
    rows: Rows, api: TestClient, inbox: DevInbox
) -> None:
    await profile.ensure_customer(rows.jiejia, WANG, "王小明")

    known = api.post("/api/v1/auth/codes", json={"phone": WANG, "consent": True})
    unknown = api.post("/api/v1/auth/codes", json={"phone": STRANGER, "consent": True})

    assert known.status_code == unknown.status_code == 202
    assert (
        known.json()
        == unknown.json()
        == {
            "sent": True,
            "expiresInSeconds": 600,
            "resendAfterSeconds": 60,
        }
    )
    assert inbox.code_for("jiejia", WANG_E164)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345", "consent": True}, "phone"),
        ({"phone": "021 6234 5678", "consent": True}, "phone"),
        ({"consent": True}, "phone"),
        ({"phone": WANG}, "consent"),
    ],
    ids=["short", "landline", "missing", "no-consent"],
)
async def test_bad_input_is_400_naming_the_field(
    rows: Rows,
    api: TestClient,
    body: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    answer = api.post("/api/v1/auth/codes", json=body)

    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert answer.json()["detail"].startswith(f"{field}: ")


async def test_too_many_codes_is_429_with_retry_after(
    rows: Rows, api: TestClient, inbox: DevInbox
) -> None:
    api.post("/api/v1/auth/codes", json={"phone": WANG, "consent": True})

    again = api.post("/api/v1/auth/codes", json={"phone": WANG, "consent": True})

    assert again.status_code == 429
    assert again.json()["field"] == "phone"
    assert 55 <= int(again.headers["retry-after"]) <= 60


async def test_sign_in_gives_a_token_and_get_me_shows_masked_values(
    rows: Rows, api: TestClient, inbox: DevInbox
) -> None:
    issued = sign_in(api, inbox, label="Mate 60")

    assert issued["tokenType"] == "bearer" and issued["token"].startswith("dst_")
    assert issued["user"]["phone"] == "138****1234"
    await profile.update_name(issued["user"]["id"], rows.jiejia, "王小明")
    me = api.get("/api/v1/me", headers=bearer(issued["token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": issued["user"]["id"],
        "tenant": "jiejia",
        "kind": "customer",
        "roles": [],
        "phone": "138****1234",
        "email": "",
        "name": "王**",
    }
    assert WANG not in me.text and "王小明" not in me.text


async def test_a_wrong_code_is_400_on_code(rows: Rows, api: TestClient, inbox: DevInbox) -> None:
    api.post("/api/v1/auth/codes", json={"phone": WANG, "consent": True})
    code = inbox.code_for("jiejia", WANG_E164)
    assert code

    answer = api.post(
        "/api/v1/auth/tokens", json={"phone": WANG, "code": f"{(int(code) + 1) % 1_000_000:06d}"}
    )

    assert answer.status_code == 400 and answer.json()["field"] == "code"


async def test_sign_out_revokes_the_token(rows: Rows, api: TestClient, inbox: DevInbox) -> None:
    token = sign_in(api, inbox)["token"]

    assert api.delete("/api/v1/auth/tokens/current", headers=bearer(token)).status_code == 204

    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401


async def test_no_token_is_401(rows: Rows, api: TestClient) -> None:
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/me", headers=bearer("dst_made-up")).status_code == 401
    assert api.delete("/api/v1/auth/tokens/current").status_code == 401


async def test_another_tenants_token_is_refused_and_logged(
    rows: Rows, api: TestClient, wanjia_api: TestClient, inbox: DevInbox
) -> None:
    token = sign_in(api, inbox)["token"]

    answer = wanjia_api.get("/api/v1/me", headers=bearer(token))

    assert answer.status_code == 401
    async with tenant_transaction(rows.wanjia):
        events = await SecurityEvent.select(SecurityEvent.kind).where(
            SecurityEvent.tenant == rows.wanjia
        )
    assert {"kind": "foreign_token"} in events
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200, "still fine at home"


async def test_a_browser_session_does_not_work_on_the_api(
    rows: Rows, api: TestClient, inbox: DevInbox
) -> None:
    from tests.accounts.conftest import Visitor

    visitor = Visitor(api)
    visitor.sign_in(WANG, inbox)
    assert visitor.session

    assert api.get("/api/v1/me").status_code == 401


async def test_a_role_or_tenant_smuggled_into_sign_in_changes_nothing(
    rows: Rows, api: TestClient, inbox: DevInbox
) -> None:
    issued = sign_in(
        api, inbox, roles=["admin"], kind="staff", tenant="wanjia", tenantId=rows.wanjia
    )

    assert issued["user"]["kind"] == "customer" and issued["user"]["roles"] == []
    assert issued["user"]["tenant"] == "jiejia"
    async with tenant_transaction(rows.jiejia):
        user = await User.select(User.tenant, User.roles, User.kind).first()
    assert user is not None and str(user["tenant"]) == rows.jiejia
    assert (user["kind"], user["roles"]) == ("customer", "")


def test_the_operations_have_stable_camel_case_ids(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        schema = client.get("/schema/openapi.json").json()
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"requestCode", "signIn", "signOut", "getMe"} <= ids
    assert (
        "/api/v1/auth/codes" in schema["paths"] and "/api/v1/auth/tokens/current" in schema["paths"]
    )
