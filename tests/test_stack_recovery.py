"""What the supervisor needs to bring a crashed server back: stale Postgres leftovers are
cleared, a live server's are not, and a server that keeps crashing stops the stack."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from sitegen.settings import Settings
from sitegen.stack.postgres import EmbeddedPostgres
from sitegen.stack.process import StackError, free_port, run_as
from sitegen.stack.supervisor import Stack


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path, free_port(), durable=False)
    yield server
    server.stop()


def point_lock_at(server: EmbeddedPostgres, pid: int) -> None:
    lock = server.pgdata / "postmaster.pid"
    lines = lock.read_text().split("\n")
    lock.write_text("\n".join([str(pid), *lines[1:]]))


def test_postgres_restarts_over_a_lock_file_naming_a_live_process(
    postgres: EmbeddedPostgres,
) -> None:
    postgres.start()
    assert postgres.child is not None
    postgres.child.kill()  # SIGKILL, then reaped: postmaster.pid stays behind
    # As after a pid reuse: the lock names a live process of the server's own user, and
    # postgres alone refuses to start ("lock file "postmaster.pid" already exists").
    squatter = subprocess.Popen(["sleep", "60"], **run_as(postgres.user))
    try:
        point_lock_at(postgres, squatter.pid)
        postgres.restart()
        assert postgres.alive() and postgres._accepts()
    finally:
        squatter.kill()
        squatter.wait()


def test_the_lock_of_a_live_server_is_left_alone(postgres: EmbeddedPostgres) -> None:
    postgres.pgdata.mkdir(parents=True)
    lock = postgres.pgdata / "postmaster.pid"
    lock.write_text("0\n")
    # A live process working in the data dir, as every process of a running server does.
    server = subprocess.Popen(["sleep", "60"], cwd=postgres.pgdata)
    try:
        point_lock_at(postgres, server.pid)
        postgres._clear_leftovers()
        assert lock.read_text().split("\n")[0] == str(server.pid)
    finally:
        server.kill()
        server.wait()


class CrashingServer:
    name = "postgres"  # stands in for Postgres, dead again at every look

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.restarts = 0

    def alive(self) -> bool:
        return False

    def restart(self) -> None:
        self.restarts += 1


def test_a_server_that_keeps_crashing_stops_the_stack(tmp_path: Path) -> None:
    stack = Stack(Settings(data_dir=tmp_path))
    server = CrashingServer(tmp_path / "logs" / "postgres.log")
    stack.postgres = cast(EmbeddedPostgres, server)
    for _ in range(5):  # five restarts a minute are allowed...
        assert stack.restart_crashed() == ["postgres"]
    with pytest.raises(StackError) as raised:
        stack.restart_crashed()  # ...a sixth means restarting won't help
    assert str(raised.value) == f"postgres keeps crashing; its log is {server.log_path}"
    assert server.restarts == 5


def test_free_ports_are_never_ones_an_outgoing_connection_could_take() -> None:
    """Ports the kernel hands to outgoing connections (its ephemeral range) can be taken
    between choosing one and the server binding it: a server once failed on exactly that."""
    from sitegen.stack.process import _ephemeral_low, free_port

    low = _ephemeral_low()
    for _ in range(50):
        assert 1024 <= free_port() < low
