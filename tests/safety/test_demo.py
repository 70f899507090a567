"""The demo's safety path: a provider on the way to a job today, with a customer, both with an
emergency contact (sealed); an SOS on that job reaches the safety officer and the contact.
Seeding twice adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.accounts.profile import ensure_customer
from core.booking.tables import Booking
from core.privacy import service as privacy
from core.providers.onboarding import profile_of_user
from core.safety import sos
from core.safety.tables import Alert, EmergencyContact
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db


async def test_the_demo_has_a_job_under_way_with_emergency_contacts_and_its_sos_alerts(
    db, tenants, plugins, settings
) -> None:  # type: ignore[no-untyped-def]
    from core.demo import seed_demo

    first = await seed_demo(tenants, plugins, settings)
    second = await seed_demo(tenants, plugins, settings)

    assert "2 jobs under way and 4 emergency contacts added" in first
    assert "0 jobs under way and 0 emergency contacts added" in second
    tid = str(await tenant_row_id("jiejia"))
    async with tenant_transaction(tid):
        provider_user = await ensure_customer(tid, "13761520318")  # 张秀兰
        customer = await ensure_customer(tid, "13812341234")  # 王小明
        profile = await profile_of_user(provider_user, tid)
        assert profile is not None
        (job,) = await scoped(Booking, tid).select().where(Booking.status == "en_route")
        found = await scoped(EmergencyContact, tid).select()
    now = datetime.now(UTC)
    assert str(job["provider"]) == str(profile["id"]) and str(job["customer"]) == customer
    assert now - timedelta(hours=1) < job["starts_at"] < now + timedelta(hours=1)
    contacts = {
        str(c["user"]): (
            privacy.unseal(c["name_enc"], field="safety.contact_name", tenant_id=tid),
            privacy.unseal(c["phone_enc"], field="safety.contact_phone", tenant_id=tid),
        )
        for c in found
    }
    assert contacts == {
        provider_user: ("张建国", "+8613524187706"),
        customer: ("王秀英", "+8613671902258"),
    }
    assert all("张建国" not in c["name_enc"] for c in found)

    async with tenant_transaction(tid):
        incident = await sos.raise_sos(
            plugins,
            tenants.get("jiejia"),
            tid,
            sos.Raiser(provider_user, "provider", str(profile["id"])),
            booking_id=str(job["id"]),
        )
    async with all_tenants():
        alerts = await scoped(Alert, tid).select().where(Alert.incident == incident)
    sent = {(a["recipient_kind"], a["status"], a["channel"]) for a in alerts}
    assert sent == {("staff", "sent", "console"), ("contact", "sent", "console")}
