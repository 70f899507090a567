"""Quality messages through the relay: the customer hears that their complaint was received,
answered and resolved; the provider is asked for a statement, told of a penalty step and of
the appeal's decision; support staff are reminded before a complaint's deadline and, with the
admins, told when it was missed (by email, against a real SMTP server)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.accounts.passwords import create_staff
from core.accounts.tables import User
from core.db import write_transaction
from core.privacy import service as privacy
from core.quality import jobs, ladder, outcomes, service
from core.quality.outcomes import Resolution
from core.quality.tables import Complaint, Sanction
from core.tenancy.scoped import scoped, tenant_transaction
from tests.factories import TOMORROW, World, at, make_world
from tests.notifications.conftest import Town
from tests.notifications.test_email import Mailbox, email_settings, smtp  # noqa: F401
from tests.quality.world import DONE_AT, STAFF_ACTOR, Served, photo, serve

pytestmark = pytest.mark.db
FILED = DONE_AT + timedelta(hours=1)
DESCRIPTION = "阿姨迟到一小时，厨房也没擦干净，我的电话13912345678"
CUSTOMER_PHONE = "+8613900001111"
PROVIDER_PHONE = "+8613900002222"


@pytest.fixture
async def world(town: Town, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    return await make_world(plugins, tenants, settings, "jiejia")


async def reachable(world: World, user_id: str, phone: str, locale: str = "zh_CN") -> None:
    tid = world.tenant_id
    async with tenant_transaction(tid), write_transaction():
        await (
            scoped(User, tid)
            .update(
                {
                    User.phone_enc: privacy.seal(phone, field="user.phone", tenant_id=tid),
                    User.locale: locale,
                }
            )
            .where(User.id == user_id)
        )


async def served_and_reachable(world: World, *, customer_locale: str = "zh_CN") -> Served:
    served = await serve(world)
    await reachable(world, served.customer, CUSTOMER_PHONE, customer_locale)
    await reachable(world, served.provider_user, PROVIDER_PHONE)
    return served


async def complain(served: Served, settings: Any, category: str = "quality") -> str:
    world = served.world
    return await service.create_complaint(
        world.tenant,
        world.tenant_id,
        service.evidence_store(settings.var_dir),
        served.booking,
        served.as_customer,
        category=category,
        description=DESCRIPTION,
        photos=[photo()],
        now=FILED,
    )


def quality_messages(town: Town) -> dict[tuple[str, str], Any]:
    """(phone, first words of the subject) -> message, for the quality messages only."""
    return {
        (m.to, m.subject): m
        for m in town.recorder.sent
        if any(word in m.subject for word in ("投诉", "complaint", "申诉", "服务质量"))
    }


async def test_the_customer_hears_of_each_step_of_a_complaint_and_the_provider_is_asked(
    town: Town, world: World, settings
) -> None:
    served = await served_and_reachable(world)
    cid = await complain(served, settings)

    await town.relay()

    sent = quality_messages(town)
    received = sent[(CUSTOMER_PHONE, "【洁家到家】已收到您的投诉")]
    assert "感谢您反馈" in received.body and "（服务质量差）" in received.body
    assert f"http://jiejia.localhost:8000/complaints/{cid}" in received.body
    asked = sent[(PROVIDER_PHONE, "【洁家到家】您的服务收到投诉，请提交说明")]
    assert "全屋保洁" in asked.body and f"/complaints/{cid}" in asked.body
    # the provider never learns who complained or what they wrote; nobody gets the text by SMS
    for message in (received, asked):
        assert "13912345678" not in message.body and "厨房" not in message.body
        assert CUSTOMER_PHONE not in message.body

    town.recorder.sent.clear()
    await service.respond(world.tenant_id, cid, STAFF_ACTOR, "您好，我们正在核实", now=FILED)
    await town.relay()

    assert list(quality_messages(town)) == [(CUSTOMER_PHONE, "【洁家到家】客服已回复您的投诉")]

    town.recorder.sent.clear()
    again = at(TOMORROW + timedelta(days=2), "09:00")
    await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(
            reply="为您安排免费返工并退款", upheld=True, reservice_at=again, refund_fen=5000
        ),
        now=FILED + timedelta(hours=2),
    )
    await town.relay()
    await town.relay()  # relayed again: nothing is sent twice

    (resolved,) = quality_messages(town).values()
    assert resolved.subject == "【洁家到家】您的投诉已有处理结果"
    assert "已为您免费安排返工服务：3月13日 星期五 09:00。" in resolved.body
    assert "退款：¥50.00。" in resolved.body
    assert resolved.body.endswith(f"/complaints/{cid}")


async def test_an_english_customer_reads_the_outcome_in_english(
    town: Town, world: World, settings
) -> None:
    served = await served_and_reachable(world, customer_locale="en")
    cid = await complain(served, settings)
    await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(reply="A misunderstanding: the balcony was not booked", upheld=False),
        now=FILED + timedelta(hours=2),
    )

    await town.relay()

    subjects = sorted(s for to, s in quality_messages(town) if to == CUSTOMER_PHONE)
    assert subjects == [
        "[Jiejia Home] We received your complaint",
        "[Jiejia Home] Your complaint has an outcome",
    ]
    outcome = next(m for m in town.recorder.sent if "outcome" in m.subject)
    assert "Our answer to your complaint about Whole-home cleaning (Poor quality)" in outcome.body
    assert "Refund" not in outcome.body and "re-service" not in outcome.body


async def test_the_provider_is_told_of_a_penalty_step_and_of_the_appeal_decision(
    town: Town, world: World, settings
) -> None:
    served = await served_and_reachable(world)
    cid = await complain(served, settings, category="rudeness")
    await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(reply="已核实，对服务者作出处理", upheld=True, penalty=True),
        now=FILED + timedelta(hours=2),
    )
    await town.relay()

    step = next(m for m in town.recorder.sent if "服务质量处理" in m.subject)
    assert step.to == PROVIDER_PHONE
    assert step.subject == "【洁家到家】服务质量处理：警告"
    assert "您的扣分已达 6 分：现予以警告。" in step.body
    assert step.body.endswith("http://jiejia.localhost:8000/provider/quality/")

    async with tenant_transaction(world.tenant_id):
        (sanction,) = await scoped(Sanction, world.tenant_id).select(Sanction.id)
    sanction_id = str(sanction["id"])
    await ladder.appeal(
        world.tenant_id, sanction_id, served.provider, "客户家里的狗吓到我了", now=FILED
    )
    await ladder.decide_appeal(
        world.tenant_id,
        sanction_id,
        STAFF_ACTOR.user_id or "",
        uphold=True,
        reason="监控显示服务者并无不当",
        now=FILED + timedelta(days=1),
    )
    town.recorder.sent.clear()
    await town.relay()

    (decided,) = town.recorder.sent
    assert (decided.to, decided.subject) == (PROVIDER_PHONE, "【洁家到家】您的申诉已有结果")
    assert "您的申诉成立：警告已撤销" in decided.body
    assert "原因：监控显示服务者并无不当" in decided.body


async def test_support_is_reminded_by_email_and_admins_hear_of_a_missed_deadline(
    town: Town,
    world: World,
    settings,
    smtp: tuple[Mailbox, int],  # noqa: F811
) -> None:
    mailbox, port = smtp
    town = town.using(["email"], email=email_settings(port))
    tid = world.tenant_id
    await create_staff(tid, "kefu@jiejia.example", "correct horse battery", ["support"])
    await create_staff(tid, "boss@jiejia.example", "correct horse battery", ["admin"])
    await create_staff(tid, "paidan@jiejia.example", "correct horse battery", ["dispatcher"])
    served = await serve(world)
    cid = await complain(served, settings)
    async with tenant_transaction(tid):
        (row,) = await scoped(Complaint, tid).select().where(Complaint.id == cid)
    due = row["first_response_due"]

    await jobs.complaint_clocks(world.tenant, tid, due - timedelta(minutes=30))
    await town.relay()

    assert [m["To"] for m in mailbox.mails] == ["kefu@jiejia.example"]
    reminder = mailbox.mails[0]
    assert reminder["Subject"] == "【洁家到家】投诉即将到期：服务质量差"
    assert f"http://jiejia.localhost:8000/admin/complaints/{cid}" in reminder.get_content()
    # filed at 16:30 Shanghai time; a quality complaint is answered within 4 hours
    assert "须在 3月11日 星期三 20:30 前首次回复" in reminder.get_content()

    mailbox.mails.clear()
    await jobs.complaint_clocks(world.tenant, tid, due + timedelta(minutes=1))
    await jobs.complaint_clocks(world.tenant, tid, due + timedelta(minutes=2))  # once only
    await town.relay()

    assert sorted(m["To"] for m in mailbox.mails) == [
        "boss@jiejia.example",
        "kefu@jiejia.example",
    ]
    assert {m["Subject"] for m in mailbox.mails} == {"【洁家到家】投诉已超时：服务质量差"}
    assert "尚无人回复" in mailbox.mails[0].get_content()
