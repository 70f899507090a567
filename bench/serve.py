"""The ASGI app for the booking benchmark's server process (``uvicorn --factory``): the real
``create_app``, configured from the environment the benchmark sets (``DOORSTEP_VAR``,
``DATABASE_URL``, the data keys).

``python -m bench.serve --port P --workers N``: N such processes, each with its own listening
socket on the port (``core.web.workers``: the kernel spreads connections evenly).

Its answers to ``/health`` name the process (``x-bench-worker``): the load generator spreads its
connections evenly over the workers with it (``bench.booking.balanced_connections``).

``DOORSTEP_BENCH_PROFILE=path.txt``: sample the server with pyinstrument while it runs and
write the call tree there when it shuts down (where the time of a request goes), and the
session beside it (``path.txt.pyisession``: ``pyinstrument --load=... --show-all`` renders it
again, library frames included).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def app() -> Any:
    from core.web.app import create_app

    application = _naming_the_worker(create_app())
    target = os.environ.get("DOORSTEP_BENCH_PROFILE")
    if not target:
        return application
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()

    async def profiled(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await application(scope, receive, send)

        async def sending(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete" and profiler.is_running:
                profiler.stop()
                Path(target).write_text(profiler.output_text(unicode=True))
                if profiler.last_session is not None:  # to render again
                    profiler.last_session.save(f"{target}.pyisession")
            await send(message)

        return await application(scope, receive, sending)

    return profiled


def _naming_the_worker(application: Any) -> Any:
    """``application``, with ``x-bench-worker: <pid>`` on its answers to ``/health``."""
    worker = [(b"x-bench-worker", str(os.getpid()).encode())]

    async def naming(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/health":
            return await application(scope, receive, send)

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *worker]}
            await send(message)

        return await application(scope, receive, sending)

    return naming


def main() -> None:
    import argparse
    import sys

    from core.web.workers import serve_processes

    parser = argparse.ArgumentParser(description="the benchmark's server, several processes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sys.exit(
        serve_processes(
            "bench.serve:app",
            args.host,
            args.port,
            args.workers,
            log_level="warning",
            access_log=False,
        )
    )


if __name__ == "__main__":
    main()
