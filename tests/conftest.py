"""One real Postgres and one real Temporal dev server per test session, started by the same
process manager `sitegen dev` uses; each test gets its own task queue and data dir."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.api.app import create_app
from sitegen.auth.credentials import read_api_key, secret_hash
from sitegen.db import accounts
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.migrate import prepare_database
from sitegen.db.tables import UserRole
from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.postgres import EmbeddedPostgres
from sitegen.stack.process import free_port
from sitegen.stack.temporal import TemporalDevServer
from sitegen.temporal_client import connect
from sitegen.worker import build_clients, build_worker

EXAMPLES = REPO_ROOT / "examples" / "onboarding"

# One fixed payload key for every test process: the in-process worker and API, the tests'
# own clients, and the subprocesses that copy os.environ (workers, `sitegen dev`) all seal
# and open payloads alike, and histories recorded by a test (tests/histories) decode in the
# replay test. Set, not defaulted: a developer's own key must not leak into recordings.
# Decodes to b"sitegen-test-payload-key-32-byte": plainly a test key wherever it shows up.
TEST_PAYLOAD_KEY = "c2l0ZWdlbi10ZXN0LXBheWxvYWQta2V5LTMyLWJ5dGU"
TEST_PAYLOAD_KEY_ID = "test"
os.environ["SITEGEN_PAYLOAD_KEY"] = TEST_PAYLOAD_KEY
os.environ["SITEGEN_PAYLOAD_KEY_ID"] = TEST_PAYLOAD_KEY_ID
os.environ["SITEGEN_PAYLOAD_OLD_KEYS"] = "{}"

# The tests' admin API key, registered in the session's database once it is migrated; every
# in-process client of the API sends it (tests of roles make their own users and keys).
TEST_ADMIN_KEY = "sgk_testadminkey_sitegen-test-admin-key-not-a-secret-0000000"
ADMIN_HEADERS = {"Authorization": f"Bearer {TEST_ADMIN_KEY}"}


def register_test_admin_key(database_url: str) -> None:
    async def register() -> None:
        parts = read_api_key(TEST_ADMIN_KEY)
        assert parts is not None
        engine = make_engine(database_url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                if await accounts.api_key_by_prefix(session, parts.prefix) is None:
                    await accounts.create_api_key(
                        session,
                        parts.prefix,
                        secret_hash(parts.secret),
                        "tests",
                        UserRole.ADMIN,
                        None,
                    )
        finally:
            await engine.dispose()

    asyncio.run(register())


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return data


def example_names(every_template: bool = False) -> list[str]:
    """Examples for the landing template ('harbour-physio'); with `every_template`, also those
    written for another template, named by its folder ('saas/tally-invoicing')."""
    found = EXAMPLES.rglob("*.json") if every_template else EXAMPLES.glob("*.json")
    return sorted(p.relative_to(EXAMPLES).with_suffix("").as_posix() for p in found)


def example_template(name: str) -> str:
    return name.split("/")[0] if "/" in name else "landing"


@pytest.fixture(scope="session")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def database_url(stack_dir: Path) -> Iterator[str]:
    external = os.environ.get("SITEGEN_TEST_DATABASE_URL")
    if external:
        prepare_database(external, REPO_ROOT / "templates")
        register_test_admin_key(external)
        yield external
        return
    postgres = EmbeddedPostgres(stack_dir, free_port(), durable=False)
    postgres.start()
    try:
        prepare_database(postgres.url, REPO_ROOT / "templates")
        register_test_admin_key(postgres.url)
        yield postgres.url
    finally:
        postgres.stop()


@pytest.fixture(scope="session")
def temporal_server(stack_dir: Path) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(stack_dir, free_port(), None, "default")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_url: str,
    temporal_server: TemporalDevServer,
) -> Settings:
    # Chromium's gates add seconds to every build: only tests marked `browser` pay for them
    # (where Chromium is missing those still run, and see the step skipped with its reason).
    browser = request.node.get_closest_marker("browser") is not None
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=SecretStr(database_url),
        temporal_address=temporal_server.address,
        task_queue=f"test-{uuid.uuid4()}",
        hosting_port=free_port(),
        asset_allow_private_hosts=True,
        asset_allow_any_port=True,
        asset_timeout_seconds=3,
        build_timeout_seconds=60,
        # Every in-process client signs in from one address; the limit's own test sets it.
        rate_logins_per_address_minute=100_000,
    )
    return settings if browser else settings.model_copy(update={"chromium": ""})


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def temporal(temporal_server: TemporalDevServer) -> Client:
    return await connect(Settings(), address=temporal_server.address)


@asynccontextmanager
async def app_client(
    settings: Settings,
    client: tuple[str, int] = ("127.0.0.1", 123),
    headers: dict[str, str] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """An API app of its own (its lifespan run), and a client whose requests come from
    `client`, signed in as the tests' admin unless `headers` say otherwise."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=client),
            base_url="http://testserver",
            headers=ADMIN_HEADERS if headers is None else headers,
        ) as api,
    ):
        yield api


@contextmanager
def served_api(settings: Settings) -> Iterator[str]:
    """The API as a real server in a thread (streams are read as they are written, not once
    they end); its base URL."""
    with served(create_app(settings), free_port()) as url:
        yield url


@contextmanager
def served(app: Any, port: int) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread, on `port`; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings) as client:
        yield client


@pytest.fixture
async def worker(settings: Settings, engine: AsyncEngine, temporal: Client) -> AsyncIterator[None]:
    """An in-process worker on this test's own task queue."""
    clients = build_clients(settings, engine)
    async with build_worker(temporal, clients, settings, settings.task_queue):
        yield


@pytest.fixture
def sessions(engine: AsyncEngine) -> Any:
    return make_sessionmaker(engine)


def order_body(onboarding: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A POST /projects body with a fresh order reference and customer."""
    tag = uuid.uuid4().hex[:10]
    body: dict[str, Any] = {
        "customer": {"name": "Ana Souza", "email": f"ana+{tag}@example.com"},
        "order": {"reference": f"ord_{tag}", "amount_cents": 149000, "currency": "BRL"},
        "template_id": "landing",
        "name": f"Test Site {tag}",
    }
    if onboarding is not None:
        body["onboarding"] = onboarding
    body.update(overrides)
    return body


def unique_onboarding(name: str) -> dict[str, Any]:
    """An example onboarding with a subdomain no other test uses."""
    data = example(name)
    data["subdomain"] = f"{data['subdomain'][:40]}-{uuid.uuid4().hex[:8]}"
    return data


async def wait_for(check: Any, seconds: float = 30.0, interval: float = 0.1) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {seconds}s")
        await asyncio.sleep(interval)
