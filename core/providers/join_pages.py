"""The onboarding wizard on a phone, first half: profile, services, hours, photos and video.

Every step saves on its own and then goes on to the next step not yet done; bad input comes
back on the same step with the field named and nothing saved.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.accounts.forms import form_of, geocoders_for, signed_in_user, tenant_id_of
from core.accounts.profile import locate
from core.providers import service, storage
from core.providers.media import VIDEO_MAX_BYTES, MediaError
from core.providers.onboarding import profile_of_user
from core.providers.service import WEEKDAYS, ProfileError, ProfileInput
from core.providers.steps import show
from core.providers.web import (
    JOIN,
    NotAProvider,
    ProviderRequest,
    decimal,
    go,
    into_join,
    not_found,
    provider_request,
    text,
    texts,
    uploads,
    whole_number,
)
from core.tenancy.model import Tenant
from core.verification import identity
from core.web.auth import signed_in
from core.web.templating import render_page
from core.web.tenant import request_tenant

DISTRICT_SPLIT = re.compile(r"[,，、;；\s]+")
UPLOAD_LIMIT = VIDEO_MAX_BYTES + 1024 * 1024
"""A request may carry one video and the form around it; larger bodies are refused early."""


class JoinPages(Controller):
    path = JOIN
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {NotAProvider: into_join}

    @get("/")
    async def join(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Start (or resume) onboarding: the account becomes a provider in onboarding, its
        number counts as verified (it just signed in with a code), and the next step opens."""
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        is_new = await profile_of_user(user.id, tenant_id) is None
        try:
            profile_id = await service.start_onboarding(user.id, tenant_id)
        except ProfileError:
            return render_page(request, tenant, "providers/not_for_staff.html", {}, 403)
        if is_new:
            await identity.record_phone_verified(tenant, tenant_id, profile_id)
        page = await provider_request(request, tenant)
        if page.state.submitted:
            return go("/provider/status")
        return go(f"{JOIN}/{page.state.next_step()}")

    @get(["/profile", "/skills", "/hours", "/media"])
    async def step(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Any step by its name (a static path each: the steps' forms post to the same path)."""
        step = request.url.path.rstrip("/").rsplit("/", 1)[1]
        try:
            page = await provider_request(request, tenant)
        except NotAProvider:
            return go(JOIN)
        return await show(page, step)

    @post("/profile")
    async def save_profile(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        form = await form_of(request)
        values: dict[str, Any] = {key: text(form, key) for key in form if key != "languages"}
        values["languages"] = texts(form, "languages")
        try:
            data = await _profile_input(request, tenant, page, form)
            await service.save_profile(page.profile_id, page.tenant_id, data)
        except ProfileError as exc:
            return await show(page, "profile", {exc.field: exc.reason}, values, 400)
        await page.reload()
        return go(f"{JOIN}/{page.state.next_step('profile')}")

    @post("/skills")
    async def save_skills(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        form = await form_of(request)
        chosen = texts(form, "skill")
        known = {item.ref for item in page.catalog.items}
        try:
            await service.set_skills(page.profile_id, page.tenant_id, chosen, known)
        except ProfileError as exc:
            return await show(page, "skills", {exc.field: exc.reason}, {"skills": chosen}, 400)
        await page.reload()
        return go(f"{JOIN}/{page.state.next_step('skills')}")

    @post("/hours")
    async def save_hours(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        form = await form_of(request)
        hours = {
            day: [text(form, f"start_{day}"), text(form, f"end_{day}")]
            if text(form, f"on_{day}")
            else []
            for day in WEEKDAYS
        }
        days_off = texts(form, "day_off")
        try:
            await service.save_availability(page.profile_id, page.tenant_id, hours, days_off)
        except ProfileError as exc:
            values = {"hours": hours, "days_off": days_off}
            return await show(page, "hours", {exc.field: exc.reason}, values, 400)
        await page.reload()
        return go(f"{JOIN}/{page.state.next_step('hours')}")

    @post("/media", request_max_body_size=UPLOAD_LIMIT)
    async def upload(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """One form per kind (avatar, photos, video); several photos at once are stored all
        together or not at all."""
        page = await provider_request(request, tenant)
        form = await form_of(request)
        kind = text(form, "kind")
        if kind not in {"avatar", "photo", "video"}:
            raise not_found()
        try:
            files = await uploads(form, kind)
            await storage.save_media(page.store, page.tenant_id, page.profile_id, kind, files, kind)
        except MediaError as exc:
            return await show(page, "media", {exc.field: exc.reason}, {}, 400)
        return go(f"{JOIN}/media?saved={kind}")

    @post("/media/{media_id:str}/delete")
    async def delete_upload(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        media_id: FromPath[str],
    ) -> Response[Any]:
        page = await provider_request(request, tenant)
        try:
            await storage.delete_media(page.store, page.tenant_id, page.profile_id, media_id)
        except LookupError:
            raise not_found() from None
        return go(f"{JOIN}/media?saved=removed")


async def _profile_input(
    request: Request[Any, Any, Any], tenant: Tenant, page: ProviderRequest, form: Any
) -> ProfileInput:
    """The profile form as the service takes it; the centre is found by the geocoders."""
    lat = lng = None
    radius = 0.0
    districts: tuple[str, ...] = ()
    if text(form, "area_mode") == "districts":
        districts = tuple(d for d in DISTRICT_SPLIT.split(text(form, "area_districts")) if d)
        if len(districts) > 12 or any(len(d) > 20 for d in districts):
            raise ProfileError("area_districts", "at most 12 districts of up to 20 characters")
    else:
        radius = decimal(form, "area_radius_km")
        address = text(form, "area_address")
        if address:
            place = await locate(geocoders_for(request, tenant), address)
            if place is None:
                raise ProfileError(
                    "area_address",
                    "this address is not on the map: give a street and number, or choose districts",
                )
            lat, lng = place.lat, place.lng
        elif page.state.profile["area_lat"] is not None:
            lat, lng = page.state.profile["area_lat"], page.state.profile["area_lng"]
        else:
            raise ProfileError("area_address", "give the address you start from")
    return ProfileInput(
        name=text(form, "name"),
        gender=text(form, "gender"),
        birth_year=whole_number(form, "birth_year"),
        years_experience=whole_number(form, "years_experience"),
        languages=texts(form, "languages"),
        bio=text(form, "bio"),
        area_lat=lat,
        area_lng=lng,
        area_radius_km=radius,
        area_districts=districts,
    )
