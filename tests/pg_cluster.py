"""A throwaway PostgreSQL cluster for the test run, started from Debian's binaries.

PostgreSQL refuses to run as root (CI runs as root), so the server runs as the ``postgres``
system user when we are root. The cluster lives in a temporary folder, listens on 127.0.0.1
on a free port, trusts local connections, runs with fsync off, and is removed afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_bindir() -> Path | None:
    if found := shutil.which("pg_config"):
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayCluster:
    def __init__(self, bindir: Path, settings: str = "") -> None:
        self.bindir = bindir
        self.settings = settings
        """More server settings (``-c name=value ...``): the benchmarks' statement statistics."""
        self.root = Path(tempfile.mkdtemp(prefix="doorstep-pg-"))
        self.port = free_port()
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # KeyError: install Debian's postgresql package
            shutil.chown(self.root, "postgres", "postgres")
            self._prefix = ["runuser", "-u", "postgres", "--"]

    DATABASE = "doorstep"
    OWNER = "doorstep_owner"
    APP = "doorstep_app"

    def _url(self, role: str, database: str = DATABASE) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    @property
    def dsn(self) -> str:
        """The application role: logs in, owns nothing, may not bypass row-level security."""
        return self._url(self.APP)

    @property
    def owner_dsn(self) -> str:
        """The role that owns the tables and runs the migrations."""
        return self._url(self.OWNER)

    @property
    def superuser_dsn(self) -> str:
        return self._url("postgres")

    def psql(self, sql: str, database: str = DATABASE, role: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                role,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout

    def dump(self, database: str = DATABASE) -> str:
        """``pg_dump`` of the whole database (as the superuser: row security does not hide rows
        from it), as plain SQL text."""
        out = subprocess.run(
            [
                *self._prefix,
                str(self.bindir / "pg_dump"),
                "--no-owner",
                "-d",
                f"postgresql://postgres@127.0.0.1:{self.port}/{database}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return out.stdout.decode("utf-8")

    def provision(self) -> None:
        """The roles of a production install (see docs/operations.md): an owner that runs
        migrations, and an application role with row privileges only, granted by default on
        every table the owner creates."""
        self.psql(
            f"CREATE ROLE {self.OWNER} LOGIN; "
            f"CREATE ROLE {self.APP} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
            database="postgres",
        )
        self.psql(f"CREATE DATABASE {self.DATABASE} OWNER {self.OWNER}", database="postgres")
        self.psql(
            "REVOKE ALL ON SCHEMA public FROM PUBLIC; "
            f"GRANT USAGE, CREATE ON SCHEMA public TO {self.OWNER}; "
            f"GRANT USAGE ON SCHEMA public TO {self.APP}; "
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {self.OWNER} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {self.APP}; "
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {self.OWNER} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {self.APP}"
        )

    def _run(self, *args: str) -> None:
        subprocess.run([*self._prefix, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> ThrowawayCluster:
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            f" {self.settings}"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )
        self.provision()
        return self

    def stop(self) -> None:
        try:
            pg_ctl = str(self.bindir / "pg_ctl")
            self._run(pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
