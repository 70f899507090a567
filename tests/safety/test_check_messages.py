"""The "are you OK?" also goes out through the channels (the job page may be closed): once, in
the reader's language, with a link where it can be answered."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.accounts.signin import start_session
from core.accounts.tables import User
from core.notifications.channels import Message
from core.notifications.relay import relay_outbox
from core.safety.tables import Incident, WellbeingCheck
from core.tenancy.scoped import tenant_transaction
from tests.safety.conftest import ACCEPTED_AT, PROVIDER_PHONE, START, Scene

pytestmark = pytest.mark.db
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
LEFT_AT = START + timedelta(minutes=20)


async def left_the_address(scene: Scene) -> dict[str, Any]:
    """The provider checked in, then their phone reports 1.5 km away: the watch asks."""
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", START - timedelta(minutes=40))
    await scene.move("arrived", START)
    await scene.report(scene.away(1.5), LEFT_AT)
    await scene.worker(LEFT_AT)
    (check,) = await scene.rows(WellbeingCheck)
    return check


def asked(scene: Scene) -> list[Message]:
    return [
        m for m in scene.recorder.to(PROVIDER_PHONE) if "请回复" in m.subject or "OK" in m.subject
    ]


async def relay(scene: Scene, settings: Any, now: datetime) -> None:
    async with tenant_transaction(scene.tenant_id):
        await relay_outbox(scene.plugins, scene.tenant, scene.tenant_id, settings, now)


async def test_the_question_reaches_the_provider_once_and_is_answered_from_its_link(
    scene: Scene,
    settings,
    client,  # type: ignore[no-untyped-def]
) -> None:
    check = await left_the_address(scene)

    await relay(scene, settings, LEFT_AT)
    await scene.worker(LEFT_AT + timedelta(minutes=1))  # asks nothing new while unanswered
    await relay(scene, settings, LEFT_AT + timedelta(minutes=1))

    (message,) = asked(scene)
    assert message.subject == "【洁家到家】您还好吗？请回复"
    assert "服务期间您似乎离开了服务地址。" in message.body
    link = f"http://jiejia.localhost:8000/safety/checks/{check['id']}"
    assert link in message.body and "110" in message.body
    assert "31." not in message.body and "121." not in message.body  # never a position

    client.cookies.set(
        "doorstep_session", await start_session(scene.provider_user, scene.tenant_id)
    )
    page = client.get(link.removeprefix("http://jiejia.localhost:8000"))
    assert page.status_code == 200 and "我很好" in page.text and 'action="/safety/sos"' in page.text
    token = CSRF.search(page.text)
    assert token is not None
    answered = client.post(
        f"/safety/checks/{check['id']}/answer",
        data={
            "_csrf_token": token.group(1),
            "answer": "ok",
            "next": f"/safety/checks/{check['id']}",
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303
    assert answered.headers["location"] == f"/safety/checks/{check['id']}"
    assert "谢谢，您已回复一切正常" in client.get(answered.headers["location"]).text
    (row,) = await scene.rows(WellbeingCheck)
    assert row["answer"] == "ok"
    await scene.worker(LEFT_AT + timedelta(minutes=30))
    assert await scene.rows(Incident) == []

    # The customer cannot open the provider's question.
    client.cookies.set("doorstep_session", await start_session(scene.customer, scene.tenant_id))
    assert client.get(f"/safety/checks/{check['id']}").status_code == 404


async def test_an_english_reader_gets_it_in_english_and_an_answered_one_is_not_sent(
    scene: Scene, settings
) -> None:
    async with tenant_transaction(scene.tenant_id):
        await User.update({User.locale: "en"}).where(User.id == scene.provider_user)
    await left_the_address(scene)

    await relay(scene, settings, LEFT_AT)

    (message,) = asked(scene)
    assert message.subject == "[Jiejia Home] Are you OK? Please answer"
    assert "You seem to have left the address during the job." in message.body
    assert "the safety team will call you" in message.body

    # A question answered on the job page before the relay got to it is not sent at all.
    scene.recorder.sent.clear()
    async with tenant_transaction(scene.tenant_id):
        await WellbeingCheck.update({WellbeingCheck.answer: "ok"}).where(
            WellbeingCheck.tenant == scene.tenant_id
        )
    overstay = START + timedelta(hours=8)
    await scene.worker(overstay)
    async with tenant_transaction(scene.tenant_id):
        await WellbeingCheck.update({WellbeingCheck.answer: "ok"}).where(
            WellbeingCheck.tenant == scene.tenant_id
        )
    assert {c["anomaly"] for c in await scene.rows(WellbeingCheck)} >= {"overstay"}
    await relay(scene, settings, overstay)
    assert asked(scene) == []
