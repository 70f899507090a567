"""API v1: submitVerification and getVerificationStatus for the signed-in provider (bearer
token), getProvider for anyone; camelCase operation ids in the schema."""

from __future__ import annotations

import time

import pytest

from core.verification.tables import IdentityRecord
from tests.providers.conftest import ID_NUMBER, Browser, within

pytestmark = pytest.mark.db
PHONE = "13900006666"


async def token_for(tenant_id: str) -> dict[str, str]:
    """A bearer token for the one account signed in so far (as the mobile app holds one)."""
    from core.accounts.signin import issue_token
    from core.accounts.tables import User

    user = await within(tenant_id, User.select(User.id).where(User.tenant == tenant_id).first())
    token = await issue_token(str(user["id"]), tenant_id, label="test phone")
    return {"authorization": f"Bearer {token}"}


def test_the_operations_are_in_the_schema(phone: Browser) -> None:
    schema = phone.get("/schema/openapi.json").json()
    operations = {
        op["operationId"]
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }

    assert {"getProvider", "submitVerification", "getVerificationStatus"} <= operations


async def test_a_provider_submits_identity_and_follows_the_vendor(
    phone: Browser, inbox, rows
) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")  # onboarding started on the phone's web page
    auth = await token_for(rows.jiejia)

    submitted = phone.client.post(
        "/api/v1/providers/me/verification",
        json={
            "idNumber": ID_NUMBER,
            "realName": "王秀兰",
            "address": "上海市徐汇区漕溪北路88号",
            "livenessToken": "vendor-sdk-token-123",
        },
        headers=auth,
    )

    assert submitted.status_code == 202, submitted.text
    checks = {c["key"]: c["status"] for c in submitted.json()["checks"]}
    assert checks["id_number"] == "passed" and checks["real_name"] == "pending"
    assert submitted.json()["waitingForVendor"] is True
    # The demo vendor answers about three seconds after submission: ask until it has.
    deadline = time.monotonic() + 10
    while True:
        status = phone.client.get("/api/v1/providers/me/verification", headers=auth).json()
        checks = {c["key"]: c["status"] for c in status["checks"]}
        if not status["waitingForVendor"] or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert checks["real_name"] == checks["face_match"] == "passed"
    assert status["providerStatus"] == "onboarding"


async def test_a_bad_id_number_names_the_field(phone: Browser, inbox, rows) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    auth = await token_for(rows.jiejia)

    answer = phone.client.post(
        "/api/v1/providers/me/verification",
        json={
            "idNumber": "110105194912310021",
            "realName": "王秀兰",
            "address": "上海",
            "livenessToken": "t",
        },
        headers=auth,
    )

    assert answer.status_code == 400
    assert answer.json()["field"] == "id_number"
    assert answer.json()["detail"].startswith("id_number: ")
    assert await within(rows.jiejia, IdentityRecord.count()) == 0


async def test_verification_needs_a_token_and_a_provider(phone: Browser, inbox, rows) -> None:
    assert phone.client.get("/api/v1/providers/me/verification").status_code == 401
    phone.sign_in(PHONE, inbox)  # a customer who never started onboarding
    auth = await token_for(rows.jiejia)

    assert phone.client.get("/api/v1/providers/me/verification", headers=auth).status_code == 404
