"""Core's own verifier: the demo vendor (a real tenant plugs its e-KYC vendor in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hookspecs import hookimpl
from core.verification.demo import DemoVerifier
from core.verification.schemas import IdentityVerifier

if TYPE_CHECKING:
    from core.tenancy.model import Tenant


@hookimpl(trylast=True)
def identity_verifiers(tenant: Tenant) -> list[IdentityVerifier]:
    return [DemoVerifier()]
