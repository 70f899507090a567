"""Matching benchmark: one request -> the top 10 providers, against a brute-force oracle.

    .venv/bin/python bench/matching.py --providers 10000 100000 [--engine sqlite|postgres]

For each size: a fresh database with a metro area (``bench/metro.py``: 64 skills, certificates,
three bookings a day each), then

- ``database``: the real code path, ``core.matching.service.find_candidates`` (first 10), on
  random requests for up to ``--db-queries`` requests or ``--db-seconds`` seconds; with the
  in-memory candidate index (``core.matching.index``, built by the first request:
  ``first_request_ms``), or ``--without-index`` the database alone;
- ``memory``: the in-memory index (``bench/memindex.py``) on ``--queries`` requests;
- ``oracle``: every provider checked in plain Python; both results must equal it, same
  providers in the same order, on every query (``mismatches`` counts the ones that do not).

Prints one JSON document. Targets (issue 6): p99 <= 10 ms at 100k through the database,
<= 2 ms in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Database, emit, machine, open_database, summary_ms
from bench.metro import NOW, SKILLS, Metro, oracle, skill_ref, utc_at


def bench_catalog(plugins: Any, tenant: Any) -> Any:
    """Jiejia's catalogue with 64 housekeeping items (``housekeeping.skill_00`` ...), each
    needing what home cleaning needs: the health certificate, housekeeping training and the
    course."""
    import msgspec

    from core.catalog.model import TenantCatalog
    from core.catalog.service import build_catalog

    base, _ = build_catalog(plugins, tenant)
    template = base.item("housekeeping.home_cleaning")
    assert template is not None, "the housekeeping plugin offers home cleaning"
    items = [msgspec.structs.replace(template, key=f"skill_{k:02d}") for k in range(SKILLS)]
    return TenantCatalog.build([msgspec.structs.replace(base.categories[0], items=items)])


async def database_path(
    db: Database, metro: Metro, queries: list[dict[str, Any]], limit_s: float
) -> tuple[list[float], list[list[str]], int, dict[str, float]]:
    from core.matching.service import JobRequest, find_candidates

    tenant = db.tenants.get("jiejia")
    tenant_id = db.tenant_ids["jiejia"]
    catalog = bench_catalog(db.plugins, tenant)

    async def top(query: dict[str, Any]) -> tuple[list[str], int]:
        job = JobRequest(
            item_ref=skill_ref(query["skill"]),
            point=query["point"],
            starts_at=utc_at(query["start_min"]),
            duration_minutes=60,
        )
        found = await find_candidates(
            db.plugins, tenant, tenant_id, catalog, job, now=NOW, limit=10
        )
        return [c.provider_id for c in found], len(found)

    started = time.perf_counter()
    await top(queries[0])  # the first request builds the candidate index (if there is one)
    first = time.perf_counter() - started
    for query in queries[1:3]:  # warm up: keys, plugin callers, the planner
        await top(query)
    times, results, eligible = [], [], 0
    deadline = time.perf_counter() + limit_s
    for query in queries:
        started = time.perf_counter()
        ids, count = await top(query)
        times.append(time.perf_counter() - started)
        results.append(ids)
        eligible += count
        if time.perf_counter() > deadline:
            break
    after_change = await request_after_changes(db, queries[0], top)
    return times, results, eligible // max(1, len(results)), {"first": first, **after_change}


async def request_after_changes(db: Database, query: dict[str, Any], top: Any) -> dict[str, float]:
    """The request right after providers changed (a matching version naming them): the index
    patches just those. Ten providers' rows are rewritten as they are (results unchanged)."""
    from core.db import write_transaction
    from core.matching.version import bump_matching_version
    from core.providers.tables import ProviderProfile
    from core.tenancy.scoped import tenant_transaction

    tenant_id = db.tenant_ids["jiejia"]
    out = {}
    for count in (1, 10):
        async with tenant_transaction(tenant_id), write_transaction():
            rows = await ProviderProfile.select(ProviderProfile.id).limit(count)
            await bump_matching_version(tenant_id, *[r["id"] for r in rows])
        started = time.perf_counter()
        await top(query)
        out[f"after_{count}_changed"] = time.perf_counter() - started
    return out


def memory_path(
    metro: Metro, queries: list[dict[str, Any]]
) -> tuple[float, list[float], list[list[str]]]:
    from bench.memindex import MemoryIndex

    started = time.perf_counter()
    index = MemoryIndex(metro)
    build = time.perf_counter() - started
    # A long-lived index is frozen out of the garbage collector's way, as a server would.
    gc.collect()
    gc.freeze()
    for query in queries[:3]:
        index.top(query)
    times, results = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(index.top(query))
        times.append(time.perf_counter() - started)
    return build, times, results


def compare(
    metro: Metro, queries: list[dict[str, Any]], results: list[list[str]]
) -> tuple[int, list[dict[str, Any]]]:
    mismatches = []
    for query, got in zip(queries, results, strict=False):
        want = oracle(metro, query)
        if got != want:
            mismatches.append({"query": query, "got": got, "want": want})
    return len(mismatches), mismatches[:3]


async def run_size(args: argparse.Namespace, n: int) -> dict[str, Any]:
    result: dict[str, Any] = {"providers": n}
    started = time.perf_counter()
    metro = Metro.generate(n, seed=args.seed)
    queries = metro.queries(max(args.queries, args.db_queries), seed=args.seed + 1)
    result["generate_s"] = round(time.perf_counter() - started, 2)
    if not args.memory_only:
        db = await open_database(
            args.engine,
            database_url=args.database_url,
            owner_url=args.owner_url,
            superuser_url=args.superuser_url,
        )
        try:
            started = time.perf_counter()
            result["rows"] = await metro.load(
                db, db.tenant_ids["jiejia"], announce=not args.without_index
            )
            result["load_s"] = round(time.perf_counter() - started, 2)
            if args.engine == "postgres":
                from piccolo.engine.postgres import PostgresEngine

                from core.tenancy.tables import TenantRow

                engine = TenantRow._meta.db
                assert isinstance(engine, PostgresEngine)
                # A deployment runs with a pool; without one every request opens a connection.
                await engine.start_connection_pool(min_size=1, max_size=4)
            times, results, eligible, first = await database_path(
                db, metro, queries[: args.db_queries], args.db_seconds
            )
            bad, examples = compare(metro, queries, results)
            result["database"] = {
                **summary_ms(times),
                "engine": args.engine,
                "candidate_index": not args.without_index,
                **{f"{k}_request_ms": round(v * 1000, 1) for k, v in first.items()},
                "found_per_query": eligible,
                "mismatches": bad,
                **({"examples": examples} if examples else {}),
            }
        finally:
            if args.engine == "postgres":
                from core.tenancy.tables import TenantRow

                await TenantRow._meta.db.close_connection_pool()
            db.close()
    build, times, results = memory_path(metro, queries[: args.queries])
    bad, examples = compare(metro, queries, results)
    result["memory"] = {
        "build_s": round(build, 3),
        **summary_ms(times),
        "mismatches": bad,
        **({"examples": examples} if examples else {}),
    }
    started = time.perf_counter()
    oracle(metro, queries[0])
    result["oracle_ms_per_query"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--queries", type=int, default=300, help="memory-index requests")
    parser.add_argument("--db-queries", type=int, default=200, help="database requests (max)")
    parser.add_argument("--db-seconds", type=float, default=25.0, help="database time limit")
    parser.add_argument("--memory-only", action="store_true", help="skip the database path")
    parser.add_argument(
        "--without-index",
        action="store_true",
        help="no matching version: the real path asks the database alone (no candidate index)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="", help="PostgreSQL app role (else throwaway)")
    parser.add_argument("--owner-url", default="", help="PostgreSQL table owner (migrations)")
    parser.add_argument("--superuser-url", default="", help="PostgreSQL role for bulk loads")
    args = parser.parse_args()
    if len(args.providers) == 1:
        sizes = [await run_size(args, args.providers[0])]
    else:
        # One process per size: a fresh interpreter, database and heap for each.
        sizes = [one_size_in_a_process(n) for n in args.providers]
    emit({"benchmark": "matching", "machine": machine(), "sizes": sizes})


def one_size_in_a_process(n: int) -> dict[str, Any]:
    import json
    import subprocess

    argv = sys.argv[1:]
    at = argv.index("--providers") if "--providers" in argv else len(argv)
    end = at + 1
    while end < len(argv) and not argv[end].startswith("--"):
        end += 1
    command = [sys.executable, __file__, *argv[:at], *argv[end:], "--providers", str(n)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {n} providers run failed")
    return dict(json.loads(done.stdout)["sizes"][0])


if __name__ == "__main__":
    asyncio.run(main())
