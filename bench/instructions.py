"""Instructions per createBooking, counted by valgrind: a figure the machine's drift barely moves.

    .venv/bin/python bench/instructions.py --bookings 300 --concurrency 8

On a shared virtual machine the CPU time of the same code moves by 15-25 % from one run to the
next, so a change worth a few per cent cannot be seen in it. The instructions a booking runs
move far less: two runs of the same code differ by 0.2-0.7 % on a quiet machine, by up to 4 %
with other work running (the committer's thread and the loop take turns differently, so the
write groups' sizes differ). Compare two commits side by side, more than once.

This script runs itself under ``valgrind --tool=callgrind`` with the counting off, seeds the
booking benchmark's world (``bench/booking.py``: providers, customers with tokens), books
``--warmup`` bookings (imports, the first index build, warm caches), switches counting on
(``callgrind_control``) for ``--bookings`` more, and off again.

In process: the real app (``core.web.app.create_app``) called as ASGI by ``--concurrency``
tasks, with no HTTP server, so uvicorn and the socket are left out. SQLite only. The count covers
user space only: neither the kernel's share (8-12 % of a booking's CPU, mostly the WAL's writes)
nor cache misses. It is the figure for comparing changes to Python code, not a throughput. Needs
Debian's ``valgrind``; a run takes one to two minutes (valgrind slows the code about 30 times).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, machine, open_database
from bench.booking import AHEAD, HOT, booking_body, first_day, seed

INSIDE = "DOORSTEP_BENCH_UNDER_VALGRIND"
"""Set in the process valgrind runs: it books and reports; the outer one starts it."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=300, help="counted")
    parser.add_argument("--warmup", type=int, default=300, help="booked before, not counted")
    parser.add_argument("--concurrency", type=int, default=8, help="requests at once")
    parser.add_argument("--providers", type=int, default=2000)
    args = parser.parse_args()
    if min(args.bookings, args.concurrency, args.providers) < 1 or args.providers <= HOT:
        parser.error(f"--bookings and --concurrency must be positive, --providers above {HOT}")
    if os.environ.get(INSIDE):
        asyncio.run(inside(args))
    else:
        outside(args)


def outside(args: argparse.Namespace) -> None:
    """Start this script under callgrind with the counting off; read its count."""
    valgrind = shutil.which("valgrind")
    if valgrind is None or shutil.which("callgrind_control") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="doorstep-instructions-") as work:
        done = subprocess.run(  # noqa: S603 - valgrind on our own interpreter and arguments
            [
                valgrind,
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={work}/callgrind.out",
                sys.executable,
                *sys.argv,
            ],
            env={**os.environ, INSIDE: "1", "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
            check=False,
        )
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or counted is None or not done.stdout.strip():
        sys.stderr.write(done.stderr[-4000:])
        sys.exit(f"the run under valgrind failed (exit {done.returncode})")
    inner = json.loads(done.stdout.strip().splitlines()[-1])
    instructions = int(counted.group(1))
    emit(
        {
            "benchmark": "instructions",
            "machine": machine(),
            "engine": "sqlite",
            "path": "createBooking in process (ASGI, no HTTP server)",
            "bookings": args.bookings,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "providers": args.providers,
            "statuses": inner["statuses"],
            "instructions": instructions,
            "instructions_per_booking": round(instructions / args.bookings),
        }
    )


async def inside(args: argparse.Namespace) -> None:
    """Under valgrind: seed, warm up, book with the counting on; the statuses on stdout."""
    db = await open_database("sqlite")
    try:
        pids, tokens = await seed(db, args.providers, args.concurrency)
        os.environ.update(db.env())
        from core.web.app import create_app

        app = create_app()
        started: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await received.put({"type": "lifespan.startup"})
        lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        life = asyncio.create_task(app(lifespan, received.get, started.put))
        if (await started.get())["type"] != "lifespan.startup.complete":
            raise SystemExit("the app did not start")
        hot, cold = pids[:HOT], pids[HOT:]
        half = AHEAD // 2  # the warm-up books the first half of the days, the count the rest
        await book(app, tokens, hot, cold, args.warmup, 0, half, "warm")
        counting(True)
        statuses = await book(app, tokens, hot, cold, args.bookings, half, AHEAD - half, "count")
        counting(False)
        await received.put({"type": "lifespan.shutdown"})
        await started.get()
        await life
    finally:
        db.close()
    sys.stdout.write(json.dumps({"statuses": statuses}) + "\n")


def counting(on: bool) -> None:
    """Counting on or off in this process (valgrind's control tool asks the running tool)."""
    control = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run(  # noqa: S603 - valgrind's own tool, our own pid
        [control, "-i", "on" if on else "off", str(os.getpid())],
        capture_output=True,
        check=True,
    )


async def book(
    app: Any,
    tokens: list[str],
    hot: list[str],
    cold: list[str],
    total: int,
    first: int,
    days: int,
    seed_text: str,
) -> dict[str, int]:
    """``total`` createBookings by ``len(tokens)`` tasks at once; their statuses counted."""
    start_day = first_day() + timedelta(days=first)
    statuses: dict[str, int] = {}
    left = [total]

    async def customer(n: int) -> None:
        rng = random.Random(f"{seed_text}-{n}")  # noqa: S311 - a workload, not a secret
        while left[0] > 0:
            left[0] -= 1
            status = await post(app, booking_body(rng, hot, cold, start_day, days), tokens[n])
            statuses[str(status)] = statuses.get(str(status), 0) + 1

    await asyncio.gather(*(customer(n) for n in range(len(tokens))))
    return statuses


async def post(app: Any, body: bytes, token: str) -> int:
    """One ``POST /api/v1/bookings`` through the ASGI app; its status."""
    answer: list[dict[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        answer.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/bookings",
        "raw_path": b"/api/v1/bookings",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "headers": [
            (b"host", b"jiejia.localhost"),
            (b"authorization", b"Bearer " + token.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "state": {},
    }
    await app(scope, receive, send)
    return int(answer[0]["status"])


if __name__ == "__main__":
    main()
