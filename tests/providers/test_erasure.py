"""A provider deletes their account: the profile, identity record, certificate and filing
numbers, photos and certificate images are erased; the records of past visits stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.booking.tables import Booking
from core.privacy import service as privacy
from core.providers.storage import sweep_orphans
from core.providers.tables import ProviderMedia, ProviderProfile
from core.verification.tables import Certificate, IdentityCheck, IdentityRecord
from tests.providers.conftest import Browser, booking_for, make_provider, within

pytestmark = pytest.mark.db
MOBILE = "13900007777"


async def test_deleting_a_providers_account_erases_what_the_kit_knew_of_them(
    rows, store, plugins, jiejia, phone: Browser, inbox
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, phone=MOBILE)
    past = await booking_for(rows.jiejia, made.profile_id, status="closed")
    files = [m["storage_key"] for m in await within(rows.jiejia, ProviderMedia.select())]
    assert files and all(store.path(rows.jiejia, key).is_file() for key in files)
    phone.sign_in(MOBILE, inbox)

    done = phone.post("/account/delete", "/account/delete", {"confirm": "yes"})

    assert done.status_code == 200 and "账户已注销" in done.text
    (profile,) = await within(rows.jiejia, ProviderProfile.select())
    assert (profile["name_enc"], profile["bio"]) == (None, "")
    assert (profile["status"], profile["status_reason"]) == ("suspended", "account deleted")
    assert await within(rows.jiejia, IdentityRecord.count()) == 0
    assert await within(rows.jiejia, ProviderMedia.count()) == 0
    for cert in await within(rows.jiejia, Certificate.select()):
        clear = privacy.unseal(
            cert["number_enc"], field="certificate.number", tenant_id=rows.jiejia
        )
        assert (clear, cert["image"]) == ("", None)
    # what passed and when stays, as do the visits made
    assert await within(rows.jiejia, IdentityCheck.count()) > 0
    (visit,) = await within(rows.jiejia, Booking.select().where(Booking.id == past))
    assert str(visit["provider"]) == made.profile_id and visit["total_fen"] == 30000
    # the files go with the rows (at once, or with the next sweep inside a request's transaction)
    await sweep_orphans(store, rows.jiejia, datetime.now(UTC) + timedelta(hours=2))
    assert not any(store.path(rows.jiejia, key).exists() for key in files)
    assert phone.get(f"/providers/{made.profile_id}").status_code == 404


async def test_a_provider_with_a_job_still_open_cannot_delete_the_account(
    rows, store, plugins, jiejia, phone: Browser, inbox
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, phone=MOBILE)
    await booking_for(rows.jiejia, made.profile_id, status="en_route")
    phone.sign_in(MOBILE, inbox)

    refused = phone.post("/account/delete", "/account/delete", {"confirm": "yes"})

    assert refused.status_code == 409 and "您还有未完成的订单" in refused.text
    (profile,) = await within(rows.jiejia, ProviderProfile.select())
    assert profile["status"] == "active" and profile["name_enc"] is not None
    assert await within(rows.jiejia, IdentityRecord.count()) == 1
