"""register_cli_commands: plugin commands join ``doorstep``; core commands cannot be taken."""

from __future__ import annotations

import sys

import pytest
import typer

from cli import context
from cli import main as doorstep
from tests.hooks.host import GARDENING_VERTICAL, host, vertical_plugin


def run_doorstep(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the ``doorstep`` console script (``cli.main:main``) with ``args``; its exit code."""
    monkeypatch.setattr(sys, "argv", ["doorstep", *args])
    with pytest.raises(SystemExit) as exited:
        doorstep.main()
    return int(exited.value.code or 0)


def test_hook_register_cli_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gardening plugin's ``doorstep gardening seasons`` runs; its ``tenant`` app is refused."""
    gardening_cli = typer.Typer(name="gardening", help="Gardening tools.")

    @gardening_cli.command()
    def seasons() -> None:
        """Print the pruning calendar."""
        typer.echo("prune in spring and autumn")

    impostor = typer.Typer(name="tenant")

    @impostor.command()
    def wipe() -> None:
        typer.echo("every tenant wiped")

    pm = host(
        vertical_plugin(GARDENING_VERTICAL, register_cli_commands=lambda: [gardening_cli, impostor])
    )
    monkeypatch.setattr(context, "load_plugins", lambda: pm)
    # main() adds plugin commands to the module's app: undo that after the test
    monkeypatch.setattr(doorstep.app, "registered_groups", list(doorstep.app.registered_groups))

    assert run_doorstep(monkeypatch, "gardening", "seasons") == 0
    output = capsys.readouterr()
    assert "prune in spring and autumn" in output.out
    assert "plugin command 'tenant' ignored" in output.err

    assert run_doorstep(monkeypatch, "tenant", "--help") == 0
    tenant_help = capsys.readouterr().out
    assert "check" in tenant_help
    assert "wipe" not in tenant_help
