"""The ASGI app for the booking benchmark's server process (``uvicorn --factory``): the real
``create_app``, configured from the environment the benchmark sets (``DOORSTEP_VAR``,
``DATABASE_URL``, the data keys).

``python -m bench.serve --port P --workers N``: N such processes, each with its own listening
socket on the port (``core.web.workers``: the kernel spreads connections evenly).

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

    application = create_app()
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
                profiler.last_session.save(f"{target}.pyisession")  # to render again
            await send(message)

        return await application(scope, receive, sending)

    return profiled


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
