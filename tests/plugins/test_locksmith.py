"""Locksmith, in the customer's words: night and urgent surcharges, police filing, proof."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.booking.schemas import BookingDraft, ValidationProblem
from core.catalog.service import item_requirements
from core.tenancy.model import Tenant
from tests.catalog.helpers import (
    NOW,
    TOMORROW_10,
    catalog_of,
    check_tenant,
    copy_tenants,
    edit_tenant,
    flat,
    line_label,
    lines,
    price,
    problem_keys,
    refusal,
    set_vertical,
    shanghai,
    tenant_with,
)

LOCK_CHANGE = "locksmith.lock_change"
DOOR = "locksmith.door_unlock"
AT_HOME = {"proof_type": "id_card_address"}


def test_a_lock_change_at_23_30_carries_the_night_surcharge(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, LOCK_CHANGE, "grade_b", when=shanghai(1, 23, 30))

    assert lines(found) == {"base": 15_000, "locksmith.night_surcharge": 5000}
    assert found.total_fen == 20_000
    assert line_label(found, "locksmith.night_surcharge") == "Night service"


def test_a_lock_change_in_the_afternoon_has_no_surcharge(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, LOCK_CHANGE, "grade_b", when=shanghai(1, 14, 30))

    assert lines(found) == {"base": 15_000}


def test_a_locksmith_wanted_within_2_hours_carries_the_urgent_surcharge(
    plugins, wanjia: Tenant
) -> None:
    soon = price(plugins, wanjia, DOOR, "security_door", AT_HOME, when=NOW + timedelta(minutes=40))
    later = price(plugins, wanjia, DOOR, "security_door", AT_HOME, when=NOW + timedelta(hours=5))

    assert lines(soon) == {"base": 15_000, "locksmith.urgent_surcharge": 3000}
    assert lines(later) == {"base": 15_000}


def test_locked_out_at_midnight_pays_both_surcharges(plugins, wanjia: Tenant) -> None:
    midnight = shanghai(1, 0, 0)
    found = price(
        plugins,
        wanjia,
        DOOR,
        "standard",
        AT_HOME,
        when=midnight,
        now=midnight - timedelta(minutes=20),
    )

    assert lines(found) == {
        "base": 12_000,
        "locksmith.urgent_surcharge": 3000,
        "locksmith.night_surcharge": 5000,
    }


def test_a_tenant_sets_its_own_night_hours_and_surcharge(tmp_path: Path, settings, plugins) -> None:
    tenant = tenant_with(
        tmp_path,
        settings,
        plugins,
        "wanjia",
        "locksmith",
        {"night_start_hour": 20, "night_end_hour": 6, "night_surcharge_fen": 8000},
    )

    at_21 = price(plugins, tenant, LOCK_CHANGE, "grade_b", when=shanghai(1, 21))
    at_06 = price(plugins, tenant, LOCK_CHANGE, "grade_b", when=shanghai(1, 6))

    assert lines(at_21)["locksmith.night_surcharge"] == 8000
    assert "locksmith.night_surcharge" not in lines(at_06)


def test_every_locksmith_item_requires_a_police_filing(plugins, wanjia: Tenant) -> None:
    locksmith = [i for i in catalog_of(plugins, wanjia).items if i.vertical == "locksmith"]
    assert {i.key for i in locksmith} == {
        "door_unlock",
        "car_unlock",
        "safe_unlock",
        "lock_change",
        "smart_lock_install",
    }

    for item in locksmith:
        filing = {r.code: r for r in item_requirements(plugins, wanjia, item)}["police_filing"]
        assert filing.label == {"zh_CN": "公安备案", "en": "Police filing"}, item.ref


GARAGE = {
    "category": "unlock",
    "item": {
        "key": "garage_unlock",
        "label": {"zh_CN": "开车库门", "en": "Garage door unlocking"},
        "tags": ["unlock"],
        "intake": [
            {
                "key": "proof_type",
                "label": {"zh_CN": "车位证明", "en": "Proof of the parking space"},
                "kind": "choice",
                "choices": {"parking_contract": {"zh_CN": "车位合同", "en": "Parking contract"}},
            }
        ],
        "tiers": [
            {
                "key": "standard",
                "label": {"zh_CN": "标准", "en": "Standard"},
                "price_fen": 15_000,
                "price_min_fen": 10_000,
                "price_max_fen": 25_000,
                "duration_minutes": 45,
            }
        ],
    },
}


def test_a_tenants_own_locksmith_item_requires_a_police_filing_too(
    tmp_path: Path, settings, plugins
) -> None:
    tenant = tenant_with(
        tmp_path, settings, plugins, "wanjia", "locksmith", {"extra_items": [GARAGE]}
    )
    garage = catalog_of(plugins, tenant).item("locksmith.garage_unlock")
    assert garage is not None

    assert "police_filing" in {r.code for r in item_requirements(plugins, tenant, garage)}


def test_an_unlock_job_cannot_be_quoted_without_the_customers_proof(
    plugins, wanjia: Tenant
) -> None:
    for item in (DOOR, "locksmith.car_unlock", "locksmith.safe_unlock"):
        assert refusal(lambda item=item: price(plugins, wanjia, item, "standard")) == {
            "intake.proof_type": "is required"
        }, item


def test_proof_must_be_one_the_locksmith_accepts(plugins, wanjia: Tenant) -> None:
    problems = refusal(
        lambda: price(plugins, wanjia, DOOR, "standard", {"proof_type": "my word for it"})
    )

    assert list(problems) == ["intake.proof_type"]
    assert problems["intake.proof_type"].startswith("must be one of: id_card_address")


# --- booking checks ----------------------------------------------------------------------------


def booking_problems(
    plugins,
    tenant: Tenant,
    item: str,
    tier: str = "standard",
    **intake: Any,  # type: ignore[no-untyped-def]
) -> list[ValidationProblem]:
    draft = BookingDraft(
        vertical="locksmith", item=item, tier=tier, starts_at=TOMORROW_10, intake=intake
    )
    return flat(plugins.for_tenant(tenant).validate_booking(draft=draft))


@pytest.mark.parametrize("item", ["door_unlock", "car_unlock", "safe_unlock"])
def test_an_unlock_job_records_the_customers_proof_of_residence_or_ownership(
    plugins, wanjia: Tenant, item: str
) -> None:
    [problem] = booking_problems(plugins, wanjia, item)

    assert problem.field == "intake.proof_type"
    assert "proof of residence or ownership" in problem.reason
    assert booking_problems(plugins, wanjia, item, proof_type="property_certificate") == []


def test_changing_a_lock_needs_no_proof_of_residence(plugins, wanjia: Tenant) -> None:
    assert booking_problems(plugins, wanjia, "lock_change", tier="grade_b") == []


def test_a_tenants_own_unlock_item_records_the_proof_too(tmp_path: Path, settings, plugins) -> None:
    tenant = tenant_with(
        tmp_path, settings, plugins, "wanjia", "locksmith", {"extra_items": [GARAGE]}
    )

    assert [p.field for p in booking_problems(plugins, tenant, "garage_unlock")] == [
        "intake.proof_type"
    ]
    assert booking_problems(plugins, tenant, "garage_unlock", proof_type="parking_contract") == []


def test_the_proof_is_kept_for_the_period_the_tenant_configures(
    tmp_path: Path, settings, plugins, wanjia: Tenant
) -> None:
    from plugins.locksmith.config import LocksmithConfig

    assert wanjia.vertical_config("locksmith", LocksmithConfig).proof_retention_days == 365
    path = edit_tenant(
        copy_tenants(tmp_path), "wanjia", set_vertical("locksmith", {"proof_retention_days": 7})
    )

    tenant, problems = check_tenant(settings, plugins, path)

    assert tenant is None
    assert list(problem_keys(problems)) == ["verticals.locksmith.proof_retention_days"]
