"""The keyring: data keys (AES-256-GCM, each with an id) and the blind-index key.

Production passes keys in the environment:
``DOORSTEP_DATA_KEYS="k2:<base64 32 bytes>,k1:<base64>"`` (the first one encrypts, all decrypt)
and ``DOORSTEP_INDEX_KEY=<base64 32 bytes>``. Without them, the process uses
``var/keys.json`` (mode 0600), which ``doorstep migrate`` creates on first run for the
embedded install and the demo.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings


class KeyringError(Exception):
    pass


@dataclass(frozen=True)
class Keyring:
    data_keys: dict[str, bytes]
    current: str
    index_key: bytes

    def key(self, key_id: str) -> bytes:
        try:
            return self.data_keys[key_id]
        except KeyError:
            raise KeyringError(f"data key {key_id!r} is not in the keyring") from None


def _b64key(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raise KeyringError(f"{what} is not base64") from None
    if len(raw) != 32:
        raise KeyringError(f"{what} must be 32 bytes")
    return raw


def parse_data_keys(text: str) -> tuple[dict[str, bytes], str]:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key_id, _, value = part.partition(":")
        if not key_id.isalnum():
            raise KeyringError(f"key id {key_id!r} must be letters and digits")
        keys[key_id] = _b64key(value, f"data key {key_id}")
        order.append(key_id)
    if not keys:
        raise KeyringError("no data keys given")
    return keys, order[0]


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def keys_file(settings: Settings) -> Path:
    return settings.var_dir / "keys.json"


def load_keyring(settings: Settings) -> Keyring:
    """Keys from the environment, else from ``var/keys.json``. Raises KeyringError."""
    env_data, env_index = os.environ.get("DOORSTEP_DATA_KEYS"), os.environ.get("DOORSTEP_INDEX_KEY")
    if env_data or env_index:
        if not (env_data and env_index):
            raise KeyringError("set both DOORSTEP_DATA_KEYS and DOORSTEP_INDEX_KEY")
        keys, current = parse_data_keys(env_data)
        return Keyring(keys, current, _b64key(env_index, "DOORSTEP_INDEX_KEY"))
    path = keys_file(settings)
    if not path.is_file():
        raise KeyringError(
            "no personal-data keys: set DOORSTEP_DATA_KEYS and DOORSTEP_INDEX_KEY, "
            f"or run 'doorstep migrate' to create {path}"
        )
    doc = json.loads(path.read_text())
    keys, current = parse_data_keys(",".join(f"{k}:{v}" for k, v in doc["data_keys"]))
    return Keyring(keys, current, _b64key(doc["index_key"], "index_key"))


def ensure_keys_file(settings: Settings) -> bool:
    """Create ``var/keys.json`` when no keys are configured at all. Returns True if created."""
    if os.environ.get("DOORSTEP_DATA_KEYS") or keys_file(settings).exists():
        return False
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    path = keys_file(settings)
    doc = {"data_keys": [["k1", new_key()]], "index_key": new_key()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)
    return True


def add_data_key(settings: Settings) -> str:
    """Put a new current data key in ``var/keys.json`` (old ones stay to decrypt)."""
    path = keys_file(settings)
    if os.environ.get("DOORSTEP_DATA_KEYS"):
        raise KeyringError(
            "keys come from DOORSTEP_DATA_KEYS: add the new key there, first in the list"
        )
    doc = json.loads(path.read_text())
    used = {k for k, _ in doc["data_keys"]}
    number = 1 + max(int(k[1:]) for k in used if k[1:].isdigit())
    key_id = f"k{number}"
    doc["data_keys"].insert(0, [key_id, new_key()])
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)
    tmp.replace(path)
    return key_id
