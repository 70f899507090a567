"""The stand-in gateways' keys: generated once into ``var/payments_standin.json`` (mode 0600,
like the personal-data keys), never committed; tests generate fresh ones with ``generate``."""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.payments import crypto

FILE_NAME = "payments_standin.json"


@dataclass(frozen=True)
class StandinKeys:
    wechat_merchant: str
    """The merchant's API private key (PEM): requests are signed with it."""
    wechat_platform: str
    """WeChat Pay's private key (PEM): the stand-in signs answers and callbacks with it."""
    wechat_platform_serial: str
    wechat_v3_key: str
    """The APIv3 key: 32 characters, the AES-256-GCM key of callback resources."""
    alipay_app: str
    alipay_gateway: str
    card_secret: str

    @classmethod
    def generate(cls) -> StandinKeys:
        alphabet = string.ascii_letters + string.digits
        return cls(
            wechat_merchant=crypto.private_pem(crypto.new_rsa_key()),
            wechat_platform=crypto.private_pem(crypto.new_rsa_key()),
            wechat_platform_serial="PUB_KEY_ID_" + secrets.token_hex(12).upper(),
            wechat_v3_key="".join(secrets.choice(alphabet) for _ in range(32)),
            alipay_app=crypto.private_pem(crypto.new_rsa_key()),
            alipay_gateway=crypto.private_pem(crypto.new_rsa_key()),
            card_secret=secrets.token_hex(32),
        )

    def merchant_settings(self, identifier: str) -> dict[str, Any]:
        """What the tenant would otherwise set through ``{$env: NAME}`` for ``identifier``."""
        if identifier == "wechat_pay":
            return {
                "merchant_private_key": self.wechat_merchant,
                "merchant_serial_no": "STANDIN-MERCHANT-SERIAL",
                "api_v3_key": self.wechat_v3_key,
                "platform_serial": self.wechat_platform_serial,
                "platform_public_key": crypto.public_pem(crypto.load_private(self.wechat_platform)),
            }
        if identifier == "alipay":
            return {
                "app_private_key": self.alipay_app,
                "alipay_public_key": crypto.public_pem(crypto.load_private(self.alipay_gateway)),
            }
        if identifier == "card":
            return {"webhook_secret": self.card_secret}
        return {}


def load_or_create(var_dir: Path) -> StandinKeys:
    path = var_dir / FILE_NAME
    if path.is_file():
        return StandinKeys(**json.loads(path.read_text()))
    keys = StandinKeys.generate()
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made them first
        return StandinKeys(**json.loads(path.read_text()))
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(keys), fh)
    return keys
