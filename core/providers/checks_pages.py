"""The onboarding wizard, second half: identity (with the vendor's face check), certificates,
the police filing, training, submitting for review; and the provider's status page.

The kit never sees a face: the vendor's check on the phone hands back a liveness token, and
only the vendor's result is kept. The demo vendor's "face check" issues a token without any
camera.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.accounts.forms import form_of
from core.providers.media import IMAGE_MAX_BYTES, MediaError
from core.providers.onboarding import add_certificate
from core.providers.service import ProfileError
from core.providers.steps import show
from core.providers.web import (
    JOIN,
    NotAProvider,
    ProviderRequest,
    day,
    go,
    into_join,
    not_found,
    provider_request,
    text,
    uploads,
    verifiers_of,
)
from core.tenancy.model import Tenant
from core.verification import approval, identity, proofs
from core.verification.schemas import Course
from core.verification.service import VerificationError
from core.verification.status import verification_status
from core.web.auth import signed_in
from core.web.tenant import request_tenant

DEMO_LIVENESS = "demo-liveness-"


def course_of(page: ProviderRequest, key: str) -> Course:
    for course in page.state.requirements.courses:
        if course.key == key:
            return course
    raise not_found()


class CheckPages(Controller):
    path = JOIN
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {NotAProvider: into_join}

    @get(["/identity", "/certificates", "/police", "/training", "/submit"])
    async def step(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """A step by its name (a static path each: the steps' forms post to the same path)."""
        step = request.url.path.rstrip("/").rsplit("/", 1)[1]
        try:
            page = await provider_request(request, tenant)
        except NotAProvider:
            return go(JOIN)
        return await show(page, step)

    @post("/identity/face")
    async def face_check(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """The demo vendor's face check: a liveness token, no image taken or kept. A real
        vendor's SDK runs on the phone and posts its own token with the identity form."""
        page = await provider_request(request, tenant)
        token = DEMO_LIVENESS + secrets.token_urlsafe(18)
        return await show(page, "identity", {}, {"liveness_token": token})

    @post("/identity")
    async def submit_identity(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        form = await form_of(request)
        values = {k: text(form, k) for k in ("id_number", "real_name", "address")}
        values["liveness_token"] = text(form, "liveness_token")
        verifiers = verifiers_of(request, tenant)
        try:
            await identity.submit_identity(
                tenant,
                page.tenant_id,
                page.profile_id,
                id_number=values["id_number"],
                real_name=values["real_name"],
                address=values["address"],
                liveness_token=values["liveness_token"],
                verifier=verifiers[0],
            )
        except VerificationError as exc:
            return await show(page, "identity", {exc.field: exc.reason}, values, 400)
        await page.reload()
        return go(f"{JOIN}/{page.state.next_step('identity')}")

    @post("/certificates/{code:str}", request_max_body_size=IMAGE_MAX_BYTES + 256 * 1024)
    async def submit_certificate(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], code: FromPath[str]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        if code not in page.state.requirements.certificates:
            raise not_found()
        form = await form_of(request)
        values = {k: text(form, k) for k in ("number", "issuer", "valid_from", "valid_until")}
        try:
            photos = await uploads(form, "image")
            await add_certificate(
                page.store,
                page.tenant_id,
                page.profile_id,
                kind=code,
                number=values["number"],
                issuer=values["issuer"],
                valid_from=day(form, "valid_from"),  # type: ignore[arg-type]
                valid_until=day(form, "valid_until", required=False),
                photo=photos[0] if photos else None,
            )
        except (ProfileError, MediaError, VerificationError) as exc:
            errors = {exc.field: exc.reason}
            return await show(page, "certificates", errors, values, 400, {"failed": code})
        await page.reload()
        if all(map(page.state.certificate_done, page.state.requirements.certificates)):
            return go(f"{JOIN}/{page.state.next_step('certificates')}")
        return go(f"{JOIN}/certificates?saved=certificate")

    @post("/police")
    async def submit_police_filing(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        if not page.state.requirements.police_filing:
            raise not_found()
        form = await form_of(request)
        values = {k: text(form, k) for k in ("filing_number", "bureau", "filed_on")}
        try:
            await proofs.submit_police_filing(
                page.tenant_id,
                page.profile_id,
                filing_number=values["filing_number"],
                bureau=values["bureau"],
                filed_on=day(form, "filed_on"),  # type: ignore[arg-type]
            )
        except (ProfileError, VerificationError) as exc:
            return await show(page, "police", {exc.field: exc.reason}, values, 400)
        await page.reload()
        return go(f"{JOIN}/{page.state.next_step('police')}")

    @get("/training/{course:str}/{number:int}")
    async def lesson(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        course: FromPath[str],
        number: FromPath[int],
    ) -> Response[Any]:
        """Lesson pages 1..n, then the quiz as page n + 1."""
        page = await provider_request(request, tenant)
        found = course_of(page, course)
        if not 1 <= number <= len(found.lessons) + 1:
            raise not_found()
        if number > len(found.lessons):
            return page.render(
                "providers/training_quiz.html",
                {"step": "training", "course": found, "answers": {}, "result": None},
            )
        context = {"step": "training", "course": found, "number": number}
        context["lesson"] = found.lessons[number - 1]
        return page.render("providers/training_lesson.html", context)

    @post("/training/{course:str}/quiz")
    async def quiz(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        course: FromPath[str],
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        found = course_of(page, course)
        form = await form_of(request)
        answers = {q.key: text(form, q.key) for q in found.quiz}
        score, passed = await proofs.take_quiz(page.tenant_id, page.profile_id, found, answers)
        await page.reload()
        context = {
            "step": "training",
            "course": found,
            "answers": answers,
            "result": {"score": score, "passed": passed},
            "next_step": page.state.next_step("training"),
        }
        return page.render("providers/training_quiz.html", context, 200 if passed else 400)

    @post("/submit")
    async def submit(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        if not page.state.ready:
            return go(f"{JOIN}/{page.state.next_step()}")
        try:
            await approval.submit_for_review(page.tenant_id, page.profile_id)
        except VerificationError as exc:
            return await show(page, "submit", {exc.field: exc.reason}, {}, 400)
        return go("/provider/status?saved=submitted")


class ProviderStatusPages(Controller):
    path = "/provider"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {NotAProvider: into_join}

    @get("/")
    async def workspace(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        try:
            page = await provider_request(request, tenant)
        except NotAProvider:
            return go(JOIN)
        return go("/provider/status" if page.state.submitted else JOIN)

    @get("/status")
    async def status(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Each check's state; pending vendor checks are asked about first (and the page
        refreshes itself while the vendor has not answered)."""
        try:
            page = await provider_request(request, tenant)
        except NotAProvider:
            return go(JOIN)
        now = datetime.now(UTC)
        await identity.poll_vendor_checks(
            tenant, page.tenant_id, verifiers_of(request, tenant), now
        )
        status = await verification_status(
            page.plugins, tenant, page.tenant_id, page.catalog, page.profile_id, now
        )
        saved = request.query_params.get("saved", "")
        context = {
            "step": "status",
            "status": status,
            "courses": {c.key: c for c in status.requirements.courses},
            "saved": saved if saved.isalpha() else "",
        }
        return page.render("providers/status.html", context)
