"""Field-level encryption (AES-256-GCM) and keyed blind indexes.

A stored value reads ``v1:<key id>:<base64 nonce+ciphertext>``. The associated data binds it to
its field and tenant, so a ciphertext copied into another column or tenant does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.privacy.keys import Keyring

PREFIX = "v1"


class DecryptionError(Exception):
    pass


def _aad(field: str, tenant: str) -> bytes:
    return f"{field}|{tenant}".encode()


def _cipher(key: bytes) -> AESGCM:
    """The cipher of ``key``, made once (making one costs twice what a short value's sealing
    does; a booking seals and unseals several)."""
    found = _ciphers.get(key)
    if found is None:
        if len(_ciphers) >= _CIPHERS_MAX:
            _ciphers.clear()
        found = _ciphers[key] = AESGCM(key)
    return found


_ciphers: dict[bytes, AESGCM] = {}
_CIPHERS_MAX = 64


def encrypt(keyring: Keyring, plaintext: str, *, field: str, tenant: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _cipher(keyring.key(keyring.current)).encrypt(
        nonce, plaintext.encode(), _aad(field, tenant)
    )
    return f"{PREFIX}:{keyring.current}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    return parts[1]


def decrypt(keyring: Keyring, stored: str, *, field: str, tenant: str) -> str:
    key_id = key_id_of(stored)
    try:
        raw = base64.b64decode(stored.split(":", 2)[2])
        clear = _cipher(keyring.key(key_id)).decrypt(raw[:12], raw[12:], _aad(field, tenant))
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(f"cannot decrypt {field}") from exc
    return clear.decode()


def blind_index(keyring: Keyring, value: str, *, purpose: str, tenant: str) -> str:
    """A keyed hash for equality lookups (by phone, by email) without storing the value."""
    message = f"{purpose}|{tenant}|{value}".encode()
    return hmac.new(keyring.index_key, message, hashlib.sha256).hexdigest()[:40]
