"""Contract: application code queries tenant-owned tables only with a tenant scope.

The rule (docs/operations.md, "Tenant isolation"): a query on a tenant table is built by
``core.tenancy.scoped.scoped(Table, tenant_id)``, or names the tenant in its own ``where``
(``Table.tenant == tenant_id``, directly or through a local variable), or carries a
``# tenant-scope: <why>`` comment on the line of the call (or the line above), for the few that
look rows up by a secret or on purpose across tenants. On SQLite the helper is the only wall;
on PostgreSQL row-level security stands behind it.

The tenant tables come from the Piccolo table registry, so a new table is covered by this scan
as soon as its app is registered.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from core.tenancy.tenant_tables import tenant_tables

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("core", "plugins", "cli")
SKIPPED_PARTS = {"piccolo_migrations", "rls_migrations"}
QUERIES = {"select", "objects", "count", "exists", "update", "delete", "raw"}
RAW_HELPERS = {"first", "every"}
"""``core.rawsql.first(Table, **equals)`` / ``every``: scoped when ``tenant=`` is among the
keywords."""
"""Table class methods that read or change existing rows (inserts are checked by row
security on PostgreSQL and cannot read another tenant's rows)."""
FILTERS = {"where", "get", "get_or_create"}
WAIVER = "# tenant-scope:"

KNOWN_UNSCOPED: dict[str, int] = {
    "core/accounts/signin.py::end_session::Session.update": 1,
    "core/accounts/signin.py::revoke_token::ApiToken.update": 1,
    "core/accounts/signin.py::session_user::Session.select": 1,
    "core/accounts/signin.py::start_session::Session.update": 1,
    "core/accounts/users.py::disable_user::ApiToken.update": 1,
    "core/accounts/users.py::disable_user::Session.update": 1,
    "core/accounts/users.py::disable_user::User.update": 1,
    "core/accounts/users.py::enable_user::User.update": 1,
    "core/accounts/users.py::record_consent::User.update": 1,
    "core/booking/reviews.py::create_review::Review.exists": 1,
    "core/providers/service.py::set_skills::ProviderSkill.delete": 1,
    "core/verification/approval.py::review_provider::ProviderProfile.update": 1,
    "core/verification/approval.py::submit_for_review::IdentityRecord.exists": 1,
    "core/verification/approval.py::submit_for_review::ProviderProfile.update": 1,
    "core/verification/approval.py::submit_for_review::ProviderSkill.exists": 1,
    "core/verification/identity.py::poll_vendor_checks::IdentityCheck.update": 1,
    "core/verification/identity.py::submit_identity::IdentityRecord.exists": 1,
    "core/verification/identity.py::submit_identity::IdentityRecord.update": 1,
    "core/verification/jobs.py::run_certificate_expiry::Certificate.update": 2,
    "core/verification/jobs.py::run_identity_recheck::IdentityCheck.update": 1,
    "core/verification/proofs.py::review_certificate::Certificate.update": 1,
    "core/verification/proofs.py::submit_police_filing::PoliceFiling.exists": 1,
    "core/verification/proofs.py::submit_police_filing::PoliceFiling.update": 1,
    "core/verification/suspensions.py::lift_suspension::ProviderSkill.select": 1,
    "core/verification/suspensions.py::lift_suspension::ProviderSkill.update": 1,
    "core/verification/suspensions.py::suspend_skills::ProviderSkill.select": 1,
    "core/verification/suspensions.py::suspend_skills::ProviderSkill.update": 1,
}
"""Queries that predate this contract (written while it was being introduced), by
``path::function::Table.method`` and how many: each still works on PostgreSQL (row-level
security scopes it to the request's tenant), but on SQLite relies on an earlier scoped read
(by-id updates after a tenant-checked lookup). The list may only shrink: scope them with
``scoped(...)`` and remove the entry."""


@dataclass(frozen=True)
class Unscoped:
    path: str
    line: int
    code: str
    function: str
    query: str

    @property
    def key(self) -> str:
        return f"{self.path}::{self.function}::{self.query}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}"


def tenant_table_names() -> set[str]:
    return {table.__name__ for table in tenant_tables()}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _mentions_tenant(node: ast.AST, names: set[str]) -> bool:
    """``node`` mentions ``<something>.tenant`` or passes ``tenant=`` (``rawsql.first(Table,
    tenant=tenant_id, id=...)``), or uses one of ``names``: local conditions on the tenant and
    functions that build one (``mine(Table)``, ``_owned(owner, tenant_id, id)``)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "tenant":
            return True
        if isinstance(sub, ast.keyword) and sub.arg == "tenant":
            return True
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
    return False


def _tenant_filter_builders(tree: ast.AST) -> set[str]:
    """Functions (anywhere in the module) whose body mentions ``.tenant``."""
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(_mentions_tenant(statement, set()) for statement in node.body)
    }


def _tenant_conditions(function: ast.AST, builders: set[str]) -> set[str]:
    """Local names assigned from an expression that mentions ``.tenant`` (``mine = X.tenant ==
    tenant_id``; ``mine &= ...`` keeps it)."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and _mentions_tenant(node.value, builders):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _chain(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> list[ast.Call]:
    """``X.select(...).where(...).first()``: the calls from the first to the outermost."""
    calls = [call]
    node: ast.AST = call
    while True:
        attribute = parents.get(node)
        if not isinstance(attribute, ast.Attribute):
            return calls
        outer = parents.get(attribute)
        if not isinstance(outer, ast.Call) or outer.func is not attribute:
            return calls
        calls.append(outer)
        node = outer


def _waived(lines: list[str], line: int) -> bool:
    here = lines[line - 1]
    above = lines[line - 2] if line >= 2 else ""
    return WAIVER in here or above.strip().startswith(WAIVER)


def _raw_helper_on(call: ast.AST, tables: set[str]) -> bool:
    """``rawsql.first(Table, ...)`` / ``rawsql.every(Table, ...)`` on a tenant table."""
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in RAW_HELPERS
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "rawsql"
        and bool(call.args)
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id in tables
    )


def scan_source(source: str, path: str, tables: set[str]) -> list[Unscoped]:
    tree = ast.parse(source)
    parents = _parents(tree)
    lines = source.splitlines()
    found = []
    builders = _tenant_filter_builders(tree)
    functions = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        enclosing = [f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or 0)]
        if _raw_helper_on(call, tables):
            table = call.args[0]
            assert isinstance(table, ast.Name)
            query = f"{table.id}.{call.func.attr}"
            scoped = any(k.arg == "tenant" for k in call.keywords)
        elif (
            call.func.attr in QUERIES
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in tables
        ):
            query = f"{call.func.value.id}.{call.func.attr}"
            names = builders | (_tenant_conditions(enclosing[0], builders) if enclosing else set())
            scoped = any(
                isinstance(c.func, ast.Attribute)
                and c.func.attr in FILTERS
                and any(_mentions_tenant(a, names) for a in [*c.args, *c.keywords])
                for c in _chain(call, parents)
            )
        else:
            continue
        if not scoped and not _waived(lines, call.lineno):
            function = enclosing[-1].name if enclosing else "<module>"
            found.append(
                Unscoped(path, call.lineno, lines[call.lineno - 1].strip(), function, query)
            )
    return found


def application_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if SKIPPED_PARTS.isdisjoint(path.parts) and path.name != "tables.py":
                files.append(path)
    return files


def test_application_code_queries_tenant_tables_only_with_a_tenant_scope() -> None:
    tables = tenant_table_names()
    found = [
        problem
        for path in application_files()
        for problem in scan_source(path.read_text(), str(path.relative_to(ROOT)), tables)
    ]
    counts = Counter(p.key for p in found)
    new = [p for p in found if counts[p.key] > KNOWN_UNSCOPED.get(p.key, 0)]
    fixed = sorted(k for k, n in KNOWN_UNSCOPED.items() if counts[k] < n)

    assert not new, (
        "queries on tenant tables without a tenant scope: build them with "
        "core.tenancy.scoped.scoped(Table, tenant_id), add Table.tenant == tenant_id to the "
        f"where, or explain with '{WAIVER} <why>' on the line:\n" + "\n".join(str(p) for p in new)
    )
    assert not fixed, (
        "these known unscoped queries are gone (thank you): remove them from KNOWN_UNSCOPED "
        "in tests/contracts/test_tenant_scope.py:\n" + "\n".join(fixed)
    )


# --- the scanner itself ----------------------------------------------------------------------

SAMPLE = """
async def leaky(user_id):
    return await Address.select().where(Address.user == user_id)

async def by_id(user_id):
    await User.update({User.roles: ""}).where(User.id == user_id)

async def fine(tenant_id, user_id):
    a = await Address.select().where((Address.tenant == tenant_id) & (Address.user == user_id))
    b = await scoped(Address, tenant_id).select().where(Address.user == user_id)
    mine = Address.tenant == tenant_id
    mine &= Address.user == user_id
    c = await Address.count().where(mine)
    d = await Address.objects().get(Address.tenant == tenant_id)
    # tenant-scope: looked up by the hash of a secret the caller holds
    e = await Address.select().where(Address.id == user_id).first()
    f = await Unrelated.select()
    g = await rawsql.first(Address, tenant=tenant_id, id=user_id)
    # tenant-scope: looked up by the hash of a secret the caller holds
    h = await rawsql.first(Address, token=user_id)

async def raw_leak(user_id):
    return await rawsql.every(Address, user=user_id)
"""


def test_the_scanner_flags_unscoped_queries_and_accepts_scoped_ones() -> None:
    found = scan_source(SAMPLE, "sample.py", {"Address", "User"})

    assert sorted((p.line, p.code.split("(")[0]) for p in found) == [
        (3, "return await Address.select"),
        (6, "await User.update"),
        (23, "return await rawsql.every"),
    ]


def test_the_scan_covers_every_tenant_table() -> None:
    names = tenant_table_names()

    assert {"User", "Session", "ApiToken", "Address", "PriceListVersion", "TierPrice"} <= names
