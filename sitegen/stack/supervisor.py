"""Starts the whole local stack in order, watches it, and stops it in reverse order."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sitegen.db.migrate import prepare_database
from sitegen.payload_codec import PayloadKeyError, codec_from_settings
from sitegen.settings import Settings
from sitegen.stack.local_api_key import ensure_local_api_key, local_key_path
from sitegen.stack.local_console_login import ensure_console_login
from sitegen.stack.postgres import EmbeddedPostgres
from sitegen.stack.process import (
    ChildProcess,
    StackError,
    ensure_port_free,
    ensure_writable_dir,
    port_open,
    wait_until,
)
from sitegen.stack.temporal import TemporalDevServer
from sitegen.temporal_client import TemporalSettingsError, connect_options


@dataclass
class StackUrls:
    api: str
    docs: str
    temporal_ui: str | None
    temporal_address: str
    preview_host: str
    data_dir: Path
    database: str = field(repr=False)


class Stack:
    """Postgres → migrations → Temporal → worker → API + preview host. `stop()` reverses it."""

    def __init__(self, settings: Settings, *, durable: bool = True, ui: bool = True) -> None:
        self.settings = settings
        self.durable = durable
        self.ui = ui
        self.postgres: EmbeddedPostgres | None = None
        self.temporal: TemporalDevServer | None = None
        self.services: dict[str, ChildProcess] = {}
        self.database_url = ""
        self.temporal_address = ""
        self._restarts: dict[str, list[float]] = {}

    @property
    def data_dir(self) -> Path:
        return self.settings.data_path

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The payload key is not passed on: each child reads the same settings (or, with a
        # Temporal on this machine, the same key file in the data dir), and a key in the
        # environment would reach every subprocess the children start.
        env.update(
            SITEGEN_DATA_DIR=str(self.data_dir),
            SITEGEN_DATABASE_URL=self.database_url,
            SITEGEN_TEMPORAL_ADDRESS=self.temporal_address,
            SITEGEN_API_PORT=str(self.settings.api_port),
            SITEGEN_HOSTING_PORT=str(self.settings.hosting_port),
            SITEGEN_TEMPORAL_UI_PORT=str(self.settings.temporal_ui_port),
        )
        if self.temporal is not None and self.settings.api_host in (
            "127.0.0.1",
            "::1",
            "localhost",
        ):
            # The dev server's UI decodes payloads through the API without a token.
            env["SITEGEN_CODEC_OPEN_ON_LOOPBACK"] = "true"
        return env

    def _service(self, name: str, argv: list[str]) -> ChildProcess:
        child = ChildProcess(
            name, argv, self.data_dir / "logs" / f"{name}.log", env=self._child_env()
        )
        self.services[name] = child
        return child

    def start(self) -> StackUrls:
        s = self.settings
        ensure_writable_dir(self.data_dir)
        ensure_port_free(s.api_host, s.api_port, "API", "SITEGEN_API_PORT")
        ensure_port_free("127.0.0.1", s.hosting_port, "preview host", "SITEGEN_HOSTING_PORT")
        try:
            self._start_backing_services()
            # The payload key settled before any child starts (made once for a Temporal on
            # this machine; a shared Temporal without one is refused here, in one line).
            try:
                codec_from_settings(s)
                connect_options(s)  # a TLS Temporal's certificates, before any child needs them
            except (PayloadKeyError, TemporalSettingsError) as exc:
                raise StackError(str(exc)) from exc
            prepare_database(self.database_url, s.templates_dir)
            ensure_local_api_key(self.database_url, self.data_dir)
            ensure_console_login(self.database_url, self.data_dir)
            py = sys.executable
            self._service("worker", [py, "-m", "sitegen.worker"]).start()
            self._service(
                "api",
                [
                    py,
                    "-m",
                    "uvicorn",
                    "sitegen.api.app:create_app",
                    "--factory",
                    "--host",
                    s.api_host,
                    "--port",
                    str(s.api_port),
                    "--log-level",
                    "warning",
                ],
            ).start()
            self._service(
                "preview-host",
                [
                    py,
                    "-m",
                    "uvicorn",
                    "sitegen.stack.static_host:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(s.hosting_port),
                    "--log-level",
                    "warning",
                ],
            ).start()
            wait_until(self._api_healthy, 60, "the API", self.services["api"])
            wait_until(
                lambda: port_open("127.0.0.1", s.hosting_port),
                30,
                "the preview host",
                self.services["preview-host"],
            )
        except BaseException:
            self.stop()
            raise
        return self.urls()

    def _start_backing_services(self) -> None:
        s = self.settings
        if s.database_url is not None:
            self.database_url = s.database_url.get_secret_value()
        else:
            self.postgres = EmbeddedPostgres(self.data_dir, s.postgres_port, durable=self.durable)
            self.postgres.start()
            self.database_url = self.postgres.url
        if s.temporal_address:
            self.temporal_address = s.temporal_address
        else:
            api_host = "127.0.0.1" if s.api_host in ("0.0.0.0", "::") else s.api_host
            if ":" in api_host:
                api_host = f"[{api_host}]"  # an IPv6 address in a URL
            self.temporal = TemporalDevServer(
                self.data_dir,
                s.temporal_port,
                s.temporal_ui_port if self.ui else None,
                s.temporal_namespace,
                codec_endpoint=f"http://{api_host}:{s.api_port}/api/v1/codec",
            )
            self.temporal.start()
            self.temporal_address = self.temporal.address

    def _api_healthy(self) -> bool:
        try:
            response = httpx.get(f"{self.api_url}/healthz", timeout=1)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def api_client(self, timeout: float = 30) -> httpx.Client:
        """A client of this stack's API, signed in with the stack's own admin key."""
        key = local_key_path(self.data_dir).read_text().strip()
        return httpx.Client(
            base_url=self.api_url, timeout=timeout, headers={"Authorization": f"Bearer {key}"}
        )

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    def urls(self) -> StackUrls:
        s = self.settings
        ui = f"http://localhost:{s.temporal_ui_port}" if self.temporal and self.ui else None
        return StackUrls(
            api=self.api_url,
            docs=f"{self.api_url}/docs",
            temporal_ui=ui,
            temporal_address=self.temporal_address,
            preview_host=s.preview_url("{slug}"),
            data_dir=self.data_dir,
            database=self.database_url,
        )

    def restart_crashed(self) -> list[str]:
        """Bring back whatever died on its own (at most 5 times a minute each); returns names.

        Postgres and Temporal come first and on their own data, so a worker or API that died
        with them comes back to a live server. Those that survived recover by themselves: the
        engine's pool pings a connection before use and replaces a dead one, and the Temporal
        clients' core reconnects and retries on its own.

        Call it from the thread that will keep running (the main one): a child's parent-death
        signal fires when the *thread* that started it exits.
        """
        restarted = []
        for server in (self.postgres, self.temporal):
            if server is None or server.alive():
                continue
            self._count_restart(server.name, server.log_path)
            server.restart()
            restarted.append(server.name)
        for name, child in self.services.items():
            if child.alive():
                continue
            self._count_restart(name, child.log_path)
            child.start()
            restarted.append(name)
        return restarted

    def _count_restart(self, name: str, log_path: Path) -> None:
        """Refuse a sixth restart within a minute: something is wrong that restarts won't fix."""
        now = time.monotonic()
        recent = [t for t in self._restarts.get(name, []) if now - t < 60]
        if len(recent) >= 5:
            raise StackError(f"{name} keeps crashing; its log is {log_path}")
        self._restarts[name] = [*recent, now]

    def stop(self) -> None:
        # Front door first, then the worker (it finishes its current task), then state.
        for name in ("api", "preview-host", "worker"):
            if name in self.services:
                self.services[name].stop(timeout=20)
        if self.temporal:
            self.temporal.stop()
        if self.postgres:
            self.postgres.stop()


def wait_for_shutdown_signal(
    stack: Stack,
    on_restart: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Block until SIGINT/SIGTERM (or `stop` is set), restarting crashed services meanwhile."""
    stop = stop or threading.Event()

    def _handler(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            for name in stack.restart_crashed():
                if on_restart is not None:
                    on_restart(name)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
