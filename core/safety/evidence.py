"""The incident's tamper-evident evidence log: an append-only hash chain.

Entry ``n`` stores ``hash = sha256(prev_hash + canonical(entry))`` with ``prev_hash`` the hash
of entry ``n - 1`` (``GENESIS`` for the first); the incident row keeps the newest hash and the
count as the chain's anchor. Changing, removing or re-ordering any entry (or cutting the tail)
breaks ``verify_chain``. The hash covers the clear content, so key rotation (which re-seals the
body) keeps the chain valid.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.privacy import service as privacy
from core.safety.tables import EvidenceEntry, Incident
from core.tenancy.scoped import scoped

GENESIS = "0" * 64
FIELD = "safety.evidence"


class ChainMoved(Exception):
    """Another entry was appended meanwhile (the caller retries)."""


def entry_hash(
    prev_hash: str,
    *,
    incident: str,
    seq: int,
    at: datetime,
    kind: str,
    actor: str | None,
    body: dict[str, Any],
) -> str:
    canonical = json.dumps(
        {
            "incident": incident,
            "seq": seq,
            "at": at.isoformat(),
            "kind": kind,
            "actor": actor or "",
            "body": body,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


async def append(
    tenant_id: str,
    incident_id: str,
    kind: str,
    body: dict[str, Any],
    *,
    at: datetime,
    actor: str | None = None,
) -> str:
    """Add an entry, inside the caller's write transaction. The anchor moves only if nobody
    appended meanwhile (``ChainMoved`` otherwise), so two writers cannot fork the chain."""
    at = at.astimezone(UTC)
    row = (
        await scoped(Incident, tenant_id)
        .select(Incident.evidence_head, Incident.evidence_count)
        .where(Incident.id == incident_id)
        .first()
    )
    if row is None:
        raise LookupError(incident_id)
    prev, seq = row["evidence_head"] or GENESIS, int(row["evidence_count"]) + 1
    digest = entry_hash(
        prev, incident=str(incident_id), seq=seq, at=at, kind=kind, actor=actor, body=body
    )
    moved = (
        await scoped(Incident, tenant_id)
        .update({Incident.evidence_head: digest, Incident.evidence_count: seq})
        .where((Incident.id == incident_id) & (Incident.evidence_count == seq - 1))
        .returning(Incident.id)
    )
    if not moved:
        raise ChainMoved(incident_id)
    await scoped(EvidenceEntry, tenant_id).insert(
        EvidenceEntry(
            tenant=tenant_id,
            incident=incident_id,
            seq=seq,
            at=at,
            kind=kind[:30],
            actor=actor,
            body_enc=privacy.seal(
                json.dumps(body, ensure_ascii=False), field=FIELD, tenant_id=tenant_id
            ),
            prev_hash=prev,
            hash=digest,
        )
    )
    return digest


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    kind: str
    actor: str | None
    body: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    entries: int
    broken_at: int | None = None
    """The first entry that does not match (or the anchor's count when the tail is missing)."""


async def entries(tenant_id: str, incident_id: str) -> list[Entry]:
    """The log in order (the bodies opened by the system: the caller audits people's reads)."""
    rows = (
        await scoped(EvidenceEntry, tenant_id)
        .select()
        .where(EvidenceEntry.incident == incident_id)
        .order_by(EvidenceEntry.seq)
    )
    return [
        Entry(
            seq=int(r["seq"]),
            at=r["at"],
            kind=r["kind"],
            actor=str(r["actor"]) if r["actor"] else None,
            body=_body(tenant_id, r["body_enc"]),
            hash=r["hash"],
        )
        for r in rows
    ]


def _body(tenant_id: str, sealed: str) -> dict[str, Any]:
    try:
        found = json.loads(privacy.unseal(sealed, field=FIELD, tenant_id=tenant_id))
    except (privacy.fields.DecryptionError, ValueError):
        return {"unreadable": True}
    return found if isinstance(found, dict) else {"value": found}


async def verify_chain(tenant_id: str, incident_id: str) -> ChainCheck:
    """Recompute every hash from the clear content and compare with the stored chain and the
    incident's anchor."""
    anchor = (
        await scoped(Incident, tenant_id)
        .select(Incident.evidence_head, Incident.evidence_count)
        .where(Incident.id == incident_id)
        .first()
    )
    if anchor is None:
        raise LookupError(incident_id)
    rows = (
        await scoped(EvidenceEntry, tenant_id)
        .select()
        .where(EvidenceEntry.incident == incident_id)
        .order_by(EvidenceEntry.seq)
    )
    prev = GENESIS
    for n, row in enumerate(rows, start=1):
        expected = entry_hash(
            prev,
            incident=str(incident_id),
            seq=n,
            at=row["at"],
            kind=row["kind"],
            actor=str(row["actor"]) if row["actor"] else None,
            body=_body(tenant_id, row["body_enc"]),
        )
        if int(row["seq"]) != n or row["prev_hash"] != prev or row["hash"] != expected:
            return ChainCheck(False, len(rows), n)
        prev = expected
    if len(rows) != int(anchor["evidence_count"]) or prev != (anchor["evidence_head"] or GENESIS):
        return ChainCheck(False, len(rows), min(len(rows) + 1, int(anchor["evidence_count"])))
    return ChainCheck(True, len(rows))
