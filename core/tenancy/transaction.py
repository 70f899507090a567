"""``TenantTransaction``: the handle ``core.tenancy.scoped.tenant_transaction`` yields (its
commit hooks, and ``checkpoint`` for a transaction it opened)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from piccolo.engine.postgres import PostgresTransaction

from core.commit_hooks import CommitHooks


class TenantTransaction:
    """What ``tenant_transaction`` yields. ``checkpoint`` ends a transaction it opened (the web
    middleware commits before the response starts); elsewhere it does nothing."""

    def __init__(
        self,
        tenant_id: uuid.UUID,
        owned: PostgresTransaction | None = None,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self._owned = owned
        self._close = close
        self.ended = False
        self.hooks = CommitHooks()
        """Work ``before_commit`` left to be done just before this transaction commits."""

    async def checkpoint(self, commit: bool) -> None:
        """Commit (or roll back) what was done, give the connection back to the pool and leave
        the tenant scope for the rest of the task. What follows (a background task after the
        response) opens a tenant transaction of its own if it needs the database
        (``@within_tenant``), rather than every request paying a second, nearly always empty
        transaction (three round trips). Once only: later calls do nothing."""
        if self._owned is None or self.ended:
            return
        self.ended = True
        if not commit:
            self.hooks.close()
        try:
            await self._end(commit)
        finally:
            if self._close is not None:
                await self._close()

    async def _end(self, commit: bool) -> None:
        assert self._owned is not None
        if commit:
            await self.hooks.commit(self._owned)
        else:
            await self._owned.transaction.rollback()
