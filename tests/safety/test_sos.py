"""SOS: stored and alerted at once, never refused for a job's state, escalated from the
database alone, worked to resolution with a tamper-evident log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.safety import evidence, service
from core.safety.tables import Alert, EmergencyDisclosure, EvidenceEntry, Incident, PositionFix
from tests.safety.conftest import (
    ACCEPTED_AT,
    CONTACT_PHONE,
    EN_ROUTE_AT,
    OFFICER_EMAIL,
    START,
    Scene,
)

pytestmark = pytest.mark.db


async def on_the_way(scene: Scene) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.report(scene.away(2.0), EN_ROUTE_AT + timedelta(minutes=5))


async def chain(scene: Scene, incident_id: str) -> evidence.ChainCheck:
    from core.tenancy.scoped import tenant_transaction

    async with tenant_transaction(scene.tenant_id):
        return await evidence.verify_chain(scene.tenant_id, incident_id)


async def test_a_provider_s_sos_opens_an_incident_and_alerts_the_officer_and_their_contact(
    scene: Scene,
) -> None:
    await on_the_way(scene)
    now = EN_ROUTE_AT + timedelta(minutes=6)

    incident_id = await scene.sos("provider", now=now, position=scene.away(1.9))

    incident = await scene.incident(incident_id)
    assert (incident["kind"], incident["severity"], incident["status"]) == (
        "sos",
        "critical",
        "open",
    )
    assert str(incident["booking"]) == scene.booking
    assert (
        str(incident["customer"]) == scene.customer and str(incident["provider"]) == scene.provider
    )
    assert incident["escalate_at"] == now + timedelta(minutes=2)
    assert "121." not in incident["snapshot_enc"]  # positions sealed
    assert [m.to for m in scene.recorder.sent if m.to == OFFICER_EMAIL]
    (text,) = scene.recorder.to(f"+86{CONTACT_PHONE}")
    assert "李秀英" in text.body and "110" in text.body
    (disclosure,) = await scene.rows(EmergencyDisclosure, incident=incident_id)
    assert "13(1)(4)" in disclosure["basis"] and "****" in disclosure["recipient"]
    assert all(r["held"] for r in await scene.rows(PositionFix, booking=scene.booking))
    assert (await chain(scene, incident_id)).intact


async def test_an_sos_from_a_stale_page_of_a_finished_job_is_still_accepted(scene: Scene) -> None:
    await on_the_way(scene)
    await scene.move("arrived", START)
    await scene.move("in_progress", START)
    await scene.move("completed", START + timedelta(hours=5))

    incident_id = await scene.sos("customer", now=START + timedelta(hours=5, minutes=1))

    incident = await scene.incident(incident_id)
    assert str(incident["booking"]) == scene.booking and incident["raised_role"] == "customer"


async def test_an_sos_with_a_bad_position_or_someone_else_s_job_is_kept_without_them(
    scene: Scene,
) -> None:
    incident_id = await scene.sos("customer", booking_id="not-a-uuid", position=(123.0, 500.0))

    incident = await scene.incident(incident_id)
    assert incident["booking"] is None and incident["status"] == "open"


async def test_a_retried_request_and_a_second_press_are_the_same_incident(scene: Scene) -> None:
    first = await scene.sos("provider", client_key="tap-1")
    again = await scene.sos("provider", client_key="tap-1")
    second_press = await scene.sos("provider", client_key="tap-2", now=START + timedelta(minutes=1))

    assert first == again == second_press
    assert len(await scene.rows(Incident)) == 1
    kinds = [e["kind"] for e in await scene.rows(EvidenceEntry, incident=first)]
    assert "pressed_again" in kinds


async def test_a_channel_that_is_down_falls_back_to_the_next(scene: Scene) -> None:
    scene = scene.using(["broken", "recorder"])

    incident_id = await scene.sos("provider")

    assert scene.broken.tries >= 1
    assert scene.recorder.to(OFFICER_EMAIL)
    alerts = await scene.rows(Alert, incident=incident_id)
    assert {a["status"] for a in alerts} == {"sent"} and {a["channel"] for a in alerts} == {
        "recorder"
    }


async def test_with_every_channel_down_the_sos_is_stored_and_sent_once_a_channel_is_back(
    scene: Scene,
) -> None:
    down = scene.using(["broken"])
    incident_id = await down.sos("provider")
    assert (await scene.incident(incident_id))["status"] == "open"
    assert {a["status"] for a in await scene.rows(Alert, incident=incident_id)} == {"pending"}

    report = await scene.using(["broken", "recorder"]).worker(START + timedelta(minutes=1))

    assert report.get("safety_alerts_sent", 0) >= 2
    assert scene.recorder.to(OFFICER_EMAIL)
    assert {a["status"] for a in await scene.rows(Alert, incident=incident_id)} == {"sent"}


async def test_escalation_survives_a_restart_and_goes_to_the_next_on_call_then_the_agency(
    scene: Scene,
    tenants,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    from core.accounts.passwords import create_staff
    from core.plugins import build_plugin_manager
    from tests.factories import make_world
    from tests.hooks.host import plugin
    from tests.safety.conftest import Recorder

    await create_staff(
        scene.tenant_id, "second@jiejia.test", "correct horse battery", ["support"], "二号"
    )
    policy = {
        "on_call": [OFFICER_EMAIL, "second@jiejia.test"],
        "agency_contacts": ["+8610100000000"],
    }
    incident_id = await scene.using(["recorder"], **policy).sos("provider")

    # The server restarts: new plugins, new channels, nothing kept in memory.
    fresh = Recorder()
    plugins = build_plugin_manager(
        extra=[plugin("restarted", notification_channels=lambda tenant: [fresh])]
    )
    world = await make_world(plugins, tenants, settings, "jiejia")
    restarted = Scene(world, fresh, scene.broken).using(["recorder"], **policy)

    assert await restarted.worker(START + timedelta(minutes=1)) == {}
    await restarted.worker(START + timedelta(minutes=2))
    assert (await scene.incident(incident_id))["escalation_level"] == 1
    assert [m.to for m in fresh.sent] == ["second@jiejia.test"]
    await restarted.worker(START + timedelta(minutes=4))
    assert fresh.to("+8610100000000")
    await restarted.worker(START + timedelta(minutes=6))
    incident = await scene.incident(incident_id)
    assert incident["escalation_level"] == 3 and incident["escalate_at"] is None
    assert (await chain(scene, incident_id)).intact


async def test_an_acknowledged_incident_is_not_escalated(scene: Scene) -> None:
    incident_id = await scene.sos("provider")
    await service.advance(scene.tenant_id, incident_id, "acknowledged", scene.officer, now=START)

    assert await scene.worker(START + timedelta(minutes=10)) == {}
    assert (await scene.incident(incident_id))["escalation_level"] == 0


async def test_the_workflow_runs_acknowledged_in_contact_resolved_with_notes(scene: Scene) -> None:
    incident_id = await scene.sos("customer")
    tid, officer = scene.tenant_id, scene.officer

    with pytest.raises(service.IncidentError) as no_note:
        await service.advance(tid, incident_id, "resolved", officer, now=START)
    assert no_note.value.field == "note"
    await service.advance(tid, incident_id, "acknowledged", officer, now=START)
    with pytest.raises(service.IncidentError):
        await service.advance(tid, incident_id, "acknowledged", officer, now=START)
    await service.advance(tid, incident_id, "in_contact", officer, note="已电话联系客户", now=START)
    await service.add_note(tid, incident_id, officer, "客户安全，误触", now=START)
    await service.advance(tid, incident_id, "resolved", officer, note="误触，已确认安全", now=START)

    incident = await scene.incident(incident_id)
    assert incident["status"] == "resolved" and incident["resolved_at"] == START
    kinds = [e.kind for e in await _entries(scene, incident_id)]
    assert kinds[-4:] == ["acknowledged", "in_contact", "note", "resolved"]
    with pytest.raises(service.IncidentError):
        await service.advance(tid, incident_id, "in_contact", officer, now=START)


async def _entries(scene: Scene, incident_id: str) -> list[evidence.Entry]:
    from core.tenancy.scoped import tenant_transaction

    async with tenant_transaction(scene.tenant_id):
        return await evidence.entries(scene.tenant_id, incident_id)


async def test_tampering_with_the_evidence_log_is_detected(scene: Scene) -> None:
    from core.privacy import service as privacy
    from core.tenancy.scoped import tenant_transaction

    incident_id = await scene.sos("provider")
    await service.add_note(scene.tenant_id, incident_id, scene.officer, "第一条记录", now=START)
    await service.add_note(scene.tenant_id, incident_id, scene.officer, "第二条记录", now=START)
    assert (await chain(scene, incident_id)).intact
    (entry,) = await scene.rows(EvidenceEntry, incident=incident_id, seq=3)

    forged = privacy.seal(
        '{"note": "改过的记录"}', field="safety.evidence", tenant_id=scene.tenant_id
    )
    async with tenant_transaction(scene.tenant_id):
        await EvidenceEntry.update({EvidenceEntry.body_enc: forged}).where(
            (EvidenceEntry.id == entry["id"]) & (EvidenceEntry.tenant == scene.tenant_id)
        )
    broken = await chain(scene, incident_id)
    assert not broken.intact and broken.broken_at == 3

    async with tenant_transaction(scene.tenant_id):
        await EvidenceEntry.delete().where(
            (EvidenceEntry.incident == incident_id)
            & (EvidenceEntry.seq >= 3)
            & (EvidenceEntry.tenant == scene.tenant_id)
        )
    cut = await chain(scene, incident_id)
    assert not cut.intact  # the tail is gone: the incident's anchor says so
