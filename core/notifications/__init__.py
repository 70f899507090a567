"""Notifications: outbox, channels, templates, reminders."""
