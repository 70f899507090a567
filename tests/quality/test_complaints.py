"""Complaints: filed with photos, one per booking, answered against the category's deadlines,
resolved with a free re-service and a partial refund, accepted or reopened by the customer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.booking.service import Actor
from core.booking.states import CUSTOMER
from core.booking.tables import Booking
from core.providers.media import Upload
from core.quality import outcomes, service, thread
from core.quality.outcomes import Resolution
from core.quality.rules import QualityError
from core.quality.tables import Complaint, ComplaintEvidence, PenaltyEvent
from core.tenancy.schema import ComplaintDeadline
from tests.factories import TOMORROW, at
from tests.quality.world import DONE_AT, STAFF_ACTOR, Served, photo, with_quality

pytestmark = pytest.mark.db
LATER = DONE_AT + timedelta(hours=1)


def store(settings):  # type: ignore[no-untyped-def]
    return service.evidence_store(settings.var_dir)


async def complain(served: Served, settings, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("category", "quality")
    kwargs.setdefault("description", "来晚了一个小时，厨房也没有擦干净")
    kwargs.setdefault("now", LATER)
    return await service.create_complaint(
        served.world.tenant,
        served.world.tenant_id,
        store(settings),
        served.booking,
        served.as_customer,
        **kwargs,
    )


async def test_a_customer_complains_with_a_photo_and_the_clocks_follow_the_category(
    served: Served, settings
) -> None:
    cid = await complain(served, settings, photos=[photo()])

    view = await service.get_complaint(
        served.world.tenant, served.world.tenant_id, cid, served.as_customer, now=LATER
    )
    assert view.status == "open"
    assert view.first_response_due == LATER + timedelta(hours=4)
    assert view.resolution_due == LATER + timedelta(hours=72)
    assert len(view.evidence) == 1
    key = view.evidence[0]["storage_key"]
    assert (Path(settings.var_dir) / "evidence" / served.world.tenant_id / key).is_file()
    messages = await thread.thread_of(served.world.tenant_id, served.booking, served.as_provider)
    assert [m.body for m in messages] == ["来晚了一个小时，厨房也没有擦干净"]


async def test_a_category_block_in_the_tenant_yaml_sets_its_own_deadlines(
    served: Served, settings
) -> None:
    with_quality(
        served.world,
        deadlines={"safety": ComplaintDeadline(first_response_hours=1, resolution_hours=24)},
    )
    cid = await complain(served, settings, category="safety")

    (row,) = await served.world.rows(Complaint, id=cid)
    assert row["first_response_due"] == LATER + timedelta(hours=1)
    assert row["resolution_due"] == LATER + timedelta(hours=24)


async def test_a_second_complaint_on_the_booking_is_refused_and_changes_nothing(
    served: Served, settings
) -> None:
    await complain(served, settings)

    with pytest.raises(QualityError) as refused:
        await complain(served, settings, photos=[photo()], category="damage")

    assert refused.value.status_code == 409
    assert "reopen" in refused.value.reason
    assert len(await served.world.rows(Complaint)) == 1
    assert await served.world.rows(ComplaintEvidence) == []


async def test_a_complaint_on_someone_elses_booking_finds_nothing(served: Served, settings) -> None:
    stranger = Actor(CUSTOMER, await served.world.customer())

    with pytest.raises(LookupError):
        await service.create_complaint(
            served.world.tenant,
            served.world.tenant_id,
            store(settings),
            served.booking,
            stranger,
            category="quality",
            description="not my booking at all",
            now=LATER,
        )
    assert await served.world.rows(Complaint) == []


async def test_a_file_that_is_not_a_picture_is_refused_by_name_and_nothing_is_kept(
    served: Served, settings
) -> None:
    before = sorted((Path(settings.var_dir) / "evidence").rglob("*"))
    page = Upload(b"<html><script>alert(1)</script></html>", "image/jpeg", "x.jpg")

    with pytest.raises(QualityError) as refused:
        await complain(served, settings, photos=[photo(), page])

    assert refused.value.field == "photos[1]"
    assert await served.world.rows(Complaint) == []
    assert sorted((Path(settings.var_dir) / "evidence").rglob("*")) == before


async def test_an_unknown_category_and_an_empty_description_name_their_fields(
    served: Served, settings
) -> None:
    with pytest.raises(QualityError) as bad_category:
        await complain(served, settings, category="vibes")
    with pytest.raises(QualityError) as empty:
        await complain(served, settings, description="  ")

    assert (bad_category.value.field, empty.value.field) == ("category", "description")


async def test_support_logs_a_hotline_call_and_a_customer_cannot_claim_the_hotline(
    served: Served, settings
) -> None:
    with pytest.raises(QualityError):
        await complain(served, settings, channel="hotline")

    cid = await service.create_complaint(
        served.world.tenant,
        served.world.tenant_id,
        store(settings),
        served.booking,
        STAFF_ACTOR,
        category="rudeness",
        description="客户来电：师傅态度很差",
        channel="hotline",
        now=LATER,
    )
    (row,) = await served.world.rows(Complaint, id=cid)
    assert (row["channel"], str(row["logged_by"])) == ("hotline", STAFF_ACTOR.user_id)


async def test_the_thread_masks_phone_numbers_and_keeps_staff_notes_from_the_parties(
    served: Served, settings
) -> None:
    cid = await complain(served, settings)
    tid = served.world.tenant_id
    await thread.post_message(
        tid, served.booking, served.as_provider, "加我电话 13812345678 私下说", now=LATER
    )
    await service.respond(tid, cid, STAFF_ACTOR, "provider was late twice", kind="note", now=LATER)

    for viewer in (served.as_customer, served.as_provider):
        bodies = [m.body for m in await thread.thread_of(tid, served.booking, viewer)]
        assert "加我电话 138****5678 私下说" in bodies
        assert "provider was late twice" not in bodies
    staff = [m.body for m in await thread.thread_of(tid, served.booking, STAFF_ACTOR)]
    assert "provider was late twice" in staff
    assert not any("13812345678" in body for body in staff)


async def test_the_first_reply_stops_the_first_response_clock(served: Served, settings) -> None:
    cid = await complain(served, settings)
    tid = served.world.tenant_id
    await service.respond(
        tid, cid, served.as_provider, "我 10:40 才到，路上堵车", kind="statement", now=LATER
    )
    await service.respond(tid, cid, STAFF_ACTOR, "我们正在核实", now=LATER + timedelta(hours=1))

    (row,) = await served.world.rows(Complaint, id=cid)
    assert row["status"] == "investigating"
    assert row["first_response_at"] == LATER + timedelta(hours=1)
    with pytest.raises(QualityError):
        await service.respond(tid, cid, served.as_customer, "note?", kind="note", now=LATER)


async def test_support_grants_a_free_re_service_and_a_partial_refund(
    served: Served, settings
) -> None:
    world = served.world
    cid = await complain(served, settings)
    paid = (await world.booking(served.booking))["total_fen"]
    again = at(TOMORROW + timedelta(days=2), "09:00")

    view = await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(
            reply="很抱歉，我们为您安排免费返工并退还部分费用",
            upheld=True,
            reservice_at=again,
            refund_fen=paid // 4,
            penalty=True,
        ),
        now=LATER + timedelta(hours=2),
    )

    assert view.status == "resolved"
    assert set(view.outcomes) == {"explanation", "reservice", "refund", "penalty"}
    assert view.refund_fen == paid // 4
    assert view.money_status in {"done", "awaiting_payments"}
    reservice = await world.booking(view.reservice_booking_id or "")
    assert (reservice["total_fen"], reservice["status"]) == (0, "offered")
    assert str(reservice["provider"]) == served.provider
    assert reservice["starts_at"] == again
    (event,) = await world.rows(PenaltyEvent, provider=served.provider)
    assert (event["kind"], event["points"]) == ("upheld_complaint", 3)


async def test_compensation_above_what_was_paid_is_refused_and_nothing_changes(
    served: Served, settings
) -> None:
    world = served.world
    cid = await complain(served, settings)
    paid = (await world.booking(served.booking))["total_fen"]
    before = await world.rows(Complaint, id=cid)
    bookings = len(await world.rows(Booking))

    with pytest.raises(QualityError) as refused:
        await outcomes.resolve(
            world.plugins,
            world.tenant,
            world.tenant_id,
            world.catalog,
            cid,
            STAFF_ACTOR.user_id or "",
            Resolution(
                reply="退款",
                upheld=True,
                reservice_at=DONE_AT + timedelta(days=2),
                refund_fen=paid,
                compensation_fen=1,
            ),
            now=LATER,
        )

    assert refused.value.field == "refund_fen"
    assert await world.rows(Complaint, id=cid) == before
    assert len(await world.rows(Booking)) == bookings


async def test_the_customer_accepts_or_reopens_within_the_tenants_days(
    served: Served, settings
) -> None:
    world = served.world
    cid = await complain(served, settings)

    async def resolve(at):  # type: ignore[no-untyped-def]
        await outcomes.resolve(
            world.plugins,
            world.tenant,
            world.tenant_id,
            world.catalog,
            cid,
            STAFF_ACTOR.user_id or "",
            Resolution(reply="是误会：厨房不在服务范围内", upheld=False),
            now=at,
        )

    await resolve(LATER)
    await outcomes.reopen(
        world.tenant,
        world.tenant_id,
        cid,
        served.customer,
        "厨房在清单里",
        now=LATER + timedelta(days=1),
    )
    (row,) = await world.rows(Complaint, id=cid)
    assert (row["status"], row["reopened"]) == ("investigating", 1)

    await resolve(LATER + timedelta(days=2))
    await outcomes.accept(
        world.tenant, world.tenant_id, cid, served.customer, now=LATER + timedelta(days=3)
    )
    (row,) = await world.rows(Complaint, id=cid)
    assert row["status"] == "closed"

    with pytest.raises(QualityError) as late:
        await outcomes.reopen(
            world.tenant,
            world.tenant_id,
            cid,
            served.customer,
            "again",
            now=LATER + timedelta(days=30),
        )
    assert "passed" in late.value.reason


async def test_compensation_comes_from_the_providers_deposit_in_the_ledger_once(
    served: Served, settings
) -> None:
    from core.ledger.balances import provider_balances
    from core.ledger.provider_postings import record_deposit

    world = served.world
    await record_deposit(
        world.tenant,
        world.tenant_id,
        provider_id=served.provider,
        amount_fen=50000,
        method="cash",
        at=LATER,
        event_key="deposit:test",
    )
    cid = await complain(served, settings, category="damage")

    view = await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(reply="花瓶由服务者赔偿", upheld=True, compensation_fen=8000),
        now=LATER,
    )
    again = await outcomes.pay_remedies(world.tenant, world.tenant_id, cid, LATER)

    assert (view.money_status, again) == ("done", "done")
    balances = await provider_balances(world.tenant_id, served.provider)
    assert balances.deposit == 42000

    # Reopened and granted 20 yuan more: only those 20 yuan leave the deposit.
    await outcomes.reopen(
        world.tenant, world.tenant_id, cid, served.customer, "还有划痕", now=LATER
    )
    await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(reply="再赔偿 20 元", upheld=True, compensation_fen=2000),
        now=LATER,
    )
    await outcomes.pay_remedies(world.tenant, world.tenant_id, cid, LATER)
    balances = await provider_balances(world.tenant_id, served.provider)
    assert balances.deposit == 40000
