"""User errors end with one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, highlight=False, soft_wrap=True)
BAD_INPUT = 2


class UserError(Exception):
    """A mistake in what the user asked or gave; the message says what and how to fix it."""


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` (user text is never read as rich markup) and exit 2."""
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True)
    return typer.Exit(BAD_INPUT)
