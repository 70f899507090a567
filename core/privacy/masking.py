"""How personal data looks to those who do not need the clear value."""

from __future__ import annotations


def mask_phone(e164: str) -> str:
    """``+8613812341234`` -> ``138****1234`` (mainland numbers shown without the country code)."""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(value: str) -> str:
    """Only the first and last characters: ``1***************X``."""
    if len(value) <= 2:
        return "*" * len(value)
    return f"{value[0]}{'*' * (len(value) - 2)}{value[-1]}"


def mask_name(value: str) -> str:
    """``王小明`` -> ``王**``; ``Alice Smith`` -> ``A****``."""
    value = value.strip()
    if not value:
        return ""
    return value[0] + "*" * max(1, min(len(value) - 1, 4))


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else mask_name(value)
