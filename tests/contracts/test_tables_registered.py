"""Contract: every Piccolo table in ``core`` and ``plugins`` is listed by its app.

A table missing from its ``piccolo_app.py`` is not rebound by ``core.db.use_engine``: its
queries go to another engine object (another connection), so inside a write transaction on
SQLite they meet "database is locked", and on PostgreSQL they run outside the transaction."""

from __future__ import annotations

import importlib
import pkgutil

from piccolo.table import Table

from core.db import all_tables


def _defined_tables() -> set[type[Table]]:
    found: set[type[Table]] = set()
    for package in ("core", "plugins"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not info.name.endswith(".tables"):
                continue
            module = importlib.import_module(info.name)
            found |= {
                value
                for value in vars(module).values()
                if isinstance(value, type)
                and issubclass(value, Table)
                and value is not Table
                and value.__module__ == module.__name__
            }
    return found


def test_every_table_is_listed_by_its_app() -> None:
    import core.piccolo_conf  # noqa: F401 - the apps Piccolo's finder reads

    listed = set(all_tables())
    missing = sorted(t.__name__ for t in _defined_tables() - listed)
    assert missing == []


def test_the_check_sees_the_tables() -> None:
    from core.matching.tables import MatchingChange

    assert MatchingChange in _defined_tables()
