"""The plugin host refuses plugin sets that cannot work, before anything starts."""

from __future__ import annotations

from typing import Any

import pytest

from core.plugins import PluginError
from tests.hooks.host import host, plugin


def test_a_hookimpl_matching_no_hook_stops_the_start() -> None:
    misspelt = plugin("misspelt", base_prices=lambda tenant, request: None)
    with pytest.raises(PluginError, match="base_prices"):
        host(misspelt)


def test_a_hookimpl_taking_an_argument_its_hook_lacks_stops_the_start() -> None:
    confused = plugin("confused", base_price=lambda tenant, quote: None)
    with pytest.raises(PluginError, match="quote"):
        host(confused)


def test_an_async_hookimpl_stops_the_start() -> None:
    async def base_price(tenant: Any, request: Any) -> None:
        return None

    with pytest.raises(PluginError, match="eager: base_price must not be async"):
        host(plugin("eager", base_price=base_price))
