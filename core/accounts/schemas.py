"""Who is making a request, as the web layer and services see it."""

from __future__ import annotations

from typing import Literal

import msgspec

STAFF_ROLES = ("admin", "dispatcher", "support", "safety_officer", "quality_inspector")
Kind = Literal["customer", "provider", "staff", "operator"]


class CurrentUser(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    tenant_id: str
    """The tenant this session or token works on (an operator's is the host's tenant)."""
    kind: str
    roles: tuple[str, ...] = ()
    via: Literal["session", "token"] = "session"
    session_id: str = ""

    def has_role(self, *roles: str) -> bool:
        return self.kind == "operator" or any(r in self.roles for r in roles)

    @property
    def is_staff(self) -> bool:
        return self.kind in {"staff", "operator"}
