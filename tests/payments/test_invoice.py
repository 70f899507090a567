"""Invoices: the paying customer gives the title (and a company's tax id), gets an invoice PDF;
the title is encrypted at rest; bad details are refused naming the field; nobody else sees it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from core.accounts.signin import start_session
from core.payments.standin import notices
from core.payments.tables import Invoice
from tests.payments.conftest import HOST, Shop, post_form

pytestmark = pytest.mark.db
TAX_ID = "91310000MA1FL8XQ30"


def pdf_title(text: str) -> bytes:
    """How fpdf2 writes the document title: UTF-16BE with a byte-order mark, in hex."""
    return f"/Title <feff{text.encode('utf-16-be').hex()}>".encode()


async def paid(browser: TestClient, shop: Shop) -> str:
    answer = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "wechat_pay"}
    )
    payment_id = answer.headers["location"].rsplit("/", 1)[-1]
    order = shop.gateway.pay(payment_id.replace("-", ""))
    headers, body = notices.wechat_notification(
        shop.gateway.keys, notices.wechat_transaction(order)
    )
    assert (
        browser.post("/payments/notify/wechat_pay", content=body, headers=headers).status_code
        == 204
    )
    return payment_id


async def test_a_company_invoice_with_title_and_tax_id(
    app: Any, browser: TestClient, shop: Shop
) -> None:
    payment_id = await paid(browser, shop)
    page = f"/pay/invoice/{payment_id}"
    assert page in browser.get(f"/pay/result/{payment_id}").text
    assert browser.get(f"{page}/pdf").status_code == 404  # no details given yet

    no_tax_id = post_form(browser, page, page, {"kind": "company", "title": "上海某某科技有限公司"})
    assert no_tax_id.status_code == 400
    assert "请填写单位的 18 位税号" in no_tax_id.text
    no_title = post_form(browser, page, page, {"kind": "personal", "title": "  "})
    assert no_title.status_code == 400 and 'id="title"' in no_title.text
    assert await shop.world.rows(Invoice) == []

    saved = post_form(
        browser,
        page,
        page,
        {"kind": "company", "title": "上海某某科技有限公司", "tax_id": TAX_ID.lower()},
    )
    assert (saved.status_code, saved.headers["location"]) == (303, page)
    shown = browser.get(page)
    assert "开票信息已保存" in shown.text and f"{page}/pdf" in shown.text
    assert TAX_ID in shown.text
    (row,) = await shop.world.rows(Invoice)
    assert (row["kind"], row["tax_id"]) == ("company", TAX_ID)
    assert "上海某某" not in row["title_enc"]  # encrypted at rest

    invoice = browser.get(f"{page}/pdf")
    assert invoice.status_code == 200 and invoice.headers["content-type"] == "application/pdf"
    assert pdf_title("洁家到家 发票") in invoice.content
    receipt = browser.get(f"/pay/receipt/{payment_id}")
    assert pdf_title("洁家到家 付款收据") in receipt.content

    # Given again as an individual: the details are replaced, the tax id dropped.
    post_form(browser, page, page, {"kind": "personal", "title": "王小明", "tax_id": TAX_ID})
    (row,) = await shop.world.rows(Invoice)
    assert (row["kind"], row["tax_id"]) == ("personal", "")

    stranger = await shop.world.customer()
    with TestClient(app, base_url=f"http://{HOST}") as other:
        other.cookies.set(
            "doorstep_session", await start_session(stranger, shop.tenant_id), domain=HOST
        )
        assert other.get(page).status_code == 404
        assert other.get(f"{page}/pdf").status_code == 404
