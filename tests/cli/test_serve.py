"""``doorstep serve``: refuses to start while any tenant file is wrong."""

from __future__ import annotations

import pytest
import uvicorn

from tests.cli.conftest import assert_one_line_error, assert_user_error, plain


@pytest.fixture
def started(monkeypatch) -> list[object]:
    """Records a server start instead of starting one."""
    calls: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_an_invalid_tenant_lists_its_problems_and_nothing_starts(run, install, started):
    bad = install.write(
        "acme.yaml",
        "slug: acme\nname: {en: Acme}\nhosts: [jiejia.localhost]\n"
        "locales: [xx_YY]\ntheme: {name: harbor}\n",
    )

    result = run("serve", "--port", "8123")

    lines = assert_user_error(result)
    assert f"{bad}: locales[0]: unknown locale 'xx_YY'" in lines
    assert lines[-1] == "error: 1 problem(s) in tenant files; nothing was started"
    assert started == []


def test_two_tenants_on_one_host_stop_the_server_from_starting(run, install, started):
    install.write(
        "acme.yaml",
        "slug: acme\nname: {en: Acme}\nhosts: [jiejia.localhost]\ntheme: {name: harbor}\n",
    )

    result = run("serve")

    lines = assert_user_error(result)
    assert "'jiejia.localhost' is also claimed by" in lines[0]
    assert lines[-1] == "error: 1 problem(s) in tenant files; nothing was started"
    assert started == []


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_one_line_and_nothing_starts(run, started, port):
    message = assert_one_line_error(run("serve", "--port", port))

    assert message == f"--port {port}: must be between 1 and 65535"
    assert started == []


def test_a_port_that_is_not_a_number_is_a_usage_error(run, started):
    result = run("serve", "--port", "http")

    assert result.exit_code == 2
    assert "Invalid value for '--port'" in plain(result.output)
    assert started == []


def test_the_installed_program_refuses_to_serve_an_invalid_tenant(doorstep, install):
    install.write("acme.yaml", "- a list, not a tenant\n")

    result = doorstep("serve", "--port", "8123")

    lines = assert_user_error(result)
    assert lines[0].endswith("acme.yaml: (file): expected a mapping of keys, got a list")
    assert "nothing was started" in lines[-1]


@pytest.mark.parametrize("workers", ["0", "65"])
def test_a_worker_count_out_of_range_is_one_line_and_nothing_starts(run, started, workers):
    message = assert_one_line_error(run("serve", "--workers", workers))

    assert message == f"--workers {workers}: must be between 1 and 64"
    assert started == []


def test_several_workers_are_started_on_the_one_port(run, started, monkeypatch):
    import core.web.app
    import core.web.workers

    # Building the app here would point this process's database engine at the CLI's install.
    monkeypatch.setattr(core.web.app, "create_app", lambda **kwargs: object())
    spawned: list[tuple[object, ...]] = []

    def record(factory: str, host: str, port: int, workers: int, **options: object) -> int:
        spawned.append((factory, host, port, workers))
        return 0

    monkeypatch.setattr(core.web.workers, "serve_processes", record)
    result = run("serve", "--port", "8123", "--workers", "3")

    assert result.exit_code == 0, result.output
    assert spawned == [("core.web.app:create_app", "127.0.0.1", 8123, 3)]
    assert started == []  # no single-process server besides
