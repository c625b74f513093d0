"""`sitegen dev` as a user runs it: a real subprocess on free ports and its own data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from sitegen.stack.local_api_key import local_key_path
from sitegen.stack.process import free_port
from tests.conftest import unique_onboarding

SITEGEN = Path(sys.executable).parent / "sitegen"
PORT_SETTINGS = (
    "SITEGEN_API_PORT",
    "SITEGEN_HOSTING_PORT",
    "SITEGEN_TEMPORAL_PORT",
    "SITEGEN_TEMPORAL_UI_PORT",
    "SITEGEN_POSTGRES_PORT",
)


@dataclass
class Dev:
    """One `sitegen dev` process, its merged output collected by a reader thread."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout)
        self.reader.join(5)
        return code


def dev_env(data_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITEGEN_")}
    env["SITEGEN_DATA_DIR"] = str(data_dir)
    # These tests are about the stack's processes: the browser gates would add seconds to
    # every build (tests marked `browser` cover them).
    env["SITEGEN_CHROMIUM"] = ""
    env.update({name: str(port) for name, port in ports.items()})
    return env


def free_ports() -> dict[str, int]:
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(PORT_SETTINGS):
        ports = {name: free_port() for name in PORT_SETTINGS}
    return ports


@pytest.fixture
def run_dev(tmp_path: Path) -> Iterator[Callable[[Path, dict[str, int]], Dev]]:
    started: list[Dev] = []

    def run(data_dir: Path, ports: dict[str, int]) -> Dev:
        proc = subprocess.Popen(
            [str(SITEGEN), "dev"],
            env=dev_env(data_dir, ports),
            cwd=tmp_path,  # no stray .env from the repo
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        dev = Dev(proc)
        started.append(dev)
        return dev

    yield run
    for dev in started:  # a failed test must not leave a stack running
        if dev.proc.poll() is None:
            dev.proc.kill()
            dev.proc.wait(10)


def poll(check: Callable[[], bool], timeout: float, what: str, dev: Dev) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if dev.proc.poll() is not None:
            raise AssertionError(f"sitegen dev exited ({dev.proc.returncode}):\n{dev.output}")
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready in {timeout}s; output so far:\n{dev.output}")


def answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def stack_processes(data_dir: Path, ports: dict[str, int]) -> list[str]:
    """Every live process that belongs to a stack on this data dir or these ports."""
    marks = {str(p) for p in ports.values()}
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = proc.info["cmdline"] or []
            if proc.pid == os.getpid():
                continue
            mentions = any(str(data_dir) in arg for arg in cmdline) or any(
                arg in marks or arg.rsplit(":", 1)[-1] in marks or arg.rsplit("=", 1)[-1] in marks
                for arg in cmdline
            )
            env_match = proc.environ().get("SITEGEN_DATA_DIR") == str(data_dir)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if mentions or env_match:
            found.append(f"{proc.pid}: {' '.join(cmdline)}")
    return found


def assert_stopped_cleanly(dev: Dev, data_dir: Path, ports: dict[str, int]) -> None:
    descendants = psutil.Process(dev.proc.pid).children(recursive=True)
    assert len(descendants) >= 5, descendants  # postgres, temporal, worker, api, preview host
    code = dev.stop()
    assert code == 0, dev.output
    assert "Traceback" not in dev.output
    _, alive = psutil.wait_procs(descendants, timeout=5)
    assert not alive, alive
    assert stack_processes(data_dir, ports) == []
    for port in ports.values():
        with socket.socket() as sock:
            # Released again, or bind raises (SO_REUSEADDR: our own closed connections
            # may sit in TIME_WAIT, as `sitegen dev` itself allows).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))


def signed_in(api: str, data_dir: Path) -> httpx.Client:
    """A client of the stack's API with the admin key `sitegen dev` made in its data dir
    before starting the API (the stack has its own database: no other key is known there)."""
    key = local_key_path(data_dir).read_text().strip()
    return httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def serving(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> tuple[Dev, Path, dict[str, int], str]:
    """`sitegen dev` on fresh ports and a fresh data dir, once its API answers."""
    data_dir = tmp_path / "data"
    ports = free_ports()
    api = f"http://127.0.0.1:{ports['SITEGEN_API_PORT']}"
    dev = run_dev(data_dir, ports)
    poll(answers(f"{api}/healthz"), 60, "the API", dev)
    return dev, data_dir, ports, api


# Slow (the whole stack, or Temporal restarted): run by `make chaos`, in CI too.
@pytest.mark.chaos
def test_dev_starts_serves_stops_and_keeps_data(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> None:
    dev, data_dir, ports, api = serving(tmp_path, run_dev)
    poll(lambda: "Press Ctrl-C" in dev.output, 10, "the banner", dev)
    assert f"{api}/docs" in dev.output
    assert f"http://localhost:{ports['SITEGEN_TEMPORAL_UI_PORT']}" in dev.output
    assert str(data_dir) in dev.output
    poll(answers(f"http://127.0.0.1:{ports['SITEGEN_TEMPORAL_UI_PORT']}/"), 30, "Temporal UI", dev)
    assert answers(f"{api}/docs")()
    # The stack's own admin key: readable by its owner only, and needed.
    key_file = local_key_path(data_dir)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert httpx.get(f"{api}/api/v1/projects", timeout=5).status_code == 401

    order = {
        "customer": {"name": "Ana Souza", "email": "ana@example.com"},
        "order": {"reference": "ord_persist_1"},
        "name": "Persistent Bakery",
    }
    with signed_in(api, data_dir) as client:
        created = client.post("/api/v1/projects", json=order)
    assert created.status_code == 201, created.text
    project = created.json()
    assert_stopped_cleanly(dev, data_dir, ports)
    assert "stopped" in dev.output

    # Same data dir, same ports: the project is still there, and so is the key (still valid
    # in the stack's database, it is kept, not made again).
    key = key_file.read_text()
    again = run_dev(data_dir, ports)
    poll(answers(f"{api}/healthz"), 60, "the API after restart", again)
    assert key_file.read_text() == key
    with signed_in(api, data_dir) as client:
        fetched = client.get(f"/api/v1/projects/{project['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["slug"] == project["slug"] == "persistent-bakery"
    assert_stopped_cleanly(again, data_dir, ports)


def one_line_error(dev: Dev) -> str:
    code = dev.proc.wait(60)
    dev.reader.join(5)
    assert code != 0, dev.output
    assert "Traceback" not in dev.output
    lines = [line for line in dev.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, dev.output
    return errors[0]


def test_port_in_use_is_one_clear_line(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> None:
    ports = free_ports()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["SITEGEN_API_PORT"]))
        squatter.listen()
        dev = run_dev(tmp_path / "data", ports)
        error = one_line_error(dev)
    assert str(ports["SITEGEN_API_PORT"]) in error
    assert "SITEGEN_API_PORT" in error
    assert stack_processes(tmp_path / "data", ports) == []


def test_temporal_port_in_use_stops_what_started(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> None:
    ports = free_ports()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["SITEGEN_TEMPORAL_PORT"]))
        squatter.listen()
        dev = run_dev(tmp_path / "data", ports)
        error = one_line_error(dev)
    assert str(ports["SITEGEN_TEMPORAL_PORT"]) in error
    assert "SITEGEN_TEMPORAL_PORT" in error
    # Postgres had already started when Temporal's port was found taken: it is stopped.
    assert stack_processes(tmp_path / "data", ports) == []


def test_unwritable_data_dir_is_one_clear_line(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    dev = run_dev(blocker / "data", free_ports())
    error = one_line_error(dev)
    assert str(blocker / "data") in error
    assert "SITEGEN_DATA_DIR" in error


# An interrupt injected at each stage of start-up: fault injection, kept to `make chaos`.
@pytest.mark.chaos
@pytest.mark.parametrize("stage", ["postgres", "temporal", "worker"])
def test_ctrl_c_during_start_up_stops_cleanly(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev], stage: str
) -> None:
    """Ctrl-C while the stack is still coming up: what started is stopped, exit 0."""
    data_dir = tmp_path / "data"
    ports = free_ports()
    dev = run_dev(data_dir, ports)
    poll(lambda: (data_dir / "logs" / f"{stage}.log").exists(), 60, f"{stage} to start", dev)
    # Generous: a server interrupted halfway through its own start-up can be slow to stop
    # on a loaded machine (each gets its stop timeout before it is killed).
    code = dev.stop(timeout=90)
    assert code == 0, dev.output
    assert "Traceback" not in dev.output
    deadline = time.monotonic() + 10
    while stack_processes(data_dir, ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stack_processes(data_dir, ports) == []


def create_project(api: httpx.Client, name: str, **extra: object) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    created = api.post(
        "/api/v1/projects",
        json={
            "customer": {"name": "Ana Souza", "email": f"ana+{tag}@example.com"},
            "order": {"reference": f"ord_{tag}"},
            "name": name,
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    project: dict[str, Any] = created.json()
    return project


def order_site(api: httpx.Client) -> dict[str, Any]:
    """A paid order with its onboarding, generation started at once."""
    onboarding = unique_onboarding("ironbark-software")
    return create_project(api, "Ironbark", onboarding=onboarding, start_generation=True)


def wait_preview_ready(api: httpx.Client, project: dict[str, Any], dev: Dev) -> None:
    url = f"/api/v1/projects/{project['id']}"

    def preview_ready() -> bool:
        status = api.get(url, timeout=5).json()["status"]
        assert status not in ("needs_attention", "cancelled"), status
        return bool(status == "preview_ready")

    poll(preview_ready, 40, "preview_ready", dev)


def stack_child(dev: Dev, name: str) -> psutil.Process:
    """The server `sitegen dev` started (a direct child), by its executable's name."""
    found = [p for p in psutil.Process(dev.proc.pid).children() if p.name() == name]
    assert len(found) == 1, found
    return found[0]


# Fault injection, kept to `make chaos`: it kills a backing service and waits it out.
@pytest.mark.chaos
def test_dev_restarts_a_killed_postgres(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> None:
    dev, data_dir, ports, url = serving(tmp_path, run_dev)
    with signed_in(url, data_dir) as api:
        project = create_project(api, "Crash Proof Bakery")
        postmaster = stack_child(dev, "postgres")
        pid_file = data_dir / "postgres" / "postmaster.pid"
        assert pid_file.read_text().split()[0] == str(postmaster.pid)
        postmaster.kill()  # SIGKILL: no shutdown checkpoint, postmaster.pid left behind

        poll(lambda: "postgres crashed; restarted" in dev.output, 30, "the restart", dev)
        # The API was not restarted. Postgres accepts connections before the restart is
        # reported, and the API's pool pings a connection before lending it and replaces a
        # dead one, so the very first request already works (without the ping: a 503).
        fetched = api.get(f"/api/v1/projects/{project['id']}", timeout=5)
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["slug"] == project["slug"]
        assert stack_child(dev, "postgres").pid != postmaster.pid
        # The worker's pool recovers the same way: a new order runs to its preview.
        wait_preview_ready(api, order_site(api), dev)
    assert dev.output.count("crashed; restarted") == 1, dev.output  # nothing else went down
    assert_stopped_cleanly(dev, data_dir, ports)


# Fault injection, kept to `make chaos`: it kills a backing service and waits it out.
@pytest.mark.chaos
def test_dev_restarts_a_killed_temporal_server(
    tmp_path: Path, run_dev: Callable[[Path, dict[str, int]], Dev]
) -> None:
    dev, data_dir, ports, url = serving(tmp_path, run_dev)
    with signed_in(url, data_dir) as api:
        before = order_site(api)
        wait_preview_ready(api, before, dev)

        server = stack_child(dev, "temporal")
        server.kill()  # SIGKILL; its SQLite file stays

        poll(lambda: "temporal crashed; restarted" in dev.output, 30, "the restart", dev)
        poll(answers(f"{url}/healthz"), 30, "the API's Temporal client", dev)
        # The server kept its data: the run from before the crash takes a revision.
        revision = api.post(
            f"/api/v1/projects/{before['id']}/revisions",
            json={"message": 'Change the headline on the home page to "Back after the crash"'},
            timeout=30,
        )
        assert revision.status_code == 202, revision.text
        # A new order runs end to end: the API starts it and the worker (never restarted)
        # polls the new server.
        wait_preview_ready(api, order_site(api), dev)
        versions = f"/api/v1/projects/{before['id']}/versions"
        poll(lambda: len(api.get(versions, timeout=5).json()) == 2, 30, "the revision", dev)
    assert stack_child(dev, "temporal").pid != server.pid
    assert dev.output.count("crashed; restarted") == 1, dev.output  # nothing else went down
    assert_stopped_cleanly(dev, data_dir, ports)
