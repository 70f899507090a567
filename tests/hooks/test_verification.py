"""Certification and identity hooks: what a provider must prove, and who checks it."""

from __future__ import annotations

from core.catalog.schemas import ServiceItem
from core.tenancy.model import Tenant
from core.verification.schemas import (
    CertificationCheck,
    CertificationRequirement,
    CheckOutcome,
    IdentityVerifier,
)
from tests.hooks.host import (
    GARDENING,
    GARDENING_VERTICAL,
    concatenated,
    host,
    plugin,
    service_item,
    vertical_plugin,
)


def chainsaw_licence(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    if "tree_felling" not in item.required_skills:
        return []
    return [CertificationRequirement(code="gardening.chainsaw_licence", label={"en": "Chainsaw"})]


def health_certificate(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    return [CertificationRequirement(code="platform.health_certificate", label={"en": "Health"})]


def test_hook_required_certifications(jiejia: Tenant, garden: Tenant) -> None:
    """Felling a tree needs a chainsaw licence where gardening is enabled; health, everywhere."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, required_certifications=chainsaw_licence),
        plugin("platform", required_certifications=health_certificate),
    )
    felling = service_item(GARDENING, "felling", required_skills=["tree_felling"])

    def required(tenant: Tenant, item: ServiceItem) -> list[str]:
        found = pm.for_tenant(tenant).required_certifications(item=item)
        return [r.code for r in concatenated(found)]

    assert required(garden, felling) == [
        "platform.health_certificate",
        "gardening.chainsaw_licence",
    ]
    assert required(garden, service_item(GARDENING, "hedges")) == ["platform.health_certificate"]
    assert required(jiejia, felling) == ["platform.health_certificate"]


class ChainsawLicenceCheck(CertificationCheck):
    code = "gardening.chainsaw_licence"

    async def run(self, provider_id: str, evidence: dict[str, str]) -> CheckOutcome:
        return CheckOutcome(status="passed" if evidence.get("licence_no") else "failed")


class PoliceRecordCheck(CertificationCheck):
    code = "platform.police_record"

    async def run(self, provider_id: str, evidence: dict[str, str]) -> CheckOutcome:
        return CheckOutcome(status="pending")


async def test_hook_certification_checks(jiejia: Tenant, garden: Tenant) -> None:
    """The chainsaw-licence check runs only for tenants offering gardening."""
    pm = host(
        vertical_plugin(
            GARDENING_VERTICAL, certification_checks=lambda tenant: [ChainsawLicenceCheck()]
        ),
        plugin("platform", certification_checks=lambda tenant: [PoliceRecordCheck()]),
    )
    garden_checks = concatenated(pm.for_tenant(garden).certification_checks())
    jiejia_checks = concatenated(pm.for_tenant(jiejia).certification_checks())

    assert [c.code for c in garden_checks] == [
        "platform.police_record",
        "gardening.chainsaw_licence",
    ]
    assert [c.code for c in jiejia_checks] == ["platform.police_record"]
    # the hook hands back the check; core awaits it
    outcome = await garden_checks[1].run("provider-1", {"licence_no": "SH-0042"})
    assert outcome.status == "passed"


class RealNameVerifier(IdentityVerifier):
    identifier = "real_name"


class ArboristRegistry(IdentityVerifier):
    identifier = "gardening.arborist_registry"


def test_hook_identity_verifiers(jiejia: Tenant, wanjia: Tenant, garden: Tenant) -> None:
    """A vertical-less e-KYC plugin serves every tenant; a gardening one only gardening tenants."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, identity_verifiers=lambda tenant: [ArboristRegistry()]),
        plugin("ekyc", identity_verifiers=lambda tenant: [RealNameVerifier()]),
    )

    def verifiers(tenant: Tenant) -> list[str]:
        return [v.identifier for v in concatenated(pm.for_tenant(tenant).identity_verifiers())]

    # Core's demo vendor answers last, behind every installed verifier.
    assert verifiers(garden) == ["real_name", "gardening.arborist_registry", "demo"]
    assert verifiers(jiejia) == ["real_name", "demo"]
    assert verifiers(wanjia) == ["real_name", "demo"]


def test_hook_training_courses(plugins, jiejia: Tenant, wanjia: Tenant) -> None:
    """A tenant's providers take the courses of its enabled verticals only, from the plugins."""

    def courses(tenant: Tenant) -> list[str]:
        return sorted(
            c.key for found in plugins.for_tenant(tenant).training_courses() for c in found
        )

    assert courses(jiejia) == ["housekeeping.service_basics"]
    assert courses(wanjia) == [
        "housekeeping.service_basics",
        "locksmith.service_basics",
        "repair.service_basics",
        "tutoring.service_basics",
    ]
    housekeeping = next(c for found in plugins.for_tenant(jiejia).training_courses() for c in found)
    assert housekeeping.vertical == "housekeeping"
    assert all(q.answer in q.choices for q in housekeeping.quiz)
