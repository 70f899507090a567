"""What the benchmarks share: a fresh database on either engine, bulk loading, percentiles.

SQLite: a new file in a temporary folder (WAL). PostgreSQL: ``--database-url`` (the app role;
``--owner-url`` runs migrations and bulk loads), or else a throwaway cluster started from the
Debian binaries exactly as the test suite does (``tests/pg_cluster.py``: fsync off,
synchronous_commit off, so PostgreSQL figures are an upper bound for a durable install).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOLDING_SQL = "('offered', 'accepted', 'en_route', 'arrived', 'in_progress')"
OVERLAP_AUDIT_SQL = (
    "SELECT count(*) AS pairs FROM booking_booking a JOIN booking_booking b "  # noqa: S608
    "ON a.provider = b.provider AND a.id < b.id "
    "AND a.hold_start < b.hold_end AND b.hold_start < a.hold_end "
    f"WHERE a.status IN {HOLDING_SQL} AND b.status IN {HOLDING_SQL}"
)
"""Pairs of bookings holding one provider's overlapping time, every tenant (must be 0)."""


def fresh_keys() -> None:
    """Personal-data keys for this run only (nothing sealed here outlives it)."""
    from core.privacy.keys import new_key

    os.environ["DOORSTEP_DATA_KEYS"] = f"b1:{new_key()}"
    os.environ["DOORSTEP_INDEX_KEY"] = new_key()


@dataclass
class Database:
    engine: str
    workdir: Path
    app_url: str = ""
    owner_url: str = ""
    superuser_url: str = ""
    cluster: Any = None
    settings: Any = None
    plugins: Any = None
    tenants: Any = None
    tenant_ids: dict[str, str] = field(default_factory=dict)

    @property
    def sqlite_path(self) -> Path:
        return Path(self.settings.sqlite_path)

    @property
    def loader_url(self) -> str:
        """Bulk loads bypass row-level security: the superuser (or the owner given)."""
        return self.superuser_url or self.owner_url or self.app_url

    def env(self) -> dict[str, str]:
        """Environment for a server process on this database."""
        env = {
            **os.environ,
            "DOORSTEP_VAR": str(self.settings.var_dir),
            "PYTHONPATH": str(ROOT),
        }
        if self.engine == "postgres":
            env["DATABASE_URL"] = self.app_url
            env["DATABASE_OWNER_URL"] = self.owner_url or self.app_url
        else:
            env.pop("DATABASE_URL", None)
            env.pop("DATABASE_OWNER_URL", None)
        return env

    def value(self, value: Any) -> Any:
        """A value as ``bulk`` wants it: Piccolo's SQLite storage form (UUIDs and datetimes as
        text, what its adapters write), or the value itself for PostgreSQL."""
        if self.engine == "postgres":
            return value
        return self._stored(value)

    @property
    def _stored(self) -> Any:
        if not hasattr(self, "_stored_fn"):
            self._stored_fn = _sqlite_values()
        return self._stored_fn

    async def bulk(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert many rows fast, bypassing the ORM (SQLite: executemany in one transaction;
        PostgreSQL: COPY). Values as ``value`` gives them; ids may be text on both engines."""
        rows = list(rows)
        if not rows:
            return 0
        if self.engine == "sqlite":
            import sqlite3

            import piccolo.engine.sqlite  # noqa: F401 - registers Piccolo's value adapters

            connection = sqlite3.connect(self.sqlite_path)
            try:
                marks = ", ".join("?" for _ in columns)
                names = ", ".join(f'"{c}"' for c in columns)
                connection.execute("PRAGMA synchronous=OFF")
                connection.execute("PRAGMA cache_size=-400000")
                with connection:
                    connection.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                        rows,
                    )
            finally:
                connection.close()
        else:
            import asyncpg

            connection = await asyncpg.connect(self.loader_url)
            try:
                await connection.copy_records_to_table(table, records=rows, columns=list(columns))
            finally:
                await connection.close()
        return len(rows)

    async def scalar(self, sql: str) -> Any:
        """One value read across every tenant (an auditor's read)."""
        if self.engine == "sqlite":
            import sqlite3

            connection = sqlite3.connect(self.sqlite_path)
            try:
                return connection.execute(sql).fetchone()[0]
            finally:
                connection.close()
        import asyncpg

        connection = await asyncpg.connect(self.loader_url)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    async def analyze(self) -> None:
        """Fresh planner statistics after a bulk load."""
        if self.engine == "sqlite":
            import sqlite3

            connection = sqlite3.connect(self.sqlite_path)
            try:
                connection.execute("ANALYZE")
            finally:
                connection.close()
        else:
            import asyncpg

            connection = await asyncpg.connect(self.loader_url)
            try:
                await connection.execute("ANALYZE")
            finally:
                await connection.close()

    def close(self) -> None:
        import shutil

        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def _sqlite_values() -> Any:
    """Values in Piccolo's SQLite storage form (what its adapters write), computed once per
    distinct datetime: UUIDs as text, aware datetimes as UTC text, dates as ISO text."""
    import datetime as dt
    import uuid

    cache: dict[Any, str] = {}

    def moment(value: dt.datetime) -> str:
        found = cache.get(value)
        if found is None:
            found = cache[value] = str(value.astimezone(dt.UTC))
        return found

    convert: dict[type, Any] = {uuid.UUID: str, dt.datetime: moment, dt.date: dt.date.isoformat}

    def stored(value: Any) -> Any:
        how = convert.get(type(value))
        return value if how is None else how(value)

    return stored


async def open_database(
    engine: str,
    *,
    database_url: str = "",
    owner_url: str = "",
    superuser_url: str = "",
    pg_settings: str = "",
) -> Database:
    """A migrated, empty database with the demo tenants' rows, bound to this process."""
    from core.boot import load_tenants, prepare_database
    from core.plugins import build_plugin_manager
    from core.settings import Settings
    from core.tenancy.service import tenant_row_id

    fresh_keys()
    workdir = Path(tempfile.mkdtemp(prefix=f"doorstep-bench-{engine}-"))
    db = Database(engine=engine, workdir=workdir)
    if engine == "postgres":
        if database_url:
            db.app_url, db.owner_url = database_url, owner_url or database_url
            db.superuser_url = superuser_url
        else:
            from tests.pg_cluster import ThrowawayCluster, find_bindir

            bindir = find_bindir()
            if bindir is None:
                raise SystemExit("PostgreSQL binaries not found: give --database-url")
            db.cluster = ThrowawayCluster(bindir, pg_settings).start()
            db.app_url = db.cluster.dsn
            db.owner_url = db.cluster.owner_dsn
            db.superuser_url = db.cluster.superuser_dsn
    elif engine != "sqlite":
        raise SystemExit(f"unknown engine {engine!r}")
    db.settings = Settings(
        var_dir=workdir / "var",
        database_url=db.app_url,
        database_owner_url=db.owner_url,
    )
    db.plugins = build_plugin_manager()
    db.tenants = load_tenants(db.settings, db.plugins)
    with contextlib.redirect_stdout(sys.stderr):  # Piccolo reports migrations on stdout
        await prepare_database(db.settings, db.plugins, db.tenants)
    for tenant in db.tenants:
        tid = await tenant_row_id(tenant.slug)
        assert tid is not None
        db.tenant_ids[tenant.slug] = tid
    return db


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, ensure_ascii=False, indent=2))
