"""A throwaway install for CLI tests: tenants, themes and state in a temp folder.

The repository's ``tenants/`` and ``themes/`` are copied, never changed. Commands run in
process (``CliRunner`` on ``cli.main.app``) or, where the exit code and the raw stderr of the
real program matter, as the installed ``doorstep`` script.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app as doorstep_app

ROOT = Path(__file__).resolve().parents[2]
DOORSTEP = Path(sys.executable).parent / "doorstep"


@dataclass(frozen=True)
class Install:
    root: Path
    tenants: Path
    themes: Path
    var: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "DOORSTEP_TENANTS": str(self.tenants),
            "DOORSTEP_THEMES": str(self.themes),
            "DOORSTEP_VAR": str(self.var),
        }

    def files(self) -> list[str]:
        """Every file of the install (to show a command wrote nothing)."""
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*"))

    def write(self, name: str, text: str) -> Path:
        path = self.tenants / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """The two demo tenants and the installed themes, copied to a temp folder."""
    here = Install(
        root=tmp_path,
        tenants=tmp_path / "tenants",
        themes=tmp_path / "themes",
        var=tmp_path / "var",
    )
    here.tenants.mkdir()
    for demo in ("jiejia", "wanjia"):
        shutil.copy(ROOT / "tenants" / f"{demo}.yaml", here.tenants)
    shutil.copytree(ROOT / "themes", here.themes)
    for name, value in here.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return here


@pytest.fixture
def run(install: Install) -> Callable[..., Result]:
    """``run("tenant", "check")``: the command, in process, against the temp install."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(doorstep_app, list(args))
        crash = result.exception
        if crash is not None and not isinstance(crash, SystemExit):
            raise AssertionError(f"doorstep {' '.join(args)} crashed: {crash!r}") from crash
        return result

    return invoke


@pytest.fixture
def doorstep(install: Install) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``doorstep("migrate")``: the installed script in a fresh process."""
    assert DOORSTEP.is_file(), f"{DOORSTEP} is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | install.env

    def call(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DOORSTEP), *args],
            capture_output=True,
            text=True,
            cwd=install.root,
            env=env | extra_env,
            timeout=120,
            check=False,
        )

    return call


def assert_user_error(result: Result | subprocess.CompletedProcess[str]) -> list[str]:
    """Exit 2, no traceback, a last line ``error: ...``. Returns the stderr lines."""
    code = result.exit_code if isinstance(result, Result) else result.returncode
    output = result.output if isinstance(result, Result) else result.stdout + result.stderr
    assert code == 2, output
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    assert lines, "the reason goes to stderr"
    return lines


def assert_one_line_error(result: Result | subprocess.CompletedProcess[str]) -> str:
    """A user mistake answered with exactly one line on stderr: ``error: <reason>``."""
    lines = assert_user_error(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


def plain(output: str) -> str:
    """Output with rich's boxes removed and the wrapping undone, for phrase checks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())
