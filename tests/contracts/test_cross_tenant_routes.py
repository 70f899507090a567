"""The cross-tenant route walk: tenant A's credentials against tenant B's objects find nothing.

Both demo tenants get people and objects of every kind the services can make (staff, customers
with names, numbers and addresses, sessions, tokens, codes, security events, audited reads,
price versions, a verified provider, a booking, a trust code). Then EVERY route of the app's
route table is requested on A's host (jiejia) with each of A's identities (admin, customer,
provider; by session cookie and by bearer token), B's (wanjia) object ids put into every path
parameter and into the query and body, and:

* no response (body or headers) contains B's data: B's ids, encrypted values or blind indexes
  (anything in B's rows), B's people's clear values, B's brand;
* B's object answers exactly as an id that does not exist (so never a 403 that confirms it),
  and a 404 wherever A's own object of the same kind is served;
* B's rows are the same after the walk as before it;
* B's bearer token on A's host is answered 401 on every route.

Path parameters are filled by name (``*_id`` from B's rows of the matching table, the others
from ``PARAMETERS``), so new routes are walked without changes here; a route with a parameter
nobody knows, or a change in the number of routes, fails ``test_the_walk_covers_every_route``
until this file is told about it.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from tests.factories import NOW, TOMORROW, World, at, make_world
from tests.tenant_access import all_tenants

EXPECTED_ROUTE_METHODS = 406
"""Every (path, method) pair of ``app.routes`` (OPTIONS included). When you add a route: make
sure its path parameters are known (``PARAMETERS`` or a ``*_id`` matching a tenant table), then
update this number."""

A_HOST, B_HOST = "jiejia.localhost", "wanjia.localhost"
PASSWORD = "correct horse battery"
SAFE = {"GET", "HEAD", "OPTIONS"}
SESSION_COOKIE, CSRF_COOKIE = "doorstep_session", "doorstep_csrf"


@dataclass(frozen=True)
class Person:
    phone: str
    name: str
    addresses: tuple[str, ...]
    staff_email: str
    staff_name: str


A_PEOPLE = Person(
    phone="13621785540",
    name="胡一菲",
    addresses=("上海市黄浦区南京东路 300 号 1208 室", "上海市徐汇区漕溪北路 88 号 6 楼"),
    staff_email="ada.admin@jiejia.test",
    staff_name="林小雅",
)
B_PEOPLE = Person(
    phone="13905710123",
    name="欧阳娜娜",
    addresses=("杭州市西湖区保俶路 77 号 3 单元 502 室", "杭州市上城区解放路 18 号 9 楼"),
    staff_email="bo.admin@wanjia.test",
    staff_name="司马光明",
)


# --- the data of both tenants ---------------------------------------------------------------


@dataclass
class Side:
    """One tenant's people and objects, and (after seeding) every value stored for it."""

    world: World
    admin: str = ""
    customer: str = ""
    provider_user: str = ""
    provider: str = ""
    booking: str = ""
    trust_code: str = ""
    ids: dict[str, list[str]] = field(default_factory=dict)
    """Table name -> the ids of this tenant's rows."""
    stored: set[str] = field(default_factory=set)
    """Every id, ciphertext, blind index and hash stored in this tenant's rows."""

    @property
    def tenant_id(self) -> str:
        return self.world.tenant_id


async def seed(world: World, people: Person, var_dir: Path) -> Side:
    from core.accounts import otp, passwords, profile, signin
    from core.accounts.schemas import STAFF_ROLES
    from core.accounts.service import AccountError
    from core.catalog.price_lists import change_prices, sync_config_prices
    from core.payments.cash import Cash
    from core.payments.service import start_payment
    from core.privacy import service as privacy
    from core.tenancy.scoped import tenant_transaction
    from core.verification import trust

    side = Side(world)
    tid = world.tenant_id
    side.admin = await passwords.create_staff(
        tid, people.staff_email, PASSWORD, list(STAFF_ROLES), people.staff_name
    )
    side.customer = await profile.ensure_customer(tid, people.phone, people.name)
    geocoders = profile.flatten(world.plugins.for_tenant(world.tenant).geocoders())
    for label, text in zip(("家", "公司"), people.addresses, strict=True):
        await profile.add_address(side.customer, tid, label, text, geocoders)
    await signin.start_session(side.customer, tid)
    await signin.issue_token(side.admin, tid, label="walk")
    await otp.issue_code(tid, people.phone, "198.51.100.7")
    with pytest.raises(AccountError):
        await passwords.check_password(tid, people.staff_email, "wrong password", "198.51.100.7")
    async with tenant_transaction(tid):
        await privacy.reveal(
            privacy.seal(people.phone, field="user.phone", tenant_id=tid),
            field="user.phone",
            tenant_id=tid,
            subject_id=side.customer,
            reader=privacy.Reader(side.admin, "admin", "route walk"),
        )
    await sync_config_prices(world.tenant, world.catalog, NOW)
    await change_prices(
        world.tenant,
        world.catalog,
        {"housekeeping.home_cleaning.deep": 1000},
        actor=side.admin,
        reason="walk",
        now=NOW,
    )
    side.provider = await world.provider()
    side.provider_user = await world.provider_user(side.provider)
    side.booking = await world.book(
        side.customer, world.request(at(TOMORROW, "10:00"), provider_id=side.provider)
    )
    side.trust_code = trust.issue(tid, side.provider, side.booking, datetime.now(UTC))
    await start_payment(
        {"cash": Cash(world.tenant, {})},
        world.tenant,
        tid,
        side.booking,
        side.customer,
        "cash",
        description="walk",
        base_url=f"http://{world.tenant.config.hosts[0]}",
        now=datetime.now(UTC),
    )
    await _safety_objects(world, side)
    await _dispatch_plan(world)
    await _complaint(world, side, var_dir)
    return side


async def _safety_objects(world: World, side: Side) -> None:
    """An SOS incident (with its evidence, alerts and the snapshot) and an emergency contact."""
    from core.safety import contacts, sos
    from core.tenancy.scoped import tenant_transaction

    await contacts.add_contact(side.tenant_id, side.customer, "紧急联系人", "13700009999")
    async with tenant_transaction(side.tenant_id):
        await sos.raise_sos(
            world.plugins,
            world.tenant,
            side.tenant_id,
            sos.Raiser(side.customer, "customer"),
            booking_id=side.booking,
            now=NOW,
        )


async def _complaint(world: World, side: Side, var_dir: Path) -> None:
    """A served booking of the customer's, complained about with a photo (the complaint, its
    evidence and the booking's thread)."""
    from core.quality import service
    from tests.quality.world import photo, serve

    served = await serve(
        world,
        provider=side.provider,
        customer=side.customer,
        start=at(TOMORROW + timedelta(days=2), "10:00"),
    )
    await service.create_complaint(
        world.tenant,
        side.tenant_id,
        service.evidence_store(var_dir),
        served.booking,
        served.as_customer,
        category="quality",
        description="厨房没有打扫干净",
        photos=[photo()],
        now=at(TOMORROW + timedelta(days=3), "10:00"),
    )


async def _dispatch_plan(world: World) -> None:
    """The day plan of the booking's day (its routes and stops)."""
    from core.dispatch import service

    tools = service.adapters(world.plugins, world.tenant)
    await service.plan_day(world.tenant, world.tenant_id, TOMORROW, tools, now=NOW)


async def read_back(side: Side) -> list[tuple[str, str]]:
    """Every row of the tenant, as (table, row) text, and fill ``ids`` and ``stored``."""
    from core.tenancy.tenant_tables import tenant_tables

    everything = []
    async with all_tenants():
        for table in tenant_tables():
            rows = await table.select().where(table.tenant == side.tenant_id)  # type: ignore[attr-defined]
            name = table._meta.tablename
            side.ids[name] = [str(r["id"]) for r in rows if "id" in r]
            for row in rows:
                everything.append((name, repr(sorted(row.items()))))
                for column, value in row.items():
                    if isinstance(value, uuid.UUID):
                        side.stored.add(str(value))
                    elif isinstance(value, str) and len(value) >= 16 and _is_secret(column):
                        side.stored.add(value)
    side.stored.discard(side.tenant_id)  # ids of the tenant itself are checked separately
    return sorted(everything)


def _is_secret(column: str) -> bool:
    return column == "id" or column.endswith(("_enc", "_idx", "_hash", "_key"))


def clear_values(people: Person, brand: dict[str, str], support_phone: str) -> list[str]:
    national = people.phone
    return [
        f"+86{national}",
        national,
        f"{national[:3]} {national[3:7]} {national[7:]}",
        f"{national[:3]}****{national[7:]}",  # even masked, B's number is none of A's business
        people.name,
        *people.addresses,
        people.staff_email,
        people.staff_name,
        *brand.values(),
        support_phone,
    ]


# --- filling path parameters -----------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    b: str
    a: str | None = None
    """A's own object of the same kind, when there is one."""
    is_object: bool = False
    """An object id: must answer like an unknown id."""


def _table_ids(ctx: Walk, stem: str, *tables: str) -> list[Value]:
    names = list(tables) or [
        t for t in ctx.b.ids if t == stem or t.endswith(f"_{stem}") or t.startswith(f"{stem}s_")
    ]
    found = []
    for name in names:
        b_ids, a_ids = ctx.b.ids.get(name, []), ctx.a.ids.get(name, [])
        if b_ids:
            found.append(Value(b_ids[0], a_ids[0] if a_ids else None, is_object=True))
    return found


PARAMETERS: dict[str, Callable[[Walk], list[Value]]] = {
    "code": lambda ctx: [Value("en"), Value("health_certificate"), Value(ctx.b.trust_code)],
    "vertical": lambda ctx: [Value("repair"), Value("housekeeping")],
    "item": lambda ctx: [Value("faucet_replace"), Value("home_cleaning")],
    "item_key": lambda ctx: [Value("faucet_replace"), Value("home_cleaning")],
    "action": lambda ctx: [Value("accept"), Value("complete")],
    "course": lambda ctx: [Value("repair.service_basics"), Value("housekeeping.service_basics")],
    "number": lambda ctx: [Value("1")],
    "kind": lambda ctx: [Value("photo")],
    "name": lambda ctx: [Value("logo.svg"), Value(f"{ctx.b.provider}.jpg")],
    "filename": lambda ctx: [Value("site.css")],
    "path": lambda ctx: [Value("swagger")],
    "profile_id": lambda ctx: _table_ids(ctx, "profile", "providers_profile"),
    "provider_id": lambda ctx: _table_ids(ctx, "profile", "providers_profile"),
    "method": lambda ctx: [Value("wechat_pay"), Value("cash")],
}
"""Path parameters that are not ``<table>_id``: the values to try (B's where B has one)."""


def values_for(ctx: Walk, name: str) -> list[Value]:
    found = PARAMETERS[name](ctx) if name in PARAMETERS else []
    if not found and name.endswith("_id"):
        found = _table_ids(ctx, name.removesuffix("_id"))
    # no such object of B's (yet): the route is still walked, with an id nobody has
    return found or [Value(str(uuid.uuid4()))]


def unknown_parameters(app: Litestar) -> list[str]:
    """Path parameters the walk cannot fill: neither in ``PARAMETERS`` nor ``<table>_id``."""
    from core.tenancy.tenant_tables import tenant_tables

    tables = [t._meta.tablename for t in tenant_tables()]
    problems = []
    for route in http_routes(app):
        for name in route.path_parameters:
            if name in PARAMETERS:
                continue
            stem = name.removesuffix("_id")
            if name.endswith("_id") and any(
                t == stem or t.endswith(f"_{stem}") or t.startswith(f"{stem}s_") for t in tables
            ):
                continue
            problems.append(f"{route.path}: {{{name}}}")
    return problems


def http_routes(app: Litestar) -> list[HTTPRoute]:
    return [r for r in app.routes if isinstance(r, HTTPRoute)]


def route_methods(app: Litestar) -> list[tuple[HTTPRoute, str]]:
    return [(r, m) for r in http_routes(app) for m in sorted(r.methods)]


_PARAM = re.compile(r"\{(\w+):[^}]+\}")


def fill(path: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], path)


# --- the walk --------------------------------------------------------------------------------


@dataclass
class Walk:
    app: Litestar
    a: Side
    b: Side
    b_clear: list[str]
    problems: list[str] = field(default_factory=list)
    served: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(identity, method, path) -> status, for the coverage check."""
    requests: int = 0


def body_ids(ctx: Walk) -> dict[str, str]:
    """Ids smuggled into query strings and bodies: every kind of B object, and B itself."""
    found = {"tenant": ctx.b.tenant_id, "tenant_id": ctx.b.tenant_id, "tenantId": ctx.b.tenant_id}
    for table, ids in ctx.b.ids.items():
        if not ids:
            continue
        stem = table.split("_", 1)[-1]
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), stem)
        found |= {stem: ids[0], f"{stem}_id": ids[0], f"{camel}Id": ids[0]}
    found["id"] = ctx.b.booking
    return found


class Identity:
    """One of A's users, presented by session cookie or bearer token on A's host."""

    def __init__(self, name: str, user_id: str, tenant_id: str, via: str) -> None:
        self.name, self.user_id, self.tenant_id, self.via = name, user_id, tenant_id, via
        self.secret = ""

    @property
    def label(self) -> str:
        return f"{self.name} by {self.via}"

    async def renew(self) -> None:
        from core.accounts import signin

        if self.via == "session":
            self.secret = await signin.start_session(self.user_id, self.tenant_id)
        else:
            self.secret = await signin.issue_token(self.user_id, self.tenant_id, label="walk")

    def headers(self, csrf: str) -> dict[str, str]:
        if self.via == "token":
            return {"authorization": f"Bearer {self.secret}"}
        return {
            "cookie": f"{SESSION_COOKIE}={self.secret}; {CSRF_COOKIE}={csrf}",
            "x-csrftoken": csrf,
        }


def combinations(ctx: Walk, route: HTTPRoute) -> Iterator[dict[str, Value]]:
    names = list(route.path_parameters)
    choices = [values_for(ctx, name) for name in names]
    for combo in itertools.islice(itertools.product(*choices), 12):
        yield dict(zip(names, combo, strict=True))


def request(client: TestClient, ctx: Walk, method: str, path: str, headers: dict[str, str]) -> Any:
    ids = body_ids(ctx)
    client.cookies.clear()
    kwargs: dict[str, Any] = {"headers": headers, "params": ids, "follow_redirects": False}
    if method not in SAFE:
        if path.startswith("/api/"):
            kwargs["json"] = ids
        else:
            kwargs["data"] = ids
    ctx.requests += 1
    return client.request(method, path, **kwargs)


def leaks(ctx: Walk, response: Any, sent: set[str]) -> list[str]:
    text = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    markers = [v for v in ctx.b.stored if v not in sent]
    markers += [v for v in ctx.b_clear if v not in sent]
    if ctx.b.tenant_id not in sent:
        markers.append(ctx.b.tenant_id)
    return sorted({m for m in markers if m in text})


async def walk_identity(
    ctx: Walk, client: TestClient, identity: Identity, csrf: str, options: bool
) -> None:
    """Every (route, method) as ``identity``; OPTIONS (Litestar's own answer, the same for every
    route handler) only when ``options``."""
    await identity.renew()
    ordered = sorted(route_methods(ctx.app), key=lambda rm: (rm[1] not in SAFE, rm[0].path))
    for route, method in ordered:
        if method == "OPTIONS" and not options:
            continue
        for combo in combinations(ctx, route) if route.path_parameters else [{}]:
            b_path = fill(route.path, {k: v.b for k, v in combo.items()})
            sent = {v.b for v in combo.values()} | set(body_ids(ctx).values())
            sent |= {s for v in combo.values() for s in _decoded(v.b)}
            response = request(client, ctx, method, b_path, identity.headers(csrf))
            where = f"{identity.label}: {method} {b_path} -> {response.status_code}"
            if found := leaks(ctx, response, sent):
                ctx.problems.append(f"{where}: B's data in the answer: {found}")
            objects = {k for k, v in combo.items() if v.is_object}
            if objects and response.status_code >= 500:
                ctx.problems.append(f"{where}: B's object must answer 404, not fail")
            if objects:
                unknown = {
                    k: (str(uuid.uuid4()) if k in objects else v.b) for k, v in combo.items()
                }
                baseline = request(
                    client, ctx, method, fill(route.path, unknown), identity.headers(csrf)
                )
                if baseline.status_code != response.status_code:
                    ctx.problems.append(
                        f"{where}, but an unknown id answers {baseline.status_code}: "
                        "B's object is told apart from a missing one"
                    )
                own = {k: v.a for k, v in combo.items() if v.a}
                if method == "GET" and len(own) == len(combo):
                    mine = request(
                        client, ctx, method, fill(route.path, own), identity.headers(csrf)
                    )
                    if mine.status_code < 300 and response.status_code != 404:
                        ctx.problems.append(f"{where}; A's own object is served: must be 404")
            ctx.served[(identity.label, method, route.path)] = response.status_code
            if method not in SAFE and response.status_code < 400:
                await identity.renew()  # a sign-out or a revoked token must not end the walk


def _decoded(value: str) -> set[str]:
    """What a value sent in the request carries inside it (a trust code holds its ids)."""
    import base64

    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8", "ignore")
    except ValueError:
        return set()
    return set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", raw))


# --- tests -----------------------------------------------------------------------------------


def test_the_leak_detector_finds_b_s_values_but_not_what_the_request_sent() -> None:
    from types import SimpleNamespace

    b = Side(world=SimpleNamespace(tenant_id="b-tenant-id"))  # type: ignore[arg-type]
    b.stored = {"b-address-id-0000", "v1:k1:c2VhbGVkIGFkZHJlc3M="}
    ctx = Walk(app=None, a=b, b=b, b_clear=["13905710123", "万家帮"])  # type: ignore[arg-type]

    def answer(text: str, **headers: str) -> Any:
        return SimpleNamespace(text=text, headers=headers)

    assert leaks(ctx, answer("<p>Call 13905710123</p>"), set()) == ["13905710123"]
    assert leaks(ctx, answer("", location="/x?c=v1:k1:c2VhbGVkIGFkZHJlc3M="), set()) == [
        "v1:k1:c2VhbGVkIGFkZHJlc3M="
    ]
    assert leaks(ctx, answer("Not found: b-address-id-0000"), {"b-address-id-0000"}) == []
    assert leaks(ctx, answer("welcome to 万家帮 (b-tenant-id)"), set()) == ["b-tenant-id", "万家帮"]


def test_the_walk_covers_every_route(app: Litestar) -> None:
    pairs = route_methods(app)

    assert unknown_parameters(app) == [], (
        "the route walk cannot fill these path parameters: name them <table>_id or add them "
        "to PARAMETERS in tests/contracts/test_cross_tenant_routes.py"
    )
    assert len(pairs) == EXPECTED_ROUTE_METHODS, (
        f"the app has {len(pairs)} (path, method) pairs, the cross-tenant walk expects "
        f"{EXPECTED_ROUTE_METHODS}: check that the new route's parameters are known to the walk "
        "(PARAMETERS, or a <table>_id name), that the walk's fixtures create its objects for "
        "both tenants (seed), then set EXPECTED_ROUTE_METHODS"
    )
    assert not [r for r in app.routes if not isinstance(r, HTTPRoute)], (
        "a websocket route: teach the walk to open it with A's credentials"
    )


@pytest.fixture
async def walk(db, app, plugins, tenants, settings) -> Walk:  # type: ignore[no-untyped-def]
    a_world = await make_world(plugins, tenants, settings, "jiejia")
    b_world = await make_world(plugins, tenants, settings, "wanjia")
    a = await seed(a_world, A_PEOPLE, settings.var_dir)
    b = await seed(b_world, B_PEOPLE, settings.var_dir)
    await read_back(a)
    await read_back(b)
    config = b_world.tenant.config
    b_clear = clear_values(
        B_PEOPLE, dict(config.name), getattr(config.branding, "support_phone", "") or ""
    )
    return Walk(app, a, b, [v for v in b_clear if v])


@pytest.mark.db
async def test_tenant_a_finds_none_of_tenant_b_on_any_route(walk: Walk) -> None:
    before = await read_back(walk.b)
    identities = [
        Identity(name, user, walk.a.tenant_id, via)
        for name, user in (
            ("admin", walk.a.admin),
            ("customer", walk.a.customer),
            ("provider", walk.a.provider_user),
        )
        for via in ("session", "token")
    ]
    with TestClient(walk.app, base_url=f"http://{A_HOST}") as client:
        csrf = client.get("/").cookies.get(CSRF_COOKIE, "")
        assert csrf, "no CSRF cookie on A's home page"
        for identity in identities:
            await walk_identity(walk, client, identity, csrf, options=identity is identities[0])
    after = await read_back(walk.b)

    assert walk.problems == [], "\n".join(walk.problems[:40])
    assert after == before, "a request on A's host changed B's rows"
    # the walk really was signed in: A's own pages answered
    for identity, path in [
        ("admin by session", "/admin/users"),
        ("admin by token", "/api/v1/me"),
        ("customer by session", "/account"),
        ("customer by token", "/api/v1/me"),
    ]:
        assert walk.served.get((identity, "GET", path)) == 200, (identity, path)


@pytest.mark.db
async def test_tenant_b_s_token_on_tenant_a_s_host_is_refused_on_every_route(
    walk: Walk,
) -> None:
    from core.accounts import signin

    token = await signin.issue_token(walk.b.admin, walk.b.tenant_id)
    refused: dict[int, list[str]] = {}
    with TestClient(walk.app, base_url=f"http://{A_HOST}") as client:
        for route, method in route_methods(walk.app):
            combo = next(iter(combinations(walk, route)), {}) if route.path_parameters else {}
            path = fill(route.path, {k: v.b for k, v in combo.items()})
            client.cookies.clear()
            response = client.request(
                method, path, headers={"authorization": f"Bearer {token}"}, follow_redirects=False
            )
            refused.setdefault(response.status_code, []).append(f"{method} {path}")
            sent = {v.b for v in combo.values()} | {
                s for v in combo.values() for s in _decoded(v.b)
            }
            assert not leaks(walk, response, sent), f"{method} {path}"

    assert set(refused) == {401}, {s: p[:5] for s, p in refused.items() if s != 401}
    with TestClient(walk.app, base_url=f"http://{B_HOST}") as client:
        assert (
            client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code
            == 200
        )
