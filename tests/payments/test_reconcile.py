"""Reconciliation report: the CLI (bad input exits 2; a statement file's extra row is listed;
exit 1 while differences remain) and the admin page (linked from finance, bad dates a 400)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner

from cli.main import app as cli
from core.accounts.passwords import create_staff
from core.accounts.signin import start_session
from core.payments.clock import utc_now
from core.payments.standin import notices
from tests.payments.conftest import HOST, Shop

ROOT = Path(__file__).resolve().parents[2]
DOORSTEP = Path(sys.executable).parent / "doorstep"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody", "--from", "2026-03-01", "--to", "2026-03-02"], "--tenant nobody"),
        (["--tenant", "jiejia", "--from", "1/3/2026", "--to", "2026-03-02"], "--from '1/3/2026'"),
        (["--tenant", "jiejia", "--from", "2026-03-02", "--to", "2026-03-01"], "--to is before"),
    ],
)
def test_reconcile_cli_bad_input_exits_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["reconcile", *args])

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_statement_file_without_the_columns_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bill.csv"
    bad.write_text("order,amount\nabc,100\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            *("reconcile", "--tenant", "jiejia", "--from", "2026-03-01", "--to", "2026-03-01"),
            *("--statement", str(bad)),
        ],
    )
    assert result.exit_code == 2
    assert "--statement the header needs out_trade_no, kind, amount_fen" in result.output


@pytest.mark.db
async def test_the_cli_lists_what_a_statement_has_and_the_books_lack(
    app: Any, settings: Any, engine_name: str, shop: Shop, tmp_path: Path
) -> None:
    if engine_name != "sqlite":
        pytest.skip("the installed command reads the test database file (SQLite)")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        created = await client.post(
            f"/api/v1/bookings/{shop.booking}/payments",
            json={"method": "wechat_pay"},
            headers={"authorization": f"Bearer {shop.token}"},
        )
        order = shop.gateway.pay(str(created.json()["id"]).replace("-", ""))
        headers, body = notices.wechat_notification(
            shop.gateway.keys, notices.wechat_transaction(order)
        )
        await client.post("/payments/notify/wechat_pay", content=body, headers=headers)
    bill = tmp_path / "wechat-bill.csv"
    bill.write_text(
        "out_trade_no,kind,amount_fen,note\n"
        f"{order.out_trade_no},capture,{order.amount_fen},paid\n"
        f"{'e' * 32},capture,1200,not ours\n",
        encoding="utf-8",
    )
    today = utc_now().date()
    # Three days around today: the day in Shanghai may differ from UTC's.
    first, last = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    env = {
        **os.environ,
        "DOORSTEP_TENANTS": str(ROOT / "tenants"),
        "DOORSTEP_THEMES": str(ROOT / "themes"),
        "DOORSTEP_VAR": str(settings.var_dir),
    }
    base = [str(DOORSTEP), "reconcile", "--tenant", "jiejia", "--from", first, "--to", last]

    with_bill = subprocess.run(
        [*base, "--statement", str(bill), "--json"], env=env, capture_output=True, text=True
    )
    own = subprocess.run([*base, "--json"], env=env, capture_output=True, text=True)

    assert with_bill.returncode == 1, with_bill.stderr
    report = json.loads(with_bill.stdout)
    assert (report["source"], report["matched"]) == ("statement", 1)
    assert [(d["out_trade_no"], d["problem"], d["gap_fen"]) for d in report["differences"]] == [
        ("e" * 32, "missing_in_ledger", 1200)
    ]
    assert own.returncode == 0, own.stderr
    assert json.loads(own.stdout)["clean"] is True


@pytest.mark.db
async def test_the_admin_page_refuses_a_bad_period_naming_the_field(app: Any, shop: Shop) -> None:
    admin = await create_staff(
        shop.tenant_id, "recon@jiejia.test", "correct horse battery", ["admin"], "财务"
    )
    support = await create_staff(
        shop.tenant_id, "kefu@jiejia.test", "correct horse battery", ["support"], "客服"
    )
    with TestClient(app, base_url=f"http://{HOST}") as client:
        client.cookies.set(
            "doorstep_session", await start_session(admin, shop.tenant_id), domain=HOST
        )
        bad = client.get("/admin/finance/reconcile?from=2026-13-01&to=2026-03-01")
        assert bad.status_code == 400
        assert 'id="from" name="from" type="date" value="2026-13-01" aria-invalid="true"' in (
            bad.text
        )
        backwards = client.get("/admin/finance/reconcile?from=2026-03-02&to=2026-03-01")
        assert backwards.status_code == 400 and 'aria-invalid="true">' in backwards.text
        clean = client.get("/admin/finance/reconcile?from=2026-03-01&to=2026-03-31")
        assert clean.status_code == 200 and "全部一致" in clean.text
        client.cookies.set(
            "doorstep_session", await start_session(support, shop.tenant_id), domain=HOST
        )
        assert client.get("/admin/finance/reconcile", follow_redirects=False).status_code in {
            403,
            404,
        }
