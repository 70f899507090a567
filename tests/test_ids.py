"""Row ids of the write-hot tables are time-ordered (UUIDv7): a new booking's index entries go to
the end of the index, not to a random page of it."""

from __future__ import annotations

import uuid

from core.booking.tables import Booking, BookingTransition
from core.ids import new_id
from core.matching.tables import MatchingChange
from core.notifications.tables import OutboxEvent


def test_ids_made_later_sort_later_and_never_repeat() -> None:
    ids = [new_id() for _ in range(10_000)]

    assert ids == sorted(ids)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)  # as stored: text on SQLite
    assert len(set(ids)) == len(ids)
    assert all(type(i) is uuid.UUID and i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)


def test_the_tables_written_with_every_booking_default_to_them() -> None:
    for table in (Booking, BookingTransition, OutboxEvent, MatchingChange):
        made = table._meta.primary_key.get_default_value()
        assert isinstance(made, uuid.UUID) and made.version == 7, table
