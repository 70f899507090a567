"""The tenant's change counters, as this request's sign-in read them.

A process keeps in memory what rarely changes and every booking needs: the tenant's price
versions (``core.catalog.price_lists``) and its providers' profiles, skills and checks (the
candidate index, ``core.matching.index``). Each used to be checked by a read of its own on
every request. Each now has a counter that moves in the same transaction as any change to what
it guards:

- ``prices``: the newest price version's id (versions are only ever added);
- ``providers``: the matching version row's id and its profile count (``profile_version``,
  bumped by ``bump_matching_version`` unless only bookings changed).

The bearer token's lookup (``core.accounts.signin``, one query every API request makes
anyway) reads both with the token. Whatever a process kept is current while its counter
equals the one read: the counter is read before the data, and a change commits with its
counter, so nothing older than the request's own sign-in is ever served.

A request that itself changes prices or providers (``moved``) reads them afresh for the rest
of it. Outside a signed-in API request (pages, the CLI, the worker) nothing was read, and each
cache reads the database as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

COUNTERS_SQL = {
    "prices": "(SELECT CAST(id AS TEXT) FROM catalog_price_version WHERE tenant = {tenant} "
    "ORDER BY number DESC LIMIT 1)",
    "providers": "(SELECT CAST(id AS TEXT) || ':' || CAST(profile_version AS TEXT) "
    "FROM matching_version WHERE tenant = {tenant})",
}
"""Each counter as a sub-query for the sign-in's query (``{tenant}``: its tenant column). Their
keepers compare them with what they kept: ``core.catalog.price_lists._versions_of`` and
``core.matching.version.versions``."""


def columns(tenant: str) -> str:
    """The counters as select-list items, each named ``counter_<name>``."""
    return ", ".join(
        f"{sql.format(tenant=tenant)} AS counter_{name}" for name, sql in COUNTERS_SQL.items()
    )


def note_row(row: dict[str, Any]) -> None:
    """The counters of a row selected with ``columns``."""
    note({name: row.get(f"counter_{name}") for name in COUNTERS_SQL})


_seen: ContextVar[dict[str, str] | None] = ContextVar("doorstep_counters", default=None)


@contextmanager
def reading() -> Iterator[None]:
    """One request: the counters its sign-in notes are seen until it ends."""
    token = _seen.set({})
    try:
        yield
    finally:
        _seen.reset(token)


def note(counters: dict[str, Any]) -> None:
    """The counters as the sign-in read them (None: the tenant has none yet)."""
    seen = _seen.get()
    if seen is not None:
        seen.update({name: str(value) for name, value in counters.items() if value is not None})


def seen(name: str) -> str | None:
    """The counter ``name`` as this request read it, or None (not read: read the database)."""
    found = _seen.get()
    return None if found is None else found.get(name)


def moved() -> None:
    """This request changed what a counter guards: from now on it reads afresh."""
    found = _seen.get()
    if found:
        found.clear()
