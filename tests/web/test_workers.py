"""Several server processes on one port (``core.web.workers``): each worker has a listening
socket of its own, so new connections reach every worker, not mostly the first to wake; a
``SIGTERM`` stops them all cleanly; a worker that dies takes the others down (exit 1) for the
supervisor to restart."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answer(port: int) -> int:
    """A new connection's answer: the process id of the worker that took it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        return int(connection.getresponse().read())
    finally:
        connection.close()


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _port()
    code = (
        "import sys; from core.web.workers import serve_processes; "
        f"sys.exit(serve_processes('tests.web.pid_app:app', '127.0.0.1', {port}, {WORKERS}, "
        "log_level='warning'))"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.monotonic() + 30
    seen: set[int] = set()
    while time.monotonic() < deadline and len(seen) < WORKERS:
        try:
            seen.add(_answer(port))
        except OSError:
            time.sleep(0.1)
    try:
        yield parent, port
    finally:
        if parent.poll() is None:
            parent.terminate()
            try:
                parent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                parent.kill()
                parent.wait()


def test_new_connections_reach_every_worker(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    parent, port = served
    answers = [_answer(port) for _ in range(40)]
    assert len(set(answers)) == WORKERS
    assert parent.pid not in answers  # the parent only watches
    assert min(answers.count(pid) for pid in set(answers)) >= 5  # spread, not all but one


def test_sigterm_stops_every_worker_cleanly(served: tuple[subprocess.Popen[bytes], int]) -> None:
    parent, port = served
    workers = {_answer(port) for _ in range(20)}
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=30) == 0
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_worker_that_dies_stops_the_others(served: tuple[subprocess.Popen[bytes], int]) -> None:
    parent, port = served
    workers = {_answer(port) for _ in range(20)}
    os.kill(workers.pop(), signal.SIGKILL)
    assert parent.wait(timeout=30) == 1
    (other,) = workers
    with pytest.raises(ProcessLookupError):
        os.kill(other, 0)


def test_workers_stop_when_their_parent_is_killed_outright(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    """No worker goes on serving the port after its parent got SIGKILL."""
    parent, port = served
    workers = {_answer(port) for _ in range(20)}
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A stopped worker of ours lingers as a zombie until init reaps it: that is not serving.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False
