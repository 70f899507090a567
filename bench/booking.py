"""Booking benchmark: createBooking over HTTP against the real server, many clients at once.

    .venv/bin/python bench/booking.py --clients 16 64 --engine sqlite|postgres

Starts ``uvicorn`` (``bench/serve.py`` -> ``core.web.app.create_app``; with ``--workers`` N > 1,
N processes each with its own listening socket, ``core.web.workers``) on
127.0.0.1 over a fresh database holding ``--providers`` verified providers on the jiejia tenant
and one customer (with an API token) per client. Each client loops ``POST /api/v1/bookings``
(bounded: ``--seconds`` per phase): daily cleaning, 2 hours, a random day and a random
half-hour start, 70 % of requests naming one of the 200 "hot" providers, the rest one of the
others. The warm-up and each phase book days of their own (the 120 days ahead the API accepts,
split between them: the first 9 for the warm-up, then 55 each for two phases), so every phase
starts from empty calendars. Counts 201s (bookings/s), 409s (the time was taken), other
4xx, 5xx, time-outs, the server's CPU time per request (steadier than bookings/s on a shared
machine), then audits the database: overlapping holds of any provider (must be 0) and
bookings stored against 201s seen.

The reference, measured in the same run on the same machine: raw ``sqlite3`` in one thread,
WAL, one ``BEGIN IMMEDIATE`` transaction per booking (overlap check + insert), the same
request mix, ``synchronous=NORMAL`` and ``FULL``. The app answers a booking only once its
group's WAL is on disk (``core.db_group``), so ``FULL`` is the like-for-like durability.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    OVERLAP_AUDIT_SQL,
    ROOT,
    Database,
    emit,
    machine,
    open_database,
    percentile,
)
from bench.metro import COURSE, IDENTITY, new_ids

CENTRE = (31.2304, 121.4737)
TZ = ZoneInfo("Asia/Shanghai")
HOT = 200
HOT_SHARE = 0.7
DAYS = 60
"""The days the raw reference books over."""
AHEAD = 119
"""The days ahead the API accepts (120), split between the warm-up and the phases."""
WARM_DAYS = 9
ITEM = "housekeeping.home_cleaning"
HOURS = {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def first_day() -> date:
    return (datetime.now(TZ) + timedelta(days=1)).date()


def random_start(rng: random.Random, start_day: date, days: int = DAYS) -> datetime:
    """A half-hour start between 08:00 and 17:30 (2 hours fit the 08:00-20:00 hours)."""
    day = start_day + timedelta(days=rng.randrange(days))
    minutes = 8 * 60 + 30 * rng.randrange(20)
    local = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def booking_body(
    rng: random.Random, hot: list[str], cold: list[str], start_day: date, days: int
) -> bytes:
    """A createBooking request: 2 hours of daily cleaning at the centre, a random start,
    ``HOT_SHARE`` of them naming a hot provider."""
    provider = rng.choice(hot) if rng.random() < HOT_SHARE else rng.choice(cold)
    return json.dumps(
        {
            "items": [{"item": ITEM, "tier": "daily", "intake": {"area_m2": 60, "hours": 2}}],
            "place": {
                "address": "上海市黄浦区南京东路 1 号",
                "point": {"lat": CENTRE[0], "lng": CENTRE[1]},
                "district": "黄浦区",
            },
            "startsAt": random_start(rng, start_day, days).isoformat(),
            "providerId": provider,
        }
    ).encode()


# --- the world ------------------------------------------------------------------------------


async def seed(db: Database, providers: int, customers: int) -> tuple[list[str], list[str]]:
    """Verified providers around the centre (radius 30 km, so everyone serves the centre) and
    customers with API tokens. Returns (provider ids, tokens)."""
    from core.accounts.signin import issue_token

    tid = db.tenant_ids["jiejia"]
    v = db.value
    now = datetime.now(UTC)
    created, valid = v(now - timedelta(days=60)), v(now + timedelta(days=300))
    pids, users = new_ids(providers), new_ids(providers + customers)
    fresh = iter(new_ids(providers * 10))
    rng = random.Random(3)  # noqa: S311 - a workload, not a secret
    await db.bulk(
        "accounts_user",
        ("id", "tenant", "kind", "locale", "created_at"),
        [(u, tid, "provider" if n < providers else "customer", "zh_CN", created)
         for n, u in enumerate(users)],
    )  # fmt: skip
    await db.bulk(
        "providers_profile",
        ("id", "tenant", "user", "gender", "languages", "area_lat", "area_lng",
         "area_radius_km", "area_districts", "working_hours", "days_off", "status",
         "quality_score", "rating_sum", "rating_count", "created_at"),
        [
            (p, tid, users[n], "female", "zh", CENTRE[0] + rng.uniform(-0.05, 0.05),
             CENTRE[1] + rng.uniform(-0.05, 0.05), 30.0, "", json.dumps(HOURS), "[]", "active",
             0.8, 45 * (n % 7), 10 * (n % 7), created)
            for n, p in enumerate(pids)
        ],
    )  # fmt: skip
    await db.bulk(
        "providers_skill",
        ("id", "tenant", "provider", "item_ref", "suspended", "suspended_reason"),
        [(next(fresh), tid, p, ITEM, False, "") for p in pids],
    )
    await db.bulk(
        "verification_check",
        ("id", "tenant", "provider", "kind", "status", "started_at", "checked_at", "valid_until"),
        [
            (next(fresh), tid, p, k, "passed", created, created, valid)
            for p in pids
            for k in IDENTITY
        ],
    )
    since, until = v(date(2025, 1, 1)), v(date(2030, 12, 31))
    await db.bulk(
        "verification_certificate",
        ("id", "tenant", "provider", "kind", "number_enc", "issuer", "valid_from",
         "valid_until", "status", "created_at"),
        [(next(fresh), tid, p, k, "x", "卫健委", since, until, "approved", created)
         for p in pids for k in ("health_certificate", "housekeeping_training")],
    )  # fmt: skip
    await db.bulk(
        "verification_training",
        ("id", "tenant", "provider", "course", "score", "passed_at", "taken_at"),
        [(next(fresh), tid, p, COURSE, 100, created, created) for p in pids],
    )
    tokens = [
        await issue_token(u, tid, label="bench") for u in users[providers : providers + customers]
    ]
    await db.analyze()
    return pids, tokens


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Database, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    log = open(db.workdir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    if workers > 1:  # a socket per worker (SO_REUSEPORT): connections spread evenly
        command = ["-m", "bench.serve", "--port", str(port), "--workers", str(workers)]
    else:
        command = ["-m", "uvicorn", "--factory", "bench.serve:app", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *command],
        cwd=ROOT,
        env=db.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: see {db.workdir / 'server.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start in 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=120 if os.environ.get("DOORSTEP_BENCH_PROFILE") else 15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


WORKER_HEADER = "x-bench-worker"
"""Names the server process that answered ``/health`` (``bench/serve.py``)."""


# --- a small HTTP/1.1 client (keep-alive), light enough not to starve the server ------------


class _Responses(asyncio.Protocol):
    """Reads HTTP/1.1 responses off one connection as they arrive, in the callback: no task,
    no stream buffer, one future per request."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: asyncio.Future[tuple[int, bool]] | None = None
        self.lost = False
        self.worker = ""
        """The server process that answered (``bench/serve.py``'s header on ``/health``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiting is None or self.waiting.done():
            return
        status_line, *lines = self.buffer[:end].decode("latin-1").split("\r\n")
        length, close = 0, False
        for line in lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
            elif name.lower() == WORKER_HEADER:
                self.worker = value.strip()
        if len(self.buffer) < end + 4 + length:
            return  # the body is still coming
        del self.buffer[: end + 4 + length]
        self.waiting.set_result((int(status_line.split()[1]), close))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(ConnectionError("closed"))


class Connection:
    """One keep-alive connection. Cheap on purpose: the load generator shares the machine's
    cores with the server, so every microsecond it spends is one the server does not get (a
    protocol parsing responses in its callback, no task per request, uvloop when installed:
    ``run``)."""

    def __init__(self, port: int, host_header: str) -> None:
        self.port = port
        self.host = host_header
        self.protocol: _Responses | None = None

    async def post(self, path: str, body: bytes, token: str, timeout: float) -> int:
        async with asyncio.timeout(timeout):
            return await self._send(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

    async def worker(self, timeout: float) -> str:
        """Which server process this connection reached (opening it if need be)."""
        async with asyncio.timeout(timeout):
            await self._send(f"GET /health HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        return self.protocol.worker if self.protocol is not None else ""

    async def _send(self, request: bytes) -> int:
        loop = asyncio.get_running_loop()
        if self.protocol is None or self.protocol.lost:
            _, self.protocol = await loop.create_connection(_Responses, "127.0.0.1", self.port)
        protocol = self.protocol
        assert protocol.transport is not None
        protocol.waiting = loop.create_future()
        protocol.transport.write(request)
        status, close = await protocol.waiting
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()
        self.protocol = None


async def balanced_connections(port: int, clients: int, workers: int) -> list[Connection]:
    """``clients`` keep-alive connections spread evenly over the server's ``workers``
    processes. The kernel hands each new connection to a worker's socket by a hash of its
    addresses: with 16 connections and 2 workers, a split of 12/4 or worse comes 1 run in 13,
    and then one worker is saturated while the other idles. Many clients even out in a live
    system; a benchmark's few do not, and its figure then varied by a fifth from run to run.
    A connection that reached a worker with its share already is closed and made again."""
    connections = [Connection(port, "jiejia.localhost") for _ in range(clients)]
    if workers <= 1:
        return connections
    share = -(-clients // workers)
    held: dict[str, int] = {}
    for connection in connections:
        for _ in range(50 * workers):
            worker = await connection.worker(10.0)
            if held.get(worker, 0) < share:
                held[worker] = held.get(worker, 0) + 1
                break
            connection.close()
    return connections


def _processes() -> list[tuple[int, int, int, float]]:
    """(pid, parent, process group, CPU seconds used: user + system) of the live processes,
    from ``/proc``; none where there is no ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        found.append(
            (pid, int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / tick)
        )
    return found


def group_cpu_seconds(group: int) -> float:
    """CPU time used so far by the live processes of a process group (the server and its
    workers)."""
    return sum(cpu for _, _, pgrp, cpu in _processes() if pgrp == group)


def tree_cpu_seconds(root: int) -> float:
    """CPU time used so far by a process and its live children (PostgreSQL's postmaster and
    its backends); 0 when ``root`` is 0."""
    if not root:
        return 0.0
    return sum(cpu for pid, parent, _, cpu in _processes() if root in (pid, parent))


async def phase(
    port: int,
    clients: int,
    tokens: list[str],
    pids: list[str],
    seconds: float,
    timeout: float,
    server_group: int = 0,
    window: tuple[int, int] = (0, DAYS),
    workers: int = 1,
    database_root: int = 0,
) -> dict[str, Any]:
    """``clients`` loop createBooking for ``seconds``. ``window``: the days the phase books
    (first, count: each phase its own, so each starts from empty calendars and its 409s do
    not depend on how many bookings the phases before it made)."""
    counts = {"201": 0, "409": 0, "other_4xx": 0, "5xx": 0, "timeouts": 0, "errors": 0}
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    start_day, days = first_day() + timedelta(days=window[0]), window[1]
    hot, cold = pids[:HOT], pids[HOT:]
    connections = await balanced_connections(port, clients, workers)
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        rng = random.Random(1000 * clients + n)  # noqa: S311
        connection = connections[n]
        token = tokens[n]
        while time.perf_counter() < deadline:
            body = booking_body(rng, hot, cold, start_day, days)
            started = time.perf_counter()
            try:
                status = await connection.post("/api/v1/bookings", body, token, timeout)
            except TimeoutError:
                counts["timeouts"] += 1
                connection.close()
                continue
            except (OSError, ConnectionError, ValueError):
                counts["errors"] += 1
                connection.close()
                continue
            latencies.append(time.perf_counter() - started)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status in (200, 201):
                counts["201"] += 1
            elif status == 409:
                counts["409"] += 1
            elif status >= 500:
                counts["5xx"] += 1
            else:
                counts["other_4xx"] += 1
        connection.close()

    began, server_cpu, client_cpu, database_cpu = (
        time.perf_counter(),
        group_cpu_seconds(server_group),
        time.process_time(),
        tree_cpu_seconds(database_root),
    )
    await asyncio.gather(*[client(n) for n in range(clients)])
    elapsed = time.perf_counter() - began
    server_cpu = group_cpu_seconds(server_group) - server_cpu
    client_cpu = time.process_time() - client_cpu
    database_cpu = tree_cpu_seconds(database_root) - database_cpu
    ms = sorted(x * 1000 for x in latencies)
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "bookings_per_s": round(counts["201"] / elapsed, 1),
        **counts,
        "statuses": statuses,
        "p50_ms": round(percentile(ms, 50), 1) if ms else None,
        "p99_ms": round(percentile(ms, 99), 1) if ms else None,
        # Server CPU per request: steadier than bookings/s on a shared machine, and what one
        # core's throughput is bounded by (1,000/s on one core needs <= 1 ms).
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(latencies)), 3),
        "server_cores_busy": round(server_cpu / elapsed, 2),
        "client_cores_busy": round(client_cpu / elapsed, 2),
        **(
            {
                # The throwaway PostgreSQL cluster's processes (on this machine too).
                "database_cpu_ms_per_request": round(
                    1000 * database_cpu / max(1, len(latencies)), 3
                ),
                "database_cores_busy": round(database_cpu / elapsed, 2),
            }
            if database_root
            else {}
        ),
    }


# --- the reference: raw sqlite3 -------------------------------------------------------------


def raw_sqlite(seconds: float, synchronous: str, providers: int) -> dict[str, Any]:
    """One thread, WAL, BEGIN IMMEDIATE per booking: overlap check + insert, the same mix."""
    folder = Path(tempfile.mkdtemp(prefix="doorstep-raw-"))
    connection = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute(
            "CREATE TABLE booking (id TEXT PRIMARY KEY, provider TEXT NOT NULL, "
            "hold_start TEXT NOT NULL, hold_end TEXT NOT NULL, status TEXT NOT NULL)"
        )
        connection.execute("CREATE INDEX booking_provider ON booking (provider, hold_start)")
        pids = new_ids(providers)
        hot, cold = pids[:HOT], pids[HOT:]
        rng = random.Random(5)  # noqa: S311
        start_day = first_day()
        booked = tried = 0
        ids = iter(new_ids(2_000_000))
        deadline = time.perf_counter() + seconds
        began = time.perf_counter()
        while time.perf_counter() < deadline:
            for _ in range(100):
                provider = rng.choice(hot) if rng.random() < HOT_SHARE else rng.choice(cold)
                start = random_start(rng, start_day)
                hold = (str(start - timedelta(minutes=30)), str(start + timedelta(minutes=150)))
                tried += 1
                connection.execute("BEGIN IMMEDIATE")
                taken = connection.execute(
                    "SELECT 1 FROM booking WHERE provider = ? AND status = 'offered' "
                    "AND hold_start < ? AND hold_end > ? LIMIT 1",
                    (provider, hold[1], hold[0]),
                ).fetchone()
                if taken is None:
                    connection.execute(
                        "INSERT INTO booking VALUES (?, ?, ?, ?, 'offered')",
                        (next(ids), provider, *hold),
                    )
                    booked += 1
                connection.execute("COMMIT")
        elapsed = time.perf_counter() - began
        return {
            "synchronous": synchronous,
            "attempts_per_s": round(tried / elapsed),
            "bookings_per_s": round(booked / elapsed),
        }
    finally:
        connection.close()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


# --- main -----------------------------------------------------------------------------------


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--providers", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="web worker processes")
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before the phases, not counted"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per request")
    parser.add_argument("--database-url", default="", help="PostgreSQL app role (else throwaway)")
    parser.add_argument("--owner-url", default="")
    parser.add_argument("--superuser-url", default="")
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="PostgreSQL (throwaway cluster): the N statements that took the server longest,"
        " from pg_stat_statements (time includes waiting for locks)",
    )
    args = parser.parse_args()

    db = await open_database(
        args.engine,
        database_url=args.database_url,
        owner_url=args.owner_url,
        superuser_url=args.superuser_url,
        pg_settings=STATEMENT_STATISTICS if args.statements else "",
    )
    result: dict[str, Any] = {"benchmark": "booking", "machine": machine(), "engine": args.engine}
    try:
        pids, tokens = await seed(db, args.providers, max(args.clients))
        port = free_port()
        server = start_server(db, port, args.workers)
        try:
            result["server"] = (
                f"uvicorn, {args.workers} worker(s)"
                + (" (a socket each, SO_REUSEPORT)" if args.workers > 1 else "")
                + ", bench/serve.py -> core.web.app.create_app"
            )
            days = (AHEAD - WARM_DAYS) // len(args.clients)  # each phase's, after the warm-up's
            warm = {"201": 0}
            if args.warmup > 0:  # not timed: imports, the first index build, warm caches
                warm = await phase(
                    port, max(args.clients), tokens, pids, args.warmup, 10.0, window=(0, WARM_DAYS)
                )
                result["warmup"] = {k: warm[k] for k in ("seconds", "requests", "201", "5xx")}
            if args.engine == "postgres":
                # Statistics with bookings in them, as autovacuum takes within its first
                # minute of a live system: those of the empty table (taken after the seed) make
                # the planner read every booking of the tenant to find one provider's, and
                # the server's connections keep that plan until the next ANALYZE.
                await db.analyze()
            result["phases"] = [
                await phase(
                    port,
                    n,
                    tokens,
                    pids,
                    args.seconds,
                    args.timeout,
                    server.pid,
                    window=(WARM_DAYS + k * days, days),
                    workers=args.workers,
                    database_root=postmaster_pid(db),
                )
                for k, n in enumerate(args.clients)
            ]
        finally:
            stop_server(server)
        stored = await db.scalar("SELECT count(*) FROM booking_booking WHERE status = 'offered'")
        result["audit"] = {
            "overlapping_holds": await db.scalar(OVERLAP_AUDIT_SQL),
            "bookings_stored": stored,
            "bookings_answered_201": warm["201"] + sum(p["201"] for p in result["phases"]),
        }
        if args.statements and db.cluster is not None:
            result["postgres_statements"] = await longest_statements(db, args.statements)
        result["reference_raw_sqlite3"] = [
            raw_sqlite(min(args.seconds, 5.0), sync, args.providers) for sync in ("NORMAL", "FULL")
        ]
        best = max(p["bookings_per_s"] for p in result["phases"])
        result["ratio_to_raw_sqlite3_normal"] = round(
            best / max(1, result["reference_raw_sqlite3"][0]["bookings_per_s"]), 4
        )
    finally:
        db.close()
    emit(result)


STATEMENT_STATISTICS = (
    "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
)


async def longest_statements(db: Any, count: int) -> list[dict[str, Any]]:
    """The statements that took the server longest over the whole run (the seed included),
    by total time: calls, total and mean ms, rows. Foreign key checks show as the
    ``SELECT ... FOR KEY SHARE`` they run (``track=all``)."""
    import asyncpg

    connection = await asyncpg.connect(db.superuser_url)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        rows = await connection.fetch(
            "SELECT calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') AS query "
            "FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1",
            count,
        )
    finally:
        await connection.close()
    return [
        {
            "calls": r["calls"],
            "total_ms": round(r["total_exec_time"], 1),
            "mean_us": round(1000 * r["total_exec_time"] / max(1, r["calls"]), 1),
            "rows": r["rows"],
            "query": r["query"][:300],
        }
        for r in rows
    ]


def postmaster_pid(db: Any) -> int:
    """The throwaway PostgreSQL cluster's postmaster (0 for SQLite or a given server)."""
    if db.cluster is None:
        return 0
    return int((db.cluster.root / "data" / "postmaster.pid").read_text().split()[0])


def run(main: Any) -> None:
    """``asyncio.run``, on uvloop where installed (uvicorn's own loop): the load generator's
    share of the CPU, which the server does not get, is about half."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main)


if __name__ == "__main__":
    run(main())
