"""Child-process plumbing shared by every service the stack starts."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class StackError(Exception):
    """A problem the user can fix; printed as one line, never as a stack trace."""


def _die_with_parent(sig: int) -> Callable[[], None]:
    # Linux only: the kernel signals the child when the process that started it dies,
    # so even a SIGKILLed `sitegen dev` leaves no orphan servers behind.
    def _set() -> None:
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        # The parent held Ctrl-C and SIGTERM while forking (see `_stop_signals_held`).
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    return _set


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a child is forked. Python runs at-fork hooks around a
    fork with a preexec_fn, and a KeyboardInterrupt raised inside one is swallowed
    ("Exception ignored"), which would lose the stop request. Held, the signal arrives a
    moment later in ordinary code."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers themselves bind: connections in TIME_WAIT don't block the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    if not _bindable(host, port):
        raise StackError(
            f"port {port} ({what}) is already in use: stop whatever uses it "
            f"or set {setting} to a free port"
        )


def wait_port_free(host: str, port: int, timeout: float, what: str) -> None:
    """Wait for a crashed server's port to be bindable again. The kernel closes a killed
    process's sockets as it exits, but a straggler (a child that inherited the listener) can
    hold it a moment longer."""
    deadline = time.monotonic() + timeout
    while not _bindable(host, port):
        if time.monotonic() > deadline:
            raise StackError(
                f"{what} crashed, and its port {port} is still held {timeout:.0f}s later: "
                "a leftover process of it may still be running"
            )
        time.sleep(0.1)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now, chosen below the kernel's ephemeral range: a port the kernel hands
    out (bind to 0) is also what it gives the next outgoing connection, which can take it
    before the server that was meant to have it binds."""
    low = _ephemeral_low()
    choose = random.SystemRandom()
    for _ in range(200):
        port = choose.randrange(max(1024, low - 12000), low)
        if _bindable(host, port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # all taken: any port
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default, and below macOS's


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def ensure_writable_dir(path: Path, setting: str = "SITEGEN_DATA_DIR") -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise StackError(
            f"data dir {path} is not writable ({exc.strerror}): fix its permissions or set {setting}"
        ) from None
    return path


def run_as(user: str | None) -> dict[str, Any]:
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    # Group too: keeping root's group would deny the user its own 0700 data directory.
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


class ChildProcess:
    """One long-running child with its log file, stopped with a chosen signal."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stop_signal: int = signal.SIGTERM,
        user: str | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.stop_signal = stop_signal
        self.user = user
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not Path(self.argv[0]).exists() and "/" in self.argv[0]:
            raise StackError(
                f"{self.name}: {self.argv[0]} is missing; reinstall with `make install`"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            with _stop_signals_held():
                self.proc = subprocess.Popen(
                    self.argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=self.env,
                    cwd=self.cwd,
                    **run_as(self.user),
                    # Own process group: a terminal's Ctrl-C reaches only the supervisor,
                    # which then stops the children in order.
                    process_group=0,
                    preexec_fn=_die_with_parent(signal.SIGKILL if self.user else self.stop_signal),
                )
        except OSError as exc:
            raise StackError(f"{self.name} could not start: {exc.strerror}") from None
        finally:
            log.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive() or self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait(5)

    def kill(self) -> None:
        if self.proc is not None and self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def wait_until(check: Callable[[], bool], timeout: float, what: str, child: ChildProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not child.alive():
            raise StackError(
                f"{what} exited during start-up; its log ({child.log_path}) ends with:\n"
                + child.log_tail()
            )
        time.sleep(0.05)
    raise StackError(f"{what} did not become ready in {timeout:.0f}s; see {child.log_path}")
