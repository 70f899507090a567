"""The garbage collector of a server process.

A request allocates thousands of objects, nearly all freed at once by reference counting.
With the collector's default first threshold (700 net allocations) a booking request paid
for a collection every few requests and a full one every hundred or so: 4-5 % of its CPU
(in process, 3,000 bookings: 0.17-0.19 s of collections, 0.11-0.12 s of them full), and each
full collection paused the event loop, perhaps while it held the writer lock. With 10,000:
a handful of collections for the same requests. Reference cycles are still collected, later.
"""

from __future__ import annotations

import gc

FIRST_THRESHOLD = 10_000
"""Net allocations of container objects between two young-generation collections."""


def tune() -> None:
    """Collect the young generation less often (the older ones keep their thresholds)."""
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_THRESHOLD, second, third)
