"""Personal-data rules: seal and open values, look them up blind, audit every clear read,
rotate keys without downtime."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from piccolo.table import Table

from core.privacy import fields
from core.privacy.keys import Keyring, load_keyring
from core.privacy.tables import PersonalDataRead
from core.settings import Settings

log = logging.getLogger("doorstep.privacy")
_keyring: Keyring | None = None
OPERATORS = "*"
"""The tenant token used for agency operators, who belong to no tenant."""


def configure(settings: Settings) -> Keyring:
    """Load the process keyring (at start-up, and in tests). Raises KeyringError."""
    global _keyring
    _keyring = load_keyring(settings)
    return _keyring


def use_keyring(keyring: Keyring) -> None:
    global _keyring
    _keyring = keyring


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
    return fields.decrypt(keyring(), stored, field=field, tenant=tenant_token(tenant_id))


def lookup_key(value: str, *, purpose: str, tenant_id: Any) -> str:
    return fields.blind_index(keyring(), value, purpose=purpose, tenant=tenant_token(tenant_id))


@dataclass(frozen=True)
class Reader:
    """Who is reading and why (recorded with every clear value shown)."""

    actor_id: Any
    role: str
    purpose: str


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
    SEALED.append(SealedColumn(table, column, field, lambda row: row[tenant_column]))


async def rotate(batch_size: int = 500, progress: Callable[[str, int], None] | None = None) -> int:
    """Re-encrypt every value not under the current key, in batches. Safe to run while serving:
    old keys still decrypt, each row is rewritten only if it still holds the old ciphertext."""
    ring = keyring()
    done = 0
    for sealed in SEALED:
        table = sealed.table
        column = getattr(table, sealed.column)
        pk = table._meta.primary_key
        while True:
            rows = (
                await table.select(pk, column, *_tenant_cols(table))
                .where(column.is_not_null() & column.not_like(f"{fields.PREFIX}:{ring.current}:%"))
                .limit(batch_size)
            )
            if not rows:
                break
            for row in rows:
                old = row[sealed.column]
                tenant = tenant_token(sealed.tenant_of(row))
                clear = fields.decrypt(ring, old, field=sealed.field, tenant=tenant)
                new = fields.encrypt(ring, clear, field=sealed.field, tenant=tenant)
                await table.update({column: new}).where(
                    (pk == row[pk._meta.name]) & (column == old)
                )
                done += 1
            if progress:
                progress(sealed.field, done)
    log.info("key rotation re-encrypted %d values", done)
    return done


def _tenant_cols(table: type[Table]) -> list[Any]:
    return [table.tenant] if hasattr(table, "tenant") else []  # type: ignore[attr-defined]
