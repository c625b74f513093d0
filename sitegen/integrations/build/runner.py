"""BuildRunner: run an untrusted build command (AI-written code) with limits.

Two sandboxes, chosen at first use:

- ``bwrap`` (bubblewrap): new user/pid/net/ipc/uts namespaces (no network at all), all
  capabilities dropped, /usr and the Python install mounted read-only, a private /tmp, and only
  ``workdir`` writable; ``--die-with-parent`` ties the sandbox's life to the guard's (below).
- ``rlimits``: a plain subprocess. Used where bwrap is missing or does not work (some
  containers forbid namespaces), or when forced with ``use_bwrap=False``. This is weak isolation
  (same network, same filesystem view) and is logged loudly once.

Both run the command under a tiny ``python -I -S`` guard (``_GUARD``) instead of using
``preexec_fn``, which is unsafe in a threaded process such as a Temporal worker. The guard leads
the build's own process group, sets the rlimits (address space, CPU seconds, open files, file
size) in the child it forks, execs the command there and passes its exit status back. A
timeout or a cancellation kills the whole group.

Builds die with the worker. A SIGKILLed worker runs no cleanup, so the kernel does it: the guard
asks for a parent-death signal (``PR_SET_PDEATHSIG``) and answers it by killing its whole group,
grandchildren included; the command gets SIGKILL when the guard dies, and bwrap's
``--die-with-parent`` takes its pid namespace down with it. The signal fires when the *thread*
that forked the guard exits. asyncio forks from the event loop's thread (``Popen`` runs inside
``loop.subprocess_exec``), and ``run`` awaits the build on that loop, so that thread outlives
the build unless the whole process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger()

_GUARD = """\
import ctypes, os, resource, signal, sys
a = sys.argv
prctl = ctypes.CDLL(None).prctl
def end_group(*_):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, end_group)
prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(a[1]):  # the worker died before the line above
    end_group()
guard = os.getpid()
pid = os.fork()
if pid == 0:
    prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != guard:
        os._exit(137)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for r, v in ((resource.RLIMIT_AS, a[2]), (resource.RLIMIT_CPU, a[3]),
                 (resource.RLIMIT_NOFILE, a[4]), (resource.RLIMIT_FSIZE, a[5])):
        resource.setrlimit(r, (int(v), int(v)))
    try:
        os.execvp(a[6], a[6:])
    except OSError as exc:
        os.write(2, f"{a[6]}: {exc.strerror}\\n".encode())
        os._exit(127)
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
if code < 0:  # die of the same signal, so the runner sees what the command saw
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        signal.signal(-code, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    os.kill(guard, -code)
    code = 128 - code  # still here: the signal's default is to ignore it
os._exit(code)
"""
# Read-only extras a toolchain may need; bound only when they exist on the host.
_ETC_PATHS = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
              "/etc/localtime", "/etc/mime.types", "/etc/ssl", "/etc/ca-certificates")  # fmt: skip
_BWRAP_PROBE_CACHE: dict[str, bool] = {}
_fallback_warned = False


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    exit_code: int | None
    duration_seconds: float
    log: str  # combined stdout+stderr, last ``log_tail_bytes`` only
    sandbox: str  # "bwrap" or "rlimits"
    timed_out: bool = False


class BuildRunner:
    def __init__(
        self,
        timeout_seconds: int,
        memory_mb: int,
        *,
        use_bwrap: bool | None = None,
        cpu_seconds: int | None = None,
        max_file_mb: int = 512,
        max_open_files: int = 1024,
        log_tail_bytes: int = 64 * 1024,
        extra_ro_paths: Sequence[Path] = (),
        progress_interval: float = 1.0,
    ) -> None:
        """``use_bwrap``: None = use bwrap if it works here, True = require it, False = never."""
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.use_bwrap = use_bwrap
        self.cpu_seconds = cpu_seconds or max(1, int(timeout_seconds))
        self.max_file_mb = max_file_mb
        self.max_open_files = max_open_files
        self.log_tail_bytes = log_tail_bytes
        self.extra_ro_paths = [Path(p) for p in extra_ro_paths]
        self.progress_interval = progress_interval

    # -- sandbox selection ----------------------------------------------------------------

    @staticmethod
    async def bwrap_available() -> bool:
        """True if bwrap is on PATH *and* can create its namespaces here (probed once)."""
        path = shutil.which("bwrap")
        if path is None:
            return False
        if path not in _BWRAP_PROBE_CACHE:
            argv = [path, "--die-with-parent", "--unshare-all", "--cap-drop", "ALL",
                    *_system_binds(), "--proc", "/proc", "--dev", "/dev", "true"]  # fmt: skip
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            _, err = await proc.communicate()
            _BWRAP_PROBE_CACHE[path] = proc.returncode == 0
            if proc.returncode != 0:
                log.warning("build.bwrap_unusable", stderr=err.decode(errors="replace")[-500:])
        return _BWRAP_PROBE_CACHE[path]

    async def sandbox(self) -> str:
        if self.use_bwrap is False:
            return "rlimits"
        if await self.bwrap_available():
            return "bwrap"
        if self.use_bwrap:
            raise RuntimeError("bwrap was required but is missing or unusable on this host")
        return "rlimits"

    # -- running --------------------------------------------------------------------------

    async def run(
        self,
        workdir: Path,
        argv: list[str],
        env: dict[str, str] | None = None,
        on_progress: Callable[[], None] | None = None,
    ) -> BuildResult:
        if not argv:
            raise ValueError("argv must not be empty")
        workdir = await asyncio.to_thread(Path(workdir).resolve, True)
        if not await asyncio.to_thread(workdir.is_dir):
            raise ValueError(f"workdir {workdir} is not a directory")
        sandbox = await self.sandbox()
        if sandbox == "rlimits":
            _warn_fallback_once(self.use_bwrap is False)
        full_env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(workdir),
        }
        if sandbox == "bwrap":
            full_env["TMPDIR"] = "/tmp"  # the sandbox's private tmpfs
        full_env.update(env or {})
        command = self._guard_prefix() + (
            self._bwrap_prefix(workdir) + list(argv) if sandbox == "bwrap" else list(argv)
        )
        return await self._execute(command, workdir, full_env, sandbox, on_progress)

    def _guard_prefix(self) -> list[str]:
        mb = 1024 * 1024
        return [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()),
                str(self.memory_mb * mb), str(self.cpu_seconds), str(self.max_open_files),
                str(self.max_file_mb * mb)]  # fmt: skip

    def _bwrap_prefix(self, workdir: Path) -> list[str]:
        bwrap = shutil.which("bwrap") or "bwrap"
        args = [bwrap, "--die-with-parent", "--unshare-all", "--cap-drop", "ALL",
                "--hostname", "sitegen-build", *_system_binds()]  # fmt: skip
        for path in _etc_paths():
            args += ["--ro-bind", path, path]
        # The tmpfs first: binds that follow land on top of it, so a Python install or a
        # workdir that itself lives under /tmp stays visible inside the sandbox.
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        python_roots = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix)}
        for root in sorted(python_roots | set(self.extra_ro_paths)):
            if root.exists() and not str(root).startswith("/usr/"):
                args += ["--ro-bind", str(root), str(root)]
        args += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--"]
        return args

    async def _execute(
        self,
        command: list[str],
        workdir: Path,
        env: dict[str, str],
        sandbox: str,
        on_progress: Callable[[], None] | None,
    ) -> BuildResult:
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # own process group, so we can kill the whole tree
        )
        tail = _Tail(self.log_tail_bytes)
        assert proc.stdout is not None
        reader = asyncio.create_task(tail.consume(proc.stdout))
        ticker = asyncio.create_task(self._tick(on_progress)) if on_progress else None
        timed_out = False
        try:
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    await proc.wait()
            except TimeoutError:
                timed_out = True
                log.warning("build.timeout", timeout_seconds=self.timeout_seconds)
        finally:
            # Runs on normal exit (stray background children), timeout and cancellation.
            _kill_group(proc.pid)
            if proc.returncode is None:
                await proc.wait()
            if ticker:
                ticker.cancel()
            # If a grandchild escaped into its own session and still holds the pipe, stop
            # waiting after a moment and keep the output we have.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader, timeout=2)
        duration = time.monotonic() - started
        code = proc.returncode
        ok = code == 0 and not timed_out
        log.info("build.finished", ok=ok, exit_code=code, sandbox=sandbox,
                 duration_seconds=round(duration, 3))  # fmt: skip
        return BuildResult(ok, code, duration, tail.text(), sandbox, timed_out)

    async def _tick(self, on_progress: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            try:
                on_progress()
            except Exception:
                log.exception("build.on_progress_failed")


class _Tail:
    """Keep only the last ``limit`` bytes of a stream, counting what was dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buf = bytearray()
        self.total = 0

    async def consume(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.total += len(chunk)
            self.buf += chunk
            if len(self.buf) > 2 * self.limit:
                del self.buf[: len(self.buf) - self.limit]

    def text(self) -> str:
        data = bytes(self.buf[-self.limit :]) if self.limit else b""
        dropped = self.total - len(data)
        prefix = f"[... {dropped} bytes of earlier output truncated ...]\n" if dropped else ""
        return prefix + data.decode("utf-8", "replace")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _system_binds() -> list[str]:
    """/usr read-only, plus /bin, /lib... as the host has them (symlinks on merged-usr)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    return args


def _etc_paths() -> list[str]:
    return [p for p in _ETC_PATHS if os.path.exists(p)]


def _warn_fallback_once(forced: bool) -> None:
    global _fallback_warned
    if _fallback_warned:
        return
    _fallback_warned = True
    log.warning(
        "build.sandbox_fallback",
        message="Builds run WITHOUT bubblewrap isolation: network and filesystem are shared "
        "with the worker; only rlimits and a timeout apply.",
        forced=forced,
    )
