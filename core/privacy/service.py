"""Personal-data rules: seal and open values, look them up blind, audit every clear read,
rotate keys without downtime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from piccolo.table import Table

from core.db import write_transaction
from core.privacy import fields
from core.privacy.keys import Keyring, KeyringError, load_keyring
from core.privacy.tables import PersonalDataRead
from core.settings import Settings
from core.tenancy.scoped import within_tenant

log = logging.getLogger("doorstep.privacy")
_keyring: Keyring | None = None
_settings: Settings | None = None
OPERATORS = "*"
"""The tenant token used for agency operators, who belong to no tenant."""


def configure(settings: Settings) -> Keyring:
    """Load the process keyring (at start-up, and in tests). Raises KeyringError."""
    global _keyring, _settings
    _keyring = load_keyring(settings)
    _settings = settings
    return _keyring


def use_keyring(keyring: Keyring) -> None:
    global _keyring, _settings
    _keyring = keyring
    _settings = None


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("privacy keyring not configured: call core.privacy.service.configure()")
    return _keyring


def tenant_token(tenant_id: Any) -> str:
    return str(tenant_id) if tenant_id else OPERATORS


def seal(value: str, *, field: str, tenant_id: Any) -> str:
    return fields.encrypt(keyring(), value, field=field, tenant=tenant_token(tenant_id))


def unseal(stored: str, *, field: str, tenant_id: Any) -> str:
    """Decrypt for the system itself (masking, matching). People's reads go through ``reveal``."""
    return fields.decrypt(_ring_for(stored), stored, field=field, tenant=tenant_token(tenant_id))


def _ring_for(stored: str) -> Keyring:
    """The keyring that holds ``stored``'s key. A value sealed under a key this process has not
    loaded yet (``doorstep keys rotate`` ran in another process) reloads the keyring once, so
    running servers keep reading while a rotation re-encrypts."""
    ring = keyring()
    key_id = fields.key_id_of(stored)
    if key_id in ring.data_keys or _settings is None:
        return ring
    try:
        return configure(_settings)
    except KeyringError:
        log.warning("data key %s is unknown and the keyring could not be reloaded", key_id)
        return ring


def lookup_key(value: str, *, purpose: str, tenant_id: Any) -> str:
    return fields.blind_index(keyring(), value, purpose=purpose, tenant=tenant_token(tenant_id))


@dataclass(frozen=True)
class Reader:
    """Who is reading and why (recorded with every clear value shown)."""

    actor_id: Any
    role: str
    purpose: str


@within_tenant
async def reveal(
    stored: str, *, field: str, tenant_id: Any, subject_id: Any, reader: Reader
) -> str:
    """The clear value for a person entitled to it, recorded in the read log first."""
    await PersonalDataRead.insert(
        PersonalDataRead(
            tenant=tenant_id,
            actor_id=reader.actor_id,
            actor_role=reader.role[:32],
            subject_id=subject_id,
            field=field[:64],
            purpose=reader.purpose[:120],
        )
    )
    return unseal(stored, field=field, tenant_id=tenant_id)


# --- key rotation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedColumn:
    table: type[Table]
    column: str
    field: str
    tenant_of: Callable[[dict[str, Any]], Any]


SEALED: list[SealedColumn] = []
"""Every encrypted column, registered by its domain (see ``core.accounts``)."""


def register_sealed(
    table: type[Table], column: str, field: str, tenant_column: str = "tenant"
) -> None:
    """Declare an encrypted column so key rotation covers it (registering twice is harmless)."""
    if any(s.table is table and s.column == column for s in SEALED):
        return
    SEALED.append(SealedColumn(table, column, field, lambda row: row[tenant_column]))


def _stale(sealed: SealedColumn, ring: Keyring) -> Any:
    column = getattr(sealed.table, sealed.column)
    return column.is_not_null() & column.not_like(f"{fields.PREFIX}:{ring.current}:%")


async def _scopes() -> list[Any]:
    """Every tenant's row id, then ``None`` for rows that belong to no tenant (operators).

    Rotation walks tenant by tenant: on PostgreSQL, row-level security shows a transaction
    only its own tenant's rows."""
    from core.tenancy.tables import TenantRow

    return [row["id"] for row in await TenantRow.select(TenantRow.id)] + [None]


def _in_scope(sealed: SealedColumn, ring: Keyring, scope: Any) -> Any:
    """The stale values of ``sealed`` in one scope, or None when the table has none there."""
    tenant = getattr(sealed.table, "tenant", None)
    if tenant is None:
        return _stale(sealed, ring) if scope is None else None
    if scope is None:
        return (_stale(sealed, ring) & tenant.is_null()) if tenant._meta.null else None
    return _stale(sealed, ring) & (tenant == scope)


def _scope_transaction(scope: Any) -> Any:
    from contextlib import nullcontext

    from core.tenancy.scoped import tenant_transaction

    return nullcontext() if scope is None else tenant_transaction(scope)


async def pending_rotation() -> int:
    """How many stored values are not under the current data key yet."""
    ring = keyring()
    total = 0
    for scope in await _scopes():
        async with _scope_transaction(scope):
            for sealed in SEALED:
                where = _in_scope(sealed, ring, scope)
                if where is not None:
                    total += await sealed.table.count().where(where)
    return total


async def rotate(batch_size: int = 500, progress: Callable[[str, int], None] | None = None) -> int:
    """Re-encrypt every value not under the current key, tenant by tenant, in batches (one
    short transaction each). Safe to run while serving: old keys still decrypt, and a row is
    rewritten only if it still holds the ciphertext that was read."""
    ring = keyring()
    done = 0
    for scope in await _scopes():
        for sealed in SEALED:
            where = _in_scope(sealed, ring, scope)
            if where is None:
                continue
            while True:
                async with _scope_transaction(scope):
                    count = await _rotate_batch(sealed, ring, where, batch_size)
                if not count:
                    break
                done += count
                if progress:
                    progress(sealed.field, done)
                # Let the loop's other work (requests, readers) run between batches: on the
                # in-loop SQLite engine a statement never yields by itself.
                await asyncio.sleep(0)
    log.info("key rotation re-encrypted %d values", done)
    return done


async def _rotate_batch(sealed: SealedColumn, ring: Keyring, where: Any, batch_size: int) -> int:
    table = sealed.table
    column = getattr(table, sealed.column)
    pk = table._meta.primary_key
    rows = await table.select(pk, column, *_tenant_cols(table)).where(where).limit(batch_size)
    async with write_transaction():
        for row in rows:
            old = row[sealed.column]
            tenant = tenant_token(sealed.tenant_of(row))
            clear = fields.decrypt(ring, old, field=sealed.field, tenant=tenant)
            new = fields.encrypt(ring, clear, field=sealed.field, tenant=tenant)
            await table.update({column: new}).where((pk == row[pk._meta.name]) & (column == old))
    return len(rows)


def _tenant_cols(table: type[Table]) -> list[Any]:
    tenant = getattr(table, "tenant", None)
    return [tenant] if tenant is not None else []
