"""Mistakes in the command line itself: exit 2, a short usage hint, never a traceback."""

from __future__ import annotations

import pytest

from tests.cli.conftest import plain


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        (["tenant", "frobnicate"], "No such command 'frobnicate'"),
        (["tenant", "list", "--bogus"], "No such option: --bogus"),
        (["plugins", "list", "--jsn"], "No such option: --jsn"),
        (["worker", "--interval", "soon"], "Invalid value for '--interval'"),
    ],
)
def test_an_unknown_command_or_option_exits_2(run, args, says):
    result = run(*args)

    assert result.exit_code == 2
    assert says in plain(result.output)
    assert "Traceback" not in result.output


def test_the_installed_program_exits_2_on_an_unknown_command(doorstep):
    result = doorstep("frobnicate")

    assert result.returncode == 2
    assert "No such command 'frobnicate'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_help_lists_every_command(run):
    result = run("--help")

    assert result.exit_code == 0
    for command in ("demo", "serve", "migrate", "worker", "tenant", "theme", "plugins"):
        assert command in result.stdout
