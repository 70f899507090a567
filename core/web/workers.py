"""Several server processes on one port, each with a listening socket of its own.

``uvicorn --workers N`` shares one listening socket between its processes: whichever process
wakes first accepts, and a burst of new keep-alive connections often lands mostly on one of
them (seen: one worker at 86 % of a core, the other at 25 %). Here every worker binds its own
socket with ``SO_REUSEPORT``, and the kernel spreads new connections evenly over the sockets.

Each worker builds the app itself (``factory``, an import string such as
``core.web.app:create_app``) after it starts, so no event loop, connection pool or thread
crosses a process boundary. ``SIGTERM`` or ``SIGINT`` to the parent stops every worker
gracefully (uvicorn's own shutdown: requests in flight finish, lifespan shutdown runs); if a
worker dies, the parent stops the others and exits non-zero, for the supervisor to restart;
if the parent is killed outright, each worker notices within half a second and stops itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

STOP_SECONDS = 30.0
"""How long the parent waits for its workers to stop before killing them."""
ORPHAN_CHECK_SECONDS = 0.5
"""How often a worker checks that its parent is still there."""


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` that other processes may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _orphaned_stop(parent: int) -> None:
    """Stop this worker (gracefully, as ``SIGTERM`` does) once its parent is gone, so a parent
    killed outright never leaves workers serving on the port."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker(factory: str, host: str, port: int, options: dict[str, Any], parent: int) -> None:
    import uvicorn

    threading.Thread(target=_orphaned_stop, args=(parent,), daemon=True).start()
    sock = reuseport_socket(host, port)
    config = uvicorn.Config(factory, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve_processes(factory: str, host: str, port: int, workers: int, **options: Any) -> int:
    """Run ``workers`` server processes on ``host:port`` until stopped; the exit code."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("this system has no SO_REUSEPORT: run one worker")
    reuseport_socket(host, port).close()  # the port is free (or ours to share) before forking
    spawn = multiprocessing.get_context("spawn")
    children = [
        spawn.Process(
            target=_worker, args=(factory, host, port, options, os.getpid()), name=f"worker-{n}"
        )
        for n in range(workers)
    ]
    signalled = False

    def stop_all() -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                child.terminate()  # SIGTERM: uvicorn's graceful shutdown

    def on_signal(_signum: int, _frame: Any) -> None:
        nonlocal signalled
        signalled = True
        stop_all()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for child in children:
            child.start()
        while not signalled and all(child.is_alive() for child in children):
            time.sleep(0.2)
        if not signalled:
            stop_all()  # a worker died: stop the others
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                child.kill()
                child.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    failed = [c.exitcode for c in children if c.exitcode not in (0, -signal.SIGTERM)]
    return 0 if signalled and not failed else 1
