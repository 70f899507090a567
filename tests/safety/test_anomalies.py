"""The watch: anomalies ask "are you OK?"; an unanswered one goes to the safety officers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.safety import anomalies
from core.safety.tables import Incident, WellbeingCheck
from core.tenancy.scoped import tenant_transaction
from tests.safety.conftest import ACCEPTED_AT, EN_ROUTE_AT, OFFICER_EMAIL, START, Scene

pytestmark = pytest.mark.db


async def checks(scene: Scene) -> list[str]:
    return sorted(c["anomaly"] for c in await scene.rows(WellbeingCheck))


async def test_not_getting_closer_asks_and_nobody_answering_alerts_the_officers(
    scene: Scene,
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    for minute in (0, 8, 16):
        await scene.report(scene.away(4.0 + minute / 100), EN_ROUTE_AT + timedelta(minutes=minute))

    await scene.worker(EN_ROUTE_AT + timedelta(minutes=16))
    assert "no_progress" in await checks(scene)
    assert await scene.rows(Incident) == []

    report = await scene.worker(EN_ROUTE_AT + timedelta(minutes=22))

    assert report["safety_checks_unanswered"] >= 1
    (incident,) = await scene.rows(Incident)
    assert (incident["kind"], incident["severity"]) == ("unanswered_check", "high")
    assert scene.recorder.to(OFFICER_EMAIL)


async def test_an_answered_check_opens_nothing_and_help_raises_an_sos(scene: Scene) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.move("arrived", START)
    await scene.report(scene.away(1.5), START + timedelta(minutes=20))
    await scene.worker(START + timedelta(minutes=20))
    (check,) = await scene.rows(WellbeingCheck)
    assert check["anomaly"] == "left_site"

    async with tenant_transaction(scene.tenant_id):
        assert (
            await anomalies.answer_check(
                scene.plugins,
                scene.tenant,
                scene.tenant_id,
                str(check["id"]),
                scene.provider_user,
                "ok",
                now=START + timedelta(minutes=21),
            )
            is None
        )
    await scene.worker(START + timedelta(minutes=40))
    assert await scene.rows(Incident) == []

    overstay = START + timedelta(hours=8)
    await scene.worker(overstay)
    (late,) = [c for c in await scene.rows(WellbeingCheck) if c["anomaly"] == "overstay"]
    async with tenant_transaction(scene.tenant_id):
        with pytest.raises(LookupError):
            await anomalies.answer_check(
                scene.plugins, scene.tenant, scene.tenant_id, str(late["id"]), scene.customer, "ok"
            )
        incident_id = await anomalies.answer_check(
            scene.plugins,
            scene.tenant,
            scene.tenant_id,
            str(late["id"]),
            scene.provider_user,
            "help",
            now=overstay,
        )
    assert (await scene.incident(str(incident_id)))["severity"] == "critical"


async def test_a_long_stop_on_the_way_is_noticed(scene: Scene) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT - timedelta(minutes=30))
    for minute in (0, 10, 21):
        await scene.report(scene.away(3.0), EN_ROUTE_AT + timedelta(minutes=minute))

    await scene.worker(EN_ROUTE_AT + timedelta(minutes=21))

    assert "long_stop" in await checks(scene)
