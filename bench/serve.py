"""The ASGI app for the booking benchmark's server process (``uvicorn --factory``): the real
``create_app``, configured from the environment the benchmark sets (``DOORSTEP_VAR``,
``DATABASE_URL``, the data keys)."""

from __future__ import annotations

from typing import Any


def app() -> Any:
    from core.web.app import create_app

    return create_app()
