"""A whole sitegen of its own for the chaos suite: Postgres, the Temporal dev server, the
worker as a real process (armed with a failpoint when asked), the API, and an asset host
that can be told to fail. Every part can be stopped, killed and started again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pydantic import SecretStr

from sitegen.db.migrate import prepare_database
from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.postgres import EmbeddedPostgres
from sitegen.stack.process import free_port
from sitegen.stack.temporal import TemporalDevServer
from tests.conftest import register_test_admin_key
from tests.pipeline.helpers import slow_template
from tests.worker_process import WorkerProcess, worker_env

# A build long enough to be interrupted mid-way (the progress tick comes every second).
BUILD_SECONDS = 1.5
# The smallest valid PNG: the logo every chaos order asks for.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f30000000049454e44ae426082"
)


class AssetHost:
    """Serves the orders' logos; `mode` makes it answer 500 or 429 for a while."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.errors_served = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if host.mode != "ok":
                    host.errors_served += 1
                    self.send_response(int(host.mode))
                    if host.mode == "429":
                        self.send_header("Retry-After", "1")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Cluster:
    root: Path
    postgres: EmbeddedPostgres
    temporal: TemporalDevServer
    assets: AssetHost
    settings: Settings
    worker: WorkerProcess

    def kill_temporal(self) -> None:
        assert self.temporal.child is not None
        self.temporal.child.kill()  # SIGKILL; its SQLite file stays


@contextmanager
def cluster(root: Path) -> Iterator[Cluster]:
    """Everything started, and everything stopped again whatever happens in between."""
    postgres = EmbeddedPostgres(root / "pg", free_port(), durable=True)
    temporal = TemporalDevServer(root / "temporal", free_port(), None, "default")
    assets = AssetHost()
    worker: WorkerProcess | None = None
    try:
        postgres.start()
        prepare_database(postgres.url, REPO_ROOT / "templates")
        # Its own database: the tests' admin key (ADMIN_HEADERS) is registered here too.
        register_test_admin_key(postgres.url)
        temporal.start()
        assets.start()
        settings = Settings(
            data_dir=root / "data",
            database_url=SecretStr(postgres.url),
            temporal_address=temporal.address,
            task_queue="chaos",
            hosting_port=free_port(),
            templates_dir=slow_template(root / "templates", BUILD_SECONDS),  # type: ignore[arg-type]
            asset_allow_private_hosts=True,
            asset_allow_any_port=True,
            asset_timeout_seconds=3,
        )
        env = worker_env(
            settings,
            SITEGEN_ASSET_ALLOW_PRIVATE_HOSTS="true",
            SITEGEN_ASSET_ALLOW_ANY_PORT="true",
            SITEGEN_ASSET_TIMEOUT_SECONDS="3",
            # Durability is what this suite is about; Chromium's gates would only slow it.
            SITEGEN_CHROMIUM="",
        )
        worker = WorkerProcess(env, root / "worker.log")
        yield Cluster(root, postgres, temporal, assets, settings, worker)
    finally:
        if worker is not None:
            worker.stop()
        assets.stop()
        temporal.stop()
        postgres.stop()
