"""Each request of a tenant runs in that tenant's transaction (``tenant_transaction``).

On PostgreSQL this is what row-level security keys on: one transaction per request with
``doorstep.tenant_id`` set, committed before the response starts (rolled back for a 5xx, so a
failed request leaves nothing half-written), so the client never sees an answer whose writes
might still fail. Refusals (4xx) commit: the security events they record must stay. The
commit also ends the tenant scope: work after the response starts (a background task) opens a
tenant transaction of its own (``@within_tenant`` services do), so a request pays for one
transaction, not two. Services' own ``write_transaction`` blocks nest inside as savepoints. On
SQLite this only remembers the tenant. Requests without a tenant (``/health``) and unknown
hosts run without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.tenancy.scoped import tenant_transaction_of
from core.web.tenant import PUBLIC_OPT, resolve_tenant

if TYPE_CHECKING:
    from core.web.context import AppContext


class TenantTransactionMiddleware(ASGIMiddleware):
    exclude_opt_key = PUBLIC_OPT

    def __init__(self, app_context: AppContext) -> None:
        self.app_context = app_context

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        tenant = resolve_tenant(self.app_context, scope) if scope["type"] == "http" else None
        if tenant is None:
            await next_app(scope, receive, send)
            return
        async with tenant_transaction_of(tenant.slug) as transaction:
            if transaction is None:
                # No tenant row yet (not migrated): no scope, so no tenant data either.
                await next_app(scope, receive, send)
                return

            async def send_after_commit(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await transaction.checkpoint(commit=message["status"] < 500)
                await send(message)

            try:
                await next_app(scope, receive, send_after_commit)
            except HTTPException as exc:
                await transaction.checkpoint(commit=exc.status_code < 500)
                raise
            except BaseException:
                await transaction.checkpoint(commit=False)
                raise
