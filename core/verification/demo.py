"""A demo e-KYC vendor: asynchronous results, rejections and time-outs, with no network.

Outcomes are decided from the evidence, so tests and the demo can ask for each: a name
containing "拒绝" or "reject" is rejected; "超时" or "timeout" never answers (core times it out);
anything else passes a few seconds after it was submitted. The vendor reference carries the
outcome and the time it is ready, so any process can answer for it (as a vendor would).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from core.verification.schemas import CheckOutcome, IdentityVerifier

READY_AFTER_S = 3


class DemoVerifier(IdentityVerifier):
    identifier = "demo"
    label = {"zh_CN": "演示核验服务", "en": "Demo verification vendor"}

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    async def start(self, provider_id: str, evidence: dict[str, str]) -> str:
        name = evidence.get("real_name", "").lower()
        if "拒绝" in name or "reject" in name:
            outcome = "reject"
        elif "超时" in name or "timeout" in name:
            outcome = "silent"
        else:
            outcome = "pass"
        ready = int(self._clock()) + READY_AFTER_S
        return f"demo:{outcome}:{ready}:{uuid.uuid4().hex[:12]}"

    async def result(self, reference: str) -> CheckOutcome:
        try:
            _, outcome, ready, _ = reference.split(":")
        except ValueError:
            return CheckOutcome(status="failed", reason="unknown reference")
        if outcome == "silent" or self._clock() < int(ready):
            return CheckOutcome(status="pending")
        if outcome == "reject":
            return CheckOutcome(status="failed", reason="the name does not match the ID card")
        return CheckOutcome(status="passed")
