"""Nothing on a request's path is handed to a worker thread: Litestar runs a synchronous guard
or dependency on its thread pool (a submit, two thread switches and a GIL hand-over per call),
which on the booking path cost more than the check itself. Guards and dependencies are
``async`` or marked ``sync_to_thread=False``."""

from __future__ import annotations

from typing import Any

from litestar.utils.sync import AsyncCallable


def route_handlers(app: Any) -> list[Any]:
    handlers = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            handlers.append(handler)
    return handlers


def test_no_guard_of_any_route_runs_on_a_thread(app):
    handlers = route_handlers(app)

    threaded = [
        f"{handler} guard {getattr(guard, 'func', guard)}"
        for handler in handlers
        for guard in handler.resolve_guards()
        if isinstance(guard, AsyncCallable)
    ]
    assert len(handlers) > 50
    assert threaded == []


def test_no_dependency_of_any_route_runs_on_a_thread(app):
    threaded = [
        f"{handler} dependency {name}"
        for handler in route_handlers(app)
        for name, provide in handler.resolve_dependencies().items()
        if isinstance(provide.dependency, AsyncCallable)
    ]
    assert threaded == []


def test_no_synchronous_handler_runs_on_a_thread(app):
    threaded = [
        str(handler) for handler in route_handlers(app) if isinstance(handler.fn, AsyncCallable)
    ]
    assert threaded == []
