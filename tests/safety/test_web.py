"""The safety API and pages: who may report, see and work what; SOS from a stale page."""

from __future__ import annotations

import pytest

from core.accounts.signin import issue_token, start_session
from core.safety.tables import Incident
from tests.safety.conftest import ACCEPTED_AT, EN_ROUTE_AT, OFFICER_EMAIL, Scene

pytestmark = pytest.mark.db


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_the_api_takes_positions_shows_them_to_the_customer_and_works_an_sos(
    scene: Scene,
    client,  # type: ignore[no-untyped-def]
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    provider = bearer(await issue_token(scene.provider_user, scene.tenant_id))
    customer = bearer(await issue_token(scene.customer, scene.tenant_id))
    officer = bearer(await issue_token(scene.officer, scene.tenant_id))
    lat, lng = scene.away(2.0)

    bad = client.post(
        f"/api/v1/jobs/{scene.booking}/positions", json={"lat": 95, "lng": lng}, headers=provider
    )
    assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == "lat"
    assert (
        client.post(
            f"/api/v1/jobs/{scene.booking}/positions",
            json={"lat": lat, "lng": lng},
            headers=customer,
        ).status_code
        == 404
    )
    ok = client.post(
        f"/api/v1/jobs/{scene.booking}/positions", json={"lat": lat, "lng": lng}, headers=provider
    )
    assert ok.status_code == 201, ok.text
    seen = client.get(f"/api/v1/jobs/{scene.booking}/position", headers=customer).json()
    assert seen["status"] == "en_route" and 1900 < seen["distanceM"] < 2100
    assert client.get(f"/api/v1/jobs/{scene.booking}/position", headers=provider).status_code == 404

    raised = client.post(
        "/api/v1/sos", json={"bookingId": scene.booking, "clientKey": "k1"}, headers=provider
    )
    assert raised.status_code == 201
    incident = raised.json()["incidentId"]
    mine = client.get(f"/api/v1/incidents/{incident}", headers=provider).json()
    assert mine["status"] == "open" and mine["evidence"] == []
    assert client.get(f"/api/v1/incidents/{incident}", headers=customer).status_code == 404
    assert (
        client.post(
            f"/api/v1/incidents/{incident}/acknowledge", json={}, headers=customer
        ).status_code
        == 404
    )

    full = client.get(f"/api/v1/incidents/{incident}", headers=officer).json()
    assert full["chainIntact"] is True and full["evidence"][0]["kind"] == "raised"
    assert (
        client.post(f"/api/v1/incidents/{incident}/acknowledge", json={}, headers=officer).json()[
            "status"
        ]
        == "acknowledged"
    )
    assert (
        client.post(
            f"/api/v1/incidents/{incident}/contact", json={"note": "called"}, headers=officer
        ).status_code
        == 200
    )
    no_note = client.post(f"/api/v1/incidents/{incident}/resolve", json={}, headers=officer)
    assert no_note.status_code == 400 and no_note.json()["problems"][0]["field"] == "note"
    done = client.post(
        f"/api/v1/incidents/{incident}/resolve", json={"note": "safe"}, headers=officer
    )
    assert done.json()["status"] == "resolved"


async def test_an_sos_from_a_stale_page_is_accepted_on_its_ticket_alone(
    scene: Scene,
    app,
    client,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import UTC, datetime

    from core.safety import ticket

    page_ticket = ticket.issue(
        scene.tenant.slug,
        ticket.Ticket(scene.customer, "customer", scene.booking),
        datetime.now(UTC),
    )
    # No session, no CSRF token: the session expired and the cookie was renewed meanwhile.
    answer = client.post(
        "/safety/sos", data={"ticket": page_ticket, "booking_id": scene.booking, "client_key": "x"}
    )

    assert answer.status_code == 200 and "sos-sent" in answer.text
    (incident,) = await scene.rows(Incident)
    assert (
        str(incident["raised_by"]) == scene.customer and str(incident["booking"]) == scene.booking
    )


async def test_a_cross_site_post_without_a_ticket_raises_nothing(scene: Scene, client) -> None:  # type: ignore[no-untyped-def]
    cookie = await start_session(scene.customer, scene.tenant_id)
    client.cookies.set("doorstep_session", cookie)

    answer = client.post(
        "/safety/sos",
        data={"booking_id": scene.booking},
        headers={"origin": "http://evil.example", "sec-fetch-site": "cross-site"},
    )

    assert answer.status_code == 401
    assert await scene.rows(Incident) == []


async def test_pages_carry_the_sos_and_the_console_shows_the_alert_and_exports_the_packet(
    scene: Scene,
    client,  # type: ignore[no-untyped-def]
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    client.cookies.set(
        "doorstep_session", await start_session(scene.provider_user, scene.tenant_id)
    )
    job = client.get(f"/provider/jobs/{scene.booking}")
    home = client.get("/provider/jobs/")
    assert 'action="/safety/sos"' in job.text and "data-trail" in job.text
    assert 'action="/safety/sos"' in home.text
    client.cookies.set("doorstep_session", await start_session(scene.customer, scene.tenant_id))
    booking = client.get(f"/bookings/{scene.booking}")
    assert 'action="/safety/sos"' in booking.text and "data-live-position" in booking.text
    incident_id = await scene.sos("provider", position=scene.away(1.0))

    client.cookies.set("doorstep_session", await start_session(scene.officer, scene.tenant_id))
    live = client.get("/admin/safety/live").json()
    assert live["count"] == 1 and live["incidents"][0]["id"] == incident_id
    page = client.get(f"/admin/safety/{incident_id}")
    assert page.status_code == 200 and "李秀英" in page.text
    pdf = client.get(f"/admin/safety/{incident_id}/packet.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert OFFICER_EMAIL not in pdf.text
