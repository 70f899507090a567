"""The change counters a request's sign-in read (``core.tenancy.counters``): seen for that
request only, and forgotten once the request itself changes what they guard."""

from __future__ import annotations

from core.tenancy import counters


def test_counters_are_seen_inside_the_request_that_read_them_only() -> None:
    assert counters.seen("prices") is None  # outside a request: read the database
    with counters.reading():
        counters.note({"prices": "v7", "providers": None})
        assert counters.seen("prices") == "v7"
        assert counters.seen("providers") is None  # the tenant has none yet
    assert counters.seen("prices") is None


def test_a_request_that_changes_prices_or_providers_reads_them_afresh() -> None:
    with counters.reading():
        counters.note({"prices": "v7", "providers": "row:3"})
        counters.moved()
        assert counters.seen("prices") is None
        assert counters.seen("providers") is None


def test_the_sign_in_query_reads_every_counter_by_its_name() -> None:
    sql = counters.columns("t.tenant")
    assert "catalog_price_version WHERE tenant = t.tenant" in sql
    assert sql.count(" AS counter_") == len(counters.COUNTERS_SQL)
