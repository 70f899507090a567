"""Done when: a booking paid through the WeChat Pay stand-in, all through the pages, appears
correctly in the ledger, in the provider's statement and in the platform's statement (gross,
commission, net), and the reconciliation of the day is clean."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from core.accounts.passwords import create_staff
from core.accounts.signin import start_session
from core.i18n.formatting import format_money
from core.ledger.chart import commission_bps, commission_split
from core.ledger.tables import LedgerEntry, LedgerJournal
from tests.payments.conftest import HOST, Shop, post_form
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db


def yuan(fen: int) -> str:
    return format_money(fen, "CNY", "zh_CN")


def as_session(client: TestClient, session: str) -> TestClient:
    client.cookies.clear()
    client.cookies.set("doorstep_session", session, domain=HOST)
    return client


async def test_a_booking_paid_with_the_wechat_stand_in_is_in_the_ledger_and_both_statements(
    app: Any, browser: TestClient, shop: Shop
) -> None:
    # The customer chooses WeChat Pay, opens the stand-in's page from the result page, pays.
    chosen = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "wechat_pay"}
    )
    assert chosen.status_code == 303
    result_path = chosen.headers["location"]
    payment_id = result_path.rsplit("/", 1)[-1]
    waiting = browser.get(result_path)
    found = re.search(r'href="(/standin/wechat/pay/[0-9a-f-]+)"', waiting.text)
    assert found, "the result page links to the stand-in WeChat Pay"
    paid = post_form(browser, found.group(1), found.group(1))
    assert (paid.status_code, paid.headers["location"]) == (303, result_path)
    result = browser.get(result_path)
    assert "已收到付款" in result.text and f"/pay/receipt/{payment_id}" in result.text

    # The ledger: one capture journal, balanced, split by the tenant's commission.
    gross = shop.total_fen
    bps = commission_bps(shop.world.tenant.config.commission, "housekeeping")
    commission, share = commission_split(gross, bps)
    assert commission > 0 and commission + share == gross
    async with all_tenants():
        journals = await LedgerJournal.select().where(LedgerJournal.payment == payment_id)
        assert [(j["kind"], j["amount_fen"], str(j["booking"])) for j in journals] == [
            ("capture", gross, shop.booking)
        ]
        entries = await LedgerEntry.select(LedgerEntry.account, LedgerEntry.amount_fen).where(
            LedgerEntry.journal == journals[0]["id"]
        )
    lines = {e["account"]: e["amount_fen"] for e in entries}
    assert lines == {
        "gateway_clearing:wechat_pay": gross,
        "platform_commission": -commission,
        f"provider_payable:{shop.provider}": -share,
    }

    # The provider's statement (earnings page and CSV) shows the booking: gross, commission, net.
    provider_site = as_session(browser, await start_session(shop.provider_user, shop.tenant_id))
    jobs = provider_site.get("/provider/jobs")
    assert 'href="/provider/earnings"' in jobs.text
    earnings = provider_site.get("/provider/earnings")
    assert earnings.status_code == 200
    line = re.search(
        rf'<li class="ld-line">\s*<span class="ld-line-title">[^<]*{shop.booking[:8]}.*?</li>',
        earnings.text,
        re.S,
    )
    assert line, "the booking is a line of the provider's statement"
    assert f"金额 {yuan(gross)}" in line.group(0)
    assert f"佣金 {yuan(commission)}" in line.group(0)
    assert f'<span class="ld-line-net">{yuan(share)}</span>' in line.group(0)
    rows = list(
        csv.DictReader(io.StringIO(provider_site.get("/provider/earnings/statement.csv").text))
    )
    assert [(r["booking"], r["gross"], r["commission"], r["net"]) for r in rows[:1]] == [
        (shop.booking, f"{gross / 100:.2f}", f"{commission / 100:.2f}", f"{share / 100:.2f}")
    ]

    # The platform's statement shows it too; the reconciliation of the period is clean.
    admin = await create_staff(
        shop.tenant_id, "finance@jiejia.test", "correct horse battery", ["admin"], "财务"
    )
    admin_site = as_session(browser, await start_session(admin, shop.tenant_id))
    dashboard = admin_site.get("/admin/finance")
    assert 'href="/admin/finance/statement?month=' in dashboard.text
    assert 'href="/admin/finance/reconcile?from=' in dashboard.text
    platform = admin_site.get("/admin/finance/statement")
    assert platform.status_code == 200
    entry = re.search(
        rf'<li class="ld-line" data-booking="{shop.booking}">.*?</li>', platform.text, re.S
    )
    assert entry, "the booking is a line of the platform's statement"
    assert f'<span class="ld-gross">{yuan(gross)}</span>' in entry.group(0)
    assert f'<span class="ld-commission">{yuan(commission)}</span>' in entry.group(0)
    assert f'<span class="ld-net">{yuan(share)}</span>' in entry.group(0)
    platform_rows = list(
        csv.DictReader(io.StringIO(admin_site.get("/admin/finance/statement/csv").text))
    )
    assert (platform_rows[0]["booking"], platform_rows[-1]["commission"]) == (
        shop.booking,
        f"{commission / 100:.2f}",
    )
    reconciliation = admin_site.get("/admin/finance/reconcile")
    assert reconciliation.status_code == 200
    assert "没有差异" in reconciliation.text
