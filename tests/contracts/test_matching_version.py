"""Contract: every writer to the tables matching keeps in memory bumps the matching version.

Matching keeps an in-memory candidate index per process (``core.matching.index``): the
providers' profiles and skills, and the holding bookings of the days asked about
(``core.matching.days``), brought up to date when the tenant's matching version moves. A
change to a provider's profile or skills, or to a booking's hold (made, moved, ended), that
does not call ``bump_matching_version`` in the same function (inside its write transaction)
would leave the index stale: a provider silently kept out of matching, or shown busy when free.
This scan finds, in ``core``, ``plugins`` and ``cli``, every insert, update, delete or raw query
on ``ProviderProfile``, ``ProviderSkill`` or ``Booking`` (directly or through ``scoped(...)``)
and every row built with ``ProviderProfile(...)`` / ``ProviderSkill(...)`` / ``Booking(...)``,
and requires a ``bump_matching_version(...)`` call in the enclosing function.

Exempt: updates that set only columns the index never reads (``UNREAD``), and lines carrying
``# matching-version: <why>`` (or the line above).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("core", "plugins", "cli")
SKIPPED_PARTS = {"piccolo_migrations", "rls_migrations"}
TABLES = {
    "ProviderProfile",
    "ProviderSkill",
    "Booking",
    "IdentityCheck",
    "Certificate",
    "TrainingResult",
}
WRITES = {"insert", "update", "delete", "raw"}
HOLD_COLUMNS = {"tenant", "provider", "status", "starts_at", "ends_at", "hold_start", "hold_end"}
"""What a booking's hold is made of (``core.matching.days`` reads these and the point)."""


def _unread(table: str, column: str) -> bool:
    """A column the candidate index never reads: a booking's other columns (the point only
    with the hold), a profile's count of jobs done."""
    if table == "Booking":
        return column not in HOLD_COLUMNS | {"point_enc"}
    if table in CHECK_COLUMNS:
        return column not in CHECK_COLUMNS[table]
    return table == "ProviderProfile" and column == "jobs_done"


CHECK_COLUMNS = {
    "IdentityCheck": {"tenant", "provider", "kind", "status", "valid_until"},
    "Certificate": {"tenant", "provider", "kind", "status", "valid_from", "valid_until", "issuer"},
    "TrainingResult": {"tenant", "provider", "course", "passed_at"},
}
"""What eligibility reads of the checks (``core.verification.eligibility.load_checks_many``)."""


BUMP = "bump_matching_version"
WAIVER = "# matching-version:"


@dataclass(frozen=True)
class Writer:
    path: str
    line: int
    function: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}(): {self.code}"


def _table_of(node: ast.AST) -> str | None:
    """``ProviderProfile`` for ``ProviderProfile`` and ``scoped(ProviderProfile, t)``."""
    if isinstance(node, ast.Name) and node.id in TABLES:
        return node.id
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "scoped"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id in TABLES
    ):
        return node.args[0].id
    return None


def _unread_only(call: ast.Call) -> bool:
    """``X.update({X.series: ...})``: every key a column the index never reads."""
    if call.func.attr != "update" or len(call.args) != 1:  # type: ignore[attr-defined]
        return False
    table = _table_of(call.func.value)  # type: ignore[attr-defined]
    values = call.args[0]
    return (
        table is not None
        and isinstance(values, ast.Dict)
        and bool(values.keys)
        and all(isinstance(k, ast.Attribute) and _unread(table, k.attr) for k in values.keys)
    )


def _writes(function: ast.AST) -> list[ast.Call]:
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in TABLES:
            found.append(node)  # a row built to be saved or inserted
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "insert"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "rawsql"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in TABLES
        ):
            found.append(node)  # rows inserted by hand (``core.rawsql.insert``)
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and _table_of(node.func.value) is not None
            and not _unread_only(node)
        ):
            found.append(node)
    return found


def _bumps(function: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == BUMP)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == BUMP)
        )
        for node in ast.walk(function)
    )


def scan_source(source: str, path: str) -> list[Writer]:
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    # A waiver above a statement covers every call in it (a row built inside an insert).
    statements = {
        id(inner): statement.lineno
        for statement in ast.walk(tree)
        if isinstance(statement, ast.stmt)
        and not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(statement)
    }
    for function in functions:
        inner = {id(c) for f in ast.walk(function) if f is not function for c in _nested(f)}
        for call in _writes(function):
            if id(call) in inner:
                continue  # judged with the nested function it belongs to
            here = lines[call.lineno - 1]
            start = statements.get(id(call), call.lineno)
            above = [lines[n - 2].strip() for n in {start, call.lineno} if n >= 2]
            if WAIVER in here or any(a.startswith(WAIVER) for a in above) or _bumps(function):
                continue
            found.append(Writer(path, call.lineno, function.name, here.strip()))
    return found


def _nested(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return list(ast.walk(node))
    return []


def application_files() -> list[Path]:
    return [
        path
        for top in SCANNED
        for path in sorted((ROOT / top).rglob("*.py"))
        if SKIPPED_PARTS.isdisjoint(path.parts) and path.name != "tables.py"
    ]


def test_every_writer_to_the_provider_and_booking_tables_bumps_the_matching_version() -> None:
    found = [
        writer
        for path in application_files()
        for writer in scan_source(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not found, (
        "These change providers or holds without bump_matching_version() in the same function "
        "(inside the write transaction), so matching's candidate index would not see them:\n"
        + "\n".join(map(str, found))
    )


def test_the_scan_finds_a_writer_that_does_not_bump() -> None:
    source = """
async def move(tenant_id, pid):
    async with write_transaction():
        await ProviderProfile.update({ProviderProfile.area_lat: 31.2}).where(x)

async def add_skill(tenant_id, pid):
    await ProviderSkill.insert(ProviderSkill(tenant=tenant_id, provider=pid, item_ref="a"))

async def suspend(tenant_id, pid):
    await scoped(ProviderProfile, tenant_id).update({ProviderProfile.status: "x"}).where(y)

async def rate(pid):
    await ProviderProfile.update({ProviderProfile.rating_sum: 5, ProviderProfile.rating_count: 1})

async def cancel(bid):
    await Booking.update({Booking.status: "cancelled", Booking.note: "x"}).where(z)

async def book(tid, pid):
    await rawsql.insert(Booking, {"tenant": tid, "provider": pid, "status": "offered"})
"""
    assert [(w.function, w.line) for w in scan_source(source, "x.py")] == [
        ("move", 4),
        ("add_skill", 7),
        ("add_skill", 7),
        ("suspend", 10),
        ("rate", 13),
        ("cancel", 16),
        ("book", 19),
    ]


def test_the_scan_accepts_a_bump_unread_columns_and_a_waiver() -> None:
    source = """
async def move(tenant_id, pid):
    async with write_transaction():
        await ProviderProfile.update({ProviderProfile.area_lat: 31.2}).where(x)
        await bump_matching_version(tenant_id)

async def finish(pid):
    await ProviderProfile.update({ProviderProfile.jobs_done: ProviderProfile.jobs_done + 1})

async def group(bid, sid):
    await Booking.update({Booking.series: sid}).where(Booking.id == bid)

async def load(pid):
    # matching-version: the loader bumps once at the end
    await ProviderSkill.insert(*rows)

async def ask(tid):
    # matching-version: nobody's time is held yet
    await Booking.insert(
        Booking(tenant=tid, provider=None)
    )
"""
    assert scan_source(source, "x.py") == []
