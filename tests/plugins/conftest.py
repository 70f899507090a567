"""Fixtures of the vertical tests: the demo tenants (shared with the catalogue tests)."""

from tests.catalog.conftest import jiejia, wanjia

__all__ = ["jiejia", "wanjia"]
