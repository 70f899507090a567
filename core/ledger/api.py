"""Ledger API v1: a provider's balance and monthly statement; compensating a customer from the
provider's deposit (after-sales, staff only). Thin: the rules are ``core.ledger.provider_postings``.

Who may: the provider sees their own figures; admin and support staff see any provider's and
may compensate; anyone else gets a 404 (a provider of another tenant is no provider here)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking.tables import Booking
from core.catalog.api import request_problems
from core.catalog.schemas_api import Api, ProblemOut, ProblemsOut
from core.ledger.balances import provider_balances
from core.ledger.chart import LedgerError
from core.ledger.pages import month_bounds
from core.ledger.provider_postings import InsufficientDeposit, compensate_from_deposit
from core.ledger.settlement import available_payable, cutoff_for
from core.ledger.statements import provider_statement
from core.providers.onboarding import profile_of_user
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant
from core.web.auth import signed_in
from core.web.tenant import request_tenant

MONEY_STAFF = ("admin", "support")
REFUSALS = {
    400: ResponseSpec(data_container=ProblemsOut, description="Bad input, naming each field"),
    403: ResponseSpec(data_container=ProblemsOut, description="Your role may not do this"),
    404: ResponseSpec(data_container=ProblemsOut, description="No such provider or booking"),
    409: ResponseSpec(data_container=ProblemsOut, description="More than the deposit holds"),
}
WIRE = {"amount_fen": "amountFen", "booking_id": "bookingId", "reason": "reason"}


class CompensateIn(Api, forbid_unknown_fields=True):
    booking_id: uuid.UUID
    amount_fen: int
    reason: str
    idempotency_key: str
    """Your key for this compensation: sending it again compensates once."""


class CompensationOut(Api):
    journal_id: str
    deposit_left_fen: int
    currency: str


class BalanceOut(Api):
    provider_id: str
    payable_fen: int
    """Earned, not yet paid out."""
    available_fen: int
    """Past the holding period: what the next settlement pays (before netting)."""
    deposit_fen: int
    owed_fen: int
    """Cash collected and other amounts the provider owes the platform."""
    net_fen: int
    currency: str


class StatementLineOut(Api):
    booking_id: str | None
    first_at: datetime
    gross_fen: int
    commission_fen: int
    fees_fen: int
    adjustments_fen: int
    net_fen: int


class StatementOut(Api):
    provider_id: str
    month: str
    lines: list[StatementLineOut]
    gross_fen: int
    commission_fen: int
    fees_fen: int
    adjustments_fen: int
    net_fen: int
    paid_out_fen: int
    currency: str


def _problem(status: int, field: str, reason: str) -> Response[Any]:
    name = WIRE.get(field, field)
    return Response(
        ProblemsOut(
            status_code=status,
            detail=f"{name}: {reason}",
            problems=[ProblemOut(field=name, reason=reason)],
        ),
        status_code=status,
    )


@within_tenant
async def _provider_exists(tenant_id: str, provider_id: uuid.UUID) -> bool:
    return bool(
        await scoped(ProviderProfile, tenant_id).exists().where(ProviderProfile.id == provider_id)
    )


@within_tenant
async def _booking_provider(tenant_id: str, booking_id: uuid.UUID) -> str | None:
    row = (
        await scoped(Booking, tenant_id)
        .select(Booking.provider)
        .where(Booking.id == booking_id)
        .first()
    )
    if row is None:
        raise NotFoundException(detail="bookingId: no such booking")
    return None if row["provider"] is None else str(row["provider"])


class LedgerApi(Controller):
    path = "/api/v1/providers/{provider_id:uuid}"
    tags = ["ledger"]
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {ClientException: request_problems}

    async def _allowed(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        provider_id: uuid.UUID,
        *,
        staff_only: bool = False,
    ) -> str:
        """The tenant id if the caller may see (or, ``staff_only``, act on) this provider."""
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        if not await _provider_exists(tenant_id, provider_id):
            raise NotFoundException(detail="providerId: no such provider")
        if user.is_staff:
            if not user.has_role(*MONEY_STAFF):
                raise PermissionDeniedException(detail="only admin or support staff")
            return tenant_id
        if not staff_only:
            own = await profile_of_user(user.id, tenant_id)
            if own is not None and str(own["id"]) == str(provider_id):
                return tenant_id
        raise NotFoundException(detail="providerId: no such provider")

    @get(
        "/balance",
        operation_id="getProviderBalance",
        summary="A provider's balances",
        responses=REFUSALS,
    )
    async def balance(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        provider_id: FromPath[uuid.UUID],
    ) -> BalanceOut:
        tenant_id = await self._allowed(request, tenant, provider_id)
        found = await provider_balances(tenant_id, provider_id)
        today = datetime.now(UTC).date()
        available = await available_payable(tenant_id, str(provider_id), cutoff_for(tenant, today))
        return BalanceOut(
            provider_id=str(provider_id),
            payable_fen=found.payable,
            available_fen=available,
            deposit_fen=found.deposit,
            owed_fen=found.cash_owed + found.receivable,
            net_fen=found.net,
            currency=tenant.config.currency,
        )

    @get(
        "/statement",
        operation_id="getProviderStatement",
        summary="A provider's statement of one month: every booking with gross, commission, "
        "fees, adjustments and net",
        responses=REFUSALS,
    )
    async def statement(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        provider_id: FromPath[uuid.UUID],
        month: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await self._allowed(request, tenant, provider_id)
        if month is not None and not _is_month(month):
            return _problem(400, "month", "use YYYY-MM, e.g. 2026-03")
        first, start, end = month_bounds(tenant, month, datetime.now(UTC))
        found = await provider_statement(tenant_id, provider_id, start, end)
        totals = found.totals
        return Response(
            StatementOut(
                provider_id=str(provider_id),
                month=f"{first:%Y-%m}",
                lines=[
                    StatementLineOut(
                        booking_id=line.booking_id or None,
                        first_at=line.first_at,
                        gross_fen=line.gross,
                        commission_fen=line.commission,
                        fees_fen=line.fees,
                        adjustments_fen=line.adjustments,
                        net_fen=line.net,
                    )
                    for line in found.lines
                ],
                gross_fen=totals.gross,
                commission_fen=totals.commission,
                fees_fen=totals.fees,
                adjustments_fen=totals.adjustments,
                net_fen=totals.net,
                paid_out_fen=found.paid_out,
                currency=tenant.config.currency,
            )
        )

    @post(
        "/compensations",
        operation_id="compensateFromDeposit",
        summary="Compensate a customer from the provider's deposit (after-sales; admin or support)",
        status_code=201,
        responses=REFUSALS,
    )
    async def compensate(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        provider_id: FromPath[uuid.UUID],
        data: JSONBody[CompensateIn],
    ) -> Response[Any]:
        tenant_id = await self._allowed(request, tenant, provider_id, staff_only=True)
        key = data.idempotency_key.strip()
        if not 0 < len(key) <= 100:
            return _problem(400, "idempotencyKey", "1 to 100 characters")
        booked = await _booking_provider(tenant_id, data.booking_id)
        if booked != str(provider_id):
            return _problem(400, "booking_id", "not a booking of this provider")
        try:
            journal = await compensate_from_deposit(
                tenant,
                tenant_id,
                provider_id=provider_id,
                booking_id=data.booking_id,
                amount_fen=data.amount_fen,
                reason=data.reason[:300],
                at=datetime.now(UTC),
                event_key=f"compensation:{provider_id}:{key}",
            )
        except InsufficientDeposit as exc:
            return _problem(409, exc.field, exc.reason)
        except LedgerError as exc:
            return _problem(400, exc.field, exc.reason)
        left = await provider_balances(tenant_id, provider_id)
        return Response(
            CompensationOut(
                journal_id=str(journal),
                deposit_left_fen=left.deposit,
                currency=tenant.config.currency,
            ),
            status_code=201,
        )


def _is_month(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        return False
    return True
