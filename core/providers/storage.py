"""Where provider media live and how they are handed out.

Files are stored outside the web root, under ``<var>/media/<tenant id>/<kind>/<random>.<ext>``:
the uploaded file name is never part of a path. They are served only through signed URLs
(``/media/<kind>/<file>?exp=...&sig=...``) whose HMAC binds the tenant, the file and an expiry,
so a link copied to another tenant's host, altered, or kept too long answers 404.

A file is written before its row and removed again if the row cannot be written, so a failed
upload leaves neither. Files whose row is gone (replaced media, a transaction rolled back after
the write) are removed by ``sweep_orphans``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread

from core.db import write_transaction
from core.privacy import service as privacy
from core.providers.media import (
    KINDS,
    MediaError,
    PreparedMedia,
    Upload,
    prepare,
)
from core.providers.tables import ProviderMedia
from core.tenancy.scoped import within_tenant

KEY = re.compile(r"^(photo|video|avatar|certificate)/[0-9a-f]{32}\.(jpg|webp|mp4|webm)$")
PHOTO_LIMIT = 9
SINGLE = frozenset({"avatar", "video"})
"""Kinds a provider has one of: a new upload replaces the old one."""
PUBLIC_TTL = timedelta(minutes=30)
PRIVATE_TTL = timedelta(minutes=10)
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class MediaStore:
    """The media folder of this install (``<var>/media``)."""

    root: Path

    @classmethod
    def under(cls, var_dir: Path) -> MediaStore:
        return cls(var_dir / "media")

    def path(self, tenant_id: Any, key: str) -> Path:
        """The file of ``key`` (a checked key only: it cannot leave the tenant's folder)."""
        if not KEY.match(key):
            raise ValueError("not a media key")
        return self.root / str(uuid.UUID(str(tenant_id))) / key

    def write(self, tenant_id: Any, media: PreparedMedia) -> str:
        """Write the file under a new random key (atomically: a temp file, then a rename)."""
        key = f"{media.kind}/{uuid.uuid4().hex}.{media.extension}"
        target = self.path(tenant_id, key)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.part")
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(media.data)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return key

    def remove(self, tenant_id: Any, key: str) -> None:
        self.path(tenant_id, key).unlink(missing_ok=True)

    def keys(self, tenant_id: Any) -> list[tuple[str, float]]:
        """Every stored key of a tenant with its file's modification time."""
        folder = self.root / str(uuid.UUID(str(tenant_id)))
        found = []
        for kind in sorted(KINDS):
            for file in sorted((folder / kind).glob("*")):
                key = f"{kind}/{file.name}"
                if KEY.match(key):
                    found.append((key, file.stat().st_mtime))
        return found


# --- signed URLs ----------------------------------------------------------------------------


def _url_key() -> bytes:
    return hmac.new(privacy.keyring().index_key, b"media-url", hashlib.sha256).digest()


def _signature(tenant_id: Any, key: str, expires: int) -> str:
    message = f"{uuid.UUID(str(tenant_id))}|{key}|{expires}".encode()
    mac = hmac.new(_url_key(), message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode()


def signed_url(tenant_id: Any, key: str, now: datetime, ttl: timedelta = PUBLIC_TTL) -> str:
    """``/media/<key>?exp=..&sig=..``, valid for at least ``ttl`` (expiries are rounded up to
    five minutes, so a page shown twice links the same URLs and browsers reuse their cache)."""
    expires = int((now + ttl).timestamp())
    expires += -expires % 300
    return f"/media/{key}?" + urlencode(
        {"exp": expires, "sig": _signature(tenant_id, key, expires)}
    )


def signature_ok(tenant_id: Any, key: str, exp: str, sig: str, now: datetime) -> bool:
    """True for an untampered, unexpired URL issued for this tenant."""
    if not KEY.match(key) or not exp.isdigit() or len(exp) > 12:
        return False
    expected = _signature(tenant_id, key, int(exp))
    return hmac.compare_digest(expected, sig) and now.timestamp() <= int(exp)


# --- rows and files together ----------------------------------------------------------------


def _row(tenant_id: Any, profile_id: str, media: PreparedMedia, key: str) -> ProviderMedia:
    return ProviderMedia(
        tenant=tenant_id,
        provider=profile_id,
        kind=media.kind,
        storage_key=key,
        content_type=media.content_type,
        size_bytes=len(media.data),
        width=media.width,
        height=media.height,
    )


async def save_media(
    store: MediaStore,
    tenant_id: Any,
    profile_id: str,
    kind: str,
    uploads: Sequence[Upload],
    field: str = "file",
) -> list[str]:
    """Check every file, then store all of them or none. Returns the new media ids.

    An avatar or a video replaces the provider's previous one. Raises MediaError naming
    ``field``.
    """
    if kind not in KINDS - {"certificate"}:
        raise MediaError(field, "not a kind of file this page takes")
    if not uploads:
        raise MediaError(field, "choose a file")
    if kind in SINGLE and len(uploads) > 1:
        raise MediaError(field, "choose one file")
    prepared = [
        await anyio.to_thread.run_sync(partial(prepare, upload, kind=kind, field=field))
        for upload in uploads
    ]
    written: list[str] = []
    try:
        for media in prepared:
            written.append(store.write(tenant_id, media))
        ids, replaced = await _record(tenant_id, profile_id, kind, prepared, written, field)
    except BaseException:
        for key in written:
            store.remove(tenant_id, key)
        raise
    _remove_when_committed(store, tenant_id, replaced)
    return ids


@within_tenant
async def _record(
    tenant_id: Any,
    profile_id: str,
    kind: str,
    prepared: list[PreparedMedia],
    keys: list[str],
    field: str,
) -> tuple[list[str], list[str]]:
    """The rows of files just written; returns their ids and the keys of replaced files."""
    async with write_transaction():
        if kind == "photo":
            have = await ProviderMedia.count().where(
                (ProviderMedia.tenant == tenant_id)
                & (ProviderMedia.provider == profile_id)
                & (ProviderMedia.kind == "photo")
            )
            if have + len(prepared) > PHOTO_LIMIT:
                raise MediaError(field, "at most 9 photos: remove some first")
        replaced = []
        if kind in SINGLE:
            replaced = (
                await ProviderMedia.delete()
                .where(
                    (ProviderMedia.tenant == tenant_id)
                    & (ProviderMedia.provider == profile_id)
                    & (ProviderMedia.kind == kind)
                )
                .returning(ProviderMedia.storage_key)
            )
        rows = [
            _row(tenant_id, profile_id, media, key)
            for media, key in zip(prepared, keys, strict=True)
        ]
        await ProviderMedia.insert(*rows)
    return [str(row.id) for row in rows], [r["storage_key"] for r in replaced]


def _remove_when_committed(store: MediaStore, tenant_id: Any, keys: list[str]) -> None:
    """Remove the files of deleted rows now if the deletion is committed; inside a request's
    transaction (which could still roll back) ``sweep_orphans`` removes them later."""
    if ProviderMedia._meta.db.current_transaction.get() is None:
        for key in keys:
            store.remove(tenant_id, key)


async def insert_media_row(tenant_id: Any, profile_id: str, media: PreparedMedia, key: str) -> str:
    """The row of a file already written (inside the caller's transaction)."""
    row = _row(tenant_id, profile_id, media, key)
    await ProviderMedia.insert(row)
    return str(row.id)


async def delete_media(store: MediaStore, tenant_id: Any, profile_id: str, media_id: str) -> None:
    """Remove one of the provider's photos, video or avatar (certificate images stay with
    their certificate). Unknown or another provider's: LookupError."""
    try:
        wanted = uuid.UUID(media_id)
    except ValueError:
        raise LookupError(media_id) from None
    gone = await _forget(tenant_id, profile_id, wanted)
    if not gone:
        raise LookupError(media_id)
    _remove_when_committed(store, tenant_id, gone)


@within_tenant
async def _forget(tenant_id: Any, profile_id: str, media_id: uuid.UUID) -> list[str]:
    async with write_transaction():
        gone = (
            await ProviderMedia.delete()
            .where(
                (ProviderMedia.id == media_id)
                & (ProviderMedia.tenant == tenant_id)
                & (ProviderMedia.provider == profile_id)
                & (ProviderMedia.kind != "certificate")
            )
            .returning(ProviderMedia.storage_key)
        )
    return [row["storage_key"] for row in gone]


@within_tenant
async def media_of(tenant_id: Any, profile_id: str) -> list[dict[str, Any]]:
    return list(
        await ProviderMedia.select()
        .where((ProviderMedia.tenant == tenant_id) & (ProviderMedia.provider == profile_id))
        .order_by(ProviderMedia.created_at)
    )


@within_tenant
async def is_stored(tenant_id: Any, key: str) -> bool:
    """Whether ``key`` is a file of this tenant that still has its row."""
    return bool(
        await ProviderMedia.exists().where(
            (ProviderMedia.tenant == tenant_id) & (ProviderMedia.storage_key == key)
        )
    )


async def sweep_orphans(store: MediaStore, tenant_id: Any, now: datetime | None = None) -> int:
    """Remove files without a row that are older than an hour (younger ones may belong to an
    upload still being committed). Idempotent; returns how many went."""
    now = now or datetime.now(UTC)
    known = await _known_keys(tenant_id)
    cutoff = (now - ORPHAN_GRACE).timestamp()
    removed = 0
    for key, modified in store.keys(tenant_id):
        if key not in known and modified < cutoff:
            store.remove(tenant_id, key)
            removed += 1
    return removed


@within_tenant
async def _known_keys(tenant_id: Any) -> set[str]:
    rows = await ProviderMedia.select(ProviderMedia.storage_key).where(
        ProviderMedia.tenant == tenant_id
    )
    return {row["storage_key"] for row in rows}
