"""Booking: the order lifecycle state machine, slot holds, cancellations."""
