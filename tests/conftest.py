"""Test set-up shared by the whole suite.

``pytest`` runs everything on SQLite. ``pytest -m db --engine=postgres`` runs the database
tests again on a throwaway PostgreSQL cluster that this file starts and removes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.pg_cluster import ThrowawayCluster, find_bindir

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
_cluster: ThrowawayCluster | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database engine for the db tests",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _cluster
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("DATABASE_OWNER_URL", None)
    # Fresh keys for every run: nothing encrypted by a test outlives it.
    from core.privacy.keys import new_key

    os.environ["DOORSTEP_DATA_KEYS"] = f"t1:{new_key()}"
    os.environ["DOORSTEP_INDEX_KEY"] = new_key()
    if config.getoption("--engine") != "postgres":
        return
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            raise pytest.UsageError("PostgreSQL binaries not found (apt-get install postgresql)")
        config.issue_config_time_warning(
            pytest.PytestWarning("PostgreSQL not installed here: the postgres run is skipped"), 2
        )
        config.option.markexpr = "db and not db"
        return
    _cluster = ThrowawayCluster(bindir).start()
    # The app connects as the application role (row-level security applies); migrations run
    # as the tables' owner.
    os.environ["DATABASE_URL"] = _cluster.dsn
    os.environ["DATABASE_OWNER_URL"] = _cluster.owner_dsn
    os.environ["DOORSTEP_TEST_SUPERUSER_URL"] = _cluster.superuser_dsn  # tests.tenant_access


def pytest_unconfigure(config: pytest.Config) -> None:
    if _cluster is not None:
        _cluster.stop()


@pytest.fixture(scope="session", autouse=True)
def no_personal_data_in_logs() -> Iterator[None]:
    """Every record logged during the run (INFO and up) is scanned for personal data at the
    end; one is enough to fail the run (see tests/log_guard.py)."""
    import logging

    from tests.log_guard import RecordKeeper, scan

    root = logging.getLogger()
    keeper, level = RecordKeeper(), root.level
    root.addHandler(keeper)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    yield
    root.removeHandler(keeper)
    root.setLevel(level)
    found = scan(keeper.kept)
    if found:
        pytest.fail(
            f"personal data in {len(found)} log record(s) of this run; the first: {found[0]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--engine"))


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def settings(var_dir: Path):  # type: ignore[no-untyped-def]
    """Settings for the repository's tenants and themes, with state in a temp folder."""
    from core.settings import Settings

    return Settings(
        tenants_dir=ROOT / "tenants",
        themes_dir=ROOT / "themes",
        var_dir=var_dir,
        database_url=os.environ.get("DATABASE_URL", ""),
        database_owner_url=os.environ.get("DATABASE_OWNER_URL", ""),
    )


@pytest.fixture(scope="session")
async def migrated(settings) -> None:  # type: ignore[no-untyped-def]
    """The test database, migrated once per session (SQLite file or the throwaway cluster)."""
    from core.db import migrate

    await migrate(settings)


@pytest.fixture
async def db(migrated) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """A clean database for one test: every app table emptied before it runs."""
    from core.db import all_tables
    from core.tenancy.service import forget_tenant_rows

    forget_tenant_rows()  # the tenants' rows go too: new ones, new ids

    if _cluster is not None:
        # The application role cannot see other tenants' rows (row-level security): the
        # owner empties the tables (TRUNCATE is not filtered by row security).
        await _cluster_truncate([t._meta.tablename for t in all_tables()])
    else:
        for table in reversed(all_tables()):
            await table.delete(force=True)
    yield


async def _cluster_truncate(tables: list[str]) -> None:
    import asyncpg

    assert _cluster is not None
    connection = await asyncpg.connect(_cluster.owner_dsn)
    try:
        names = ", ".join(f'"{table}"' for table in tables)
        await connection.execute(f"TRUNCATE {names} CASCADE")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def pg_cluster() -> ThrowawayCluster:
    """The throwaway cluster of a ``--engine=postgres`` run (skips the test otherwise)."""
    if _cluster is None:
        pytest.skip("needs --engine=postgres")
    return _cluster


@pytest.fixture(scope="session")
def plugins():  # type: ignore[no-untyped-def]
    from core.plugins import build_plugin_manager

    return build_plugin_manager()


@pytest.fixture(scope="session")
def tenants(settings, plugins):  # type: ignore[no-untyped-def]
    from core.boot import load_tenants

    return load_tenants(settings, plugins)


@pytest.fixture(scope="session")
def app(settings, plugins, tenants, migrated):  # type: ignore[no-untyped-def]
    """The app, on a migrated database as ``doorstep serve`` has (it migrates before serving)."""
    from core.web.app import create_app

    return create_app(settings=settings, plugins=plugins, tenants=tenants)


@pytest.fixture
def client(app) -> Iterator:  # type: ignore[no-untyped-def]
    """A test client; pass ``headers={"host": ...}`` or use ``tenant_client``."""
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://jiejia.localhost") as test_client:
        yield test_client


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
