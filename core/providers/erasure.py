"""A provider's side of deleting an account: what the kit knows about them as a provider goes
with the account (``core.accounts.rights.delete_account`` calls this inside its transaction).

The profile row stays, suspended, under its random id (bookings, reviews and money records
point at it); its name and bio, the identity record (ID number, real name, address), the
numbers of certificates and police filing, and every photo, video and certificate image are
erased. Which checks passed, and when, stays: it is what the records of past visits rest on.
"""

from __future__ import annotations

from typing import Any

from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.providers.storage import MediaStore, _remove_when_committed
from core.providers.tables import ProviderMedia, ProviderProfile
from core.tenancy.scoped import scoped

DELETED = "account deleted"


async def erase_provider(tenant_id: Any, owner: Any) -> list[str] | None:
    """Erase the provider profile of user ``owner`` (None if there is none); returns the
    storage keys of the files to remove once the caller's write transaction is committed
    (``remove_files``)."""
    from core.verification.tables import Certificate, IdentityRecord, PoliceFiling

    pid = await provider_id_of(tenant_id, owner)
    if pid is None:
        return None
    await (
        scoped(ProviderProfile, tenant_id)
        .update(
            {
                ProviderProfile.name_enc: None,
                ProviderProfile.bio: "",
                ProviderProfile.status: "suspended",
                ProviderProfile.status_reason: DELETED,
            }
        )
        .where(ProviderProfile.id == pid)
    )
    await bump_matching_version(tenant_id, pid)
    await scoped(IdentityRecord, tenant_id).delete().where(IdentityRecord.provider == pid)
    await (
        scoped(Certificate, tenant_id)
        .update(
            {
                Certificate.number_enc: privacy.seal(
                    "", field="certificate.number", tenant_id=tenant_id
                ),
                Certificate.image: None,
            }
        )
        .where(Certificate.provider == pid)
    )
    await (
        scoped(PoliceFiling, tenant_id)
        .update(
            {
                PoliceFiling.filing_number_enc: privacy.seal(
                    "", field="police_filing.number", tenant_id=tenant_id
                )
            }
        )
        .where(PoliceFiling.provider == pid)
    )
    gone = (
        await scoped(ProviderMedia, tenant_id)
        .delete()
        .where(ProviderMedia.provider == pid)
        .returning(ProviderMedia.storage_key)
    )
    return [row["storage_key"] for row in gone]


def remove_files(store: MediaStore, tenant_id: Any, keys: list[str]) -> None:
    """The erased files, now if their rows' deletion is committed; inside a request's
    transaction (which could still roll back) the orphan sweep removes them later."""
    _remove_when_committed(store, tenant_id, keys)


async def provider_id_of(tenant_id: Any, owner: Any) -> Any:
    """The provider profile id of user ``owner``, or None."""
    found = (
        await scoped(ProviderProfile, tenant_id)
        .select(ProviderProfile.id)
        .where(ProviderProfile.user == owner)
        .first()
    )
    return found["id"] if found else None
