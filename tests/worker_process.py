"""`python -m sitegen.worker` as a real process, exactly as `sitegen dev` runs it, for the
tests that kill workers (SIGKILL: no goodbye) and start new ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sitegen.settings import Settings


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points a worker process at these settings' stack."""
    assert settings.database_url is not None
    return {
        **os.environ,
        "SITEGEN_DATABASE_URL": settings.database_url.get_secret_value(),
        "SITEGEN_TEMPORAL_ADDRESS": str(settings.temporal_address),
        "SITEGEN_DATA_DIR": str(settings.data_dir),
        "SITEGEN_TASK_QUEUE": settings.task_queue,
        "SITEGEN_TEMPLATES_DIR": str(settings.templates_dir),
        "SITEGEN_HOSTING_PORT": str(settings.hosting_port),
        # The browser gates as the test's settings have them (off unless it is marked browser).
        **({"SITEGEN_CHROMIUM": settings.chromium} if settings.chromium is not None else {}),
        **extra,
    }


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, **extra_env: str) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sitegen.worker"],
                env={**self.env, **extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
