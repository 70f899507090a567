"""Process settings, read once from the environment.

Tenants are configured in YAML (see ``core.tenancy``); this is only what the process itself needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Where things live and how the process runs."""

    tenants_dir: Path = field(
        default_factory=lambda: _path("DOORSTEP_TENANTS", PROJECT_ROOT / "tenants")
    )
    """Folder of tenant YAML files, one per tenant."""
    themes_dir: Path = field(
        default_factory=lambda: _path("DOORSTEP_THEMES", PROJECT_ROOT / "themes")
    )
    """Folder of themes, one sub-folder per theme."""
    var_dir: Path = field(default_factory=lambda: _path("DOORSTEP_VAR", PROJECT_ROOT / "var"))
    """Writable state: the embedded SQLite database and caches."""
    database_url: str = field(default_factory=lambda: os.environ.get("DATABASE_URL", ""))
    """``postgres://...`` for PostgreSQL; empty means the embedded SQLite file under ``var/``.
    On PostgreSQL this is the application role: it must not own the tables (row-level
    security) and needs only SELECT, INSERT, UPDATE and DELETE."""
    database_owner_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_OWNER_URL", "")
    )
    """The role that owns the tables and runs migrations (PostgreSQL); empty: ``database_url``."""
    database_pool_size: int = field(
        default_factory=lambda: int(os.environ.get("DOORSTEP_DB_POOL_SIZE", "") or 8)
    )
    """Database connections the web process keeps open at most (PostgreSQL's pool, SQLite's
    reused connections)."""
    demo: bool = field(default_factory=lambda: os.environ.get("DOORSTEP_DEMO", "") == "1")
    """Demo mode: console channels and dev-only pages are on. Never set in production."""

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "doorstep.sqlite3"


def get_settings() -> Settings:
    """Settings as the environment says now (tests change the environment between runs)."""
    return Settings()
