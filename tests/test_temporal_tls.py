"""Temporal over TLS: mTLS through a real TLS server in front of the dev server, the API key
and namespace as `Client.connect` gets them, settings that cannot work stopping each process
as it starts (naming the setting, never a secret), and the dev server's plain default."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import SecretStr
from structlog.testing import capture_logs
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import TLSConfig

from sitegen import temporal_client
from sitegen.api.app import create_app
from sitegen.settings import Settings
from sitegen.stack.process import StackError, free_port
from sitegen.stack.supervisor import Stack
from sitegen.stack.temporal import TemporalDevServer
from sitegen.temporal_client import TemporalSettingsError, connect, connect_options
from sitegen.worker import run_worker
from tests.tls_support import SERVER_NAME, Pki, make_pki, tls_proxy

API_KEY = "tmprl-api-key-abcdef0123456789-not-a-real-one"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


def tls_settings(pki: Pki, **extra: Any) -> Settings:
    given: dict[str, Any] = {
        "temporal_tls_client_cert_path": pki.client.cert,
        "temporal_tls_client_key_path": pki.client.key,
        "temporal_tls_server_ca_cert_path": pki.ca,
        "temporal_tls_server_name": SERVER_NAME,
    }
    return Settings(**(given | extra))


async def reaches_namespace(client: Client) -> None:
    found = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    assert found.namespace_info.name == "default"


async def test_mtls_by_paths_reaches_temporal_through_a_tls_server(
    pki: Pki, temporal_server: TemporalDevServer
) -> None:
    async with tls_proxy(pki, temporal_server.address, require_client_cert=True) as proxy:
        client = await connect(tls_settings(pki, temporal_address=proxy.address))
        await reaches_namespace(client)
    assert proxy.peers and set(proxy.peers) == {"sitegen-worker"}


async def test_mtls_by_values_reaches_temporal_through_a_tls_server(
    pki: Pki, temporal_server: TemporalDevServer
) -> None:
    settings = Settings(
        temporal_tls_client_cert=SecretStr(pki.client.cert.read_text()),
        temporal_tls_client_key=SecretStr(pki.client.key.read_text()),
        temporal_tls_server_ca_cert=SecretStr(pki.ca.read_text()),
        temporal_tls_server_name=SERVER_NAME,
    )
    async with tls_proxy(pki, temporal_server.address, require_client_cert=True) as proxy:
        await reaches_namespace(await connect(settings, address=proxy.address))
    assert set(proxy.peers) == {"sitegen-worker"}


async def test_the_tls_server_refuses_a_client_without_its_certificate(
    pki: Pki, temporal_server: TemporalDevServer
) -> None:
    """The certificate is what lets the client in: without one, or with one from a CA the
    server does not trust, the handshake is refused."""
    untrusted = Settings(
        temporal_tls_client_cert_path=pki.stranger.cert,
        temporal_tls_client_key_path=pki.stranger.key,
        temporal_tls_server_ca_cert_path=pki.ca,
        temporal_tls_server_name=SERVER_NAME,
    )
    no_cert = Settings(
        temporal_tls_server_ca_cert_path=pki.ca, temporal_tls_server_name=SERVER_NAME
    )
    async with tls_proxy(pki, temporal_server.address, require_client_cert=True) as proxy:
        for settings in (no_cert, untrusted):
            with pytest.raises(RuntimeError):
                client = await connect(settings, address=proxy.address)
                await reaches_namespace(client)
    assert proxy.peers == []


async def test_server_tls_alone_with_the_servers_ca(
    pki: Pki, temporal_server: TemporalDevServer
) -> None:
    """A cluster with server TLS and no client certificates (an API key, say)."""
    settings = Settings(
        temporal_tls_server_ca_cert_path=pki.ca, temporal_tls_server_name=SERVER_NAME
    )
    async with tls_proxy(pki, temporal_server.address, require_client_cert=False) as proxy:
        await reaches_namespace(await connect(settings, address=proxy.address))
        # Without the CA, the server's certificate is not trusted: no silent fallback.
        unknown_ca = Settings(temporal_tls=True, temporal_tls_server_name=SERVER_NAME)
        with pytest.raises(RuntimeError):
            await reaches_namespace(await connect(unknown_ca, address=proxy.address))


async def test_connect_gets_the_certificates_bytes_the_key_and_the_namespace(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []

    async def fake_connect(target: str, **kwargs: Any) -> str:
        seen.append({"target": target, **kwargs})
        return "client"

    monkeypatch.setattr(temporal_client.Client, "connect", fake_connect)
    cloud = "sitegen-prod.a1b2c.tmprl.cloud:7233"

    await connect(
        tls_settings(pki, temporal_address=cloud, temporal_namespace="sitegen-prod.a1b2c")
    )
    mtls = seen.pop()
    assert mtls["target"] == cloud and mtls["namespace"] == "sitegen-prod.a1b2c"
    tls = mtls["tls"]
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == pki.client.cert.read_bytes()
    assert tls.client_private_key == pki.client.key.read_bytes()
    assert tls.server_root_ca_cert == pki.ca.read_bytes()
    assert tls.domain == SERVER_NAME
    assert mtls["api_key"] is None
    assert mtls["data_converter"].payload_codec is not None  # still encrypted end to end

    # An API key (Temporal Cloud's other sign-in): TLS on, system CAs, no client certificate.
    await connect(
        Settings(
            temporal_address="us-east-1.aws.api.temporal.io:7233",
            temporal_namespace="sitegen-prod.a1b2c",
            temporal_api_key=SecretStr(f" {API_KEY}\n"),
        )
    )
    keyed = seen.pop()
    assert keyed["api_key"] == API_KEY and keyed["tls"] is True
    assert keyed["namespace"] == "sitegen-prod.a1b2c"

    # An API key to a plaintext proxy on this machine, if asked for in so many words.
    await connect(
        Settings(
            temporal_address="127.0.0.1:7233",
            temporal_api_key=SecretStr(API_KEY),
            temporal_tls=False,
        )
    )
    assert seen.pop()["tls"] is False

    # Nothing set: the dev server's plain gRPC, as before.
    await connect(Settings(temporal_port=7299))
    plain = seen.pop()
    assert plain["target"] == "127.0.0.1:7299" and plain["namespace"] == "default"
    assert plain["tls"] is False and plain["api_key"] is None


async def test_the_default_still_connects_to_the_dev_server(settings: Settings) -> None:
    assert connect_options(settings).tls is False
    await reaches_namespace(await connect(settings))


def error_of(settings: Settings) -> str:
    with pytest.raises(TemporalSettingsError) as raised:
        connect_options(settings)
    assert raised.value.code != 0
    return str(raised.value)


def test_settings_that_cannot_work_name_the_setting(pki: Pki, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "client.pem"
    line = error_of(tls_settings(pki, temporal_tls_client_cert_path=missing))
    assert line == f"SITEGEN_TEMPORAL_TLS_CLIENT_CERT_PATH ({missing}): no such file"
    line = error_of(tls_settings(pki, temporal_tls_server_ca_cert_path=tmp_path))
    assert (
        line
        == f"SITEGEN_TEMPORAL_TLS_SERVER_CA_CERT_PATH ({tmp_path}): a directory, not a PEM file"
    )
    under_a_file = pki.client.cert / "key.pem"  # unreadable even for root
    line = error_of(tls_settings(pki, temporal_tls_client_key_path=under_a_file))
    assert line.startswith(f"SITEGEN_TEMPORAL_TLS_CLIENT_KEY_PATH ({under_a_file}): cannot be read")

    line = error_of(Settings(temporal_tls_client_cert_path=pki.client.cert))
    assert line.startswith("SITEGEN_TEMPORAL_TLS_CLIENT_CERT(_PATH) is set without its key")
    assert "SITEGEN_TEMPORAL_TLS_CLIENT_KEY_PATH" in line
    line = error_of(Settings(temporal_tls_client_key=SecretStr(pki.client.key.read_text())))
    assert line.startswith("SITEGEN_TEMPORAL_TLS_CLIENT_KEY(_PATH) is set without its certificate")

    both = tls_settings(pki, temporal_tls_client_cert=SecretStr(pki.client.cert.read_text()))
    assert error_of(both) == (
        "set SITEGEN_TEMPORAL_TLS_CLIENT_CERT_PATH or SITEGEN_TEMPORAL_TLS_CLIENT_CERT, not both"
    )
    line = error_of(tls_settings(pki, temporal_tls=False))
    assert line.startswith("SITEGEN_TEMPORAL_TLS is false")

    # A key pasted where it does not parse: named, and never quoted back.
    garbage = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-secret-material"
    line = error_of(
        tls_settings(
            pki, temporal_tls_client_key_path=None, temporal_tls_client_key=SecretStr(garbage)
        )
    )
    assert (
        line
        == "SITEGEN_TEMPORAL_TLS_CLIENT_KEY: not a private key in PEM form (no -----BEGIN line)"
    )
    assert garbage not in line


def test_empty_settings_are_unset() -> None:
    """Compose passes an unset variable as empty: not the path '.', not a parse error."""
    settings = Settings.model_validate(
        {
            "temporal_tls": "",
            "temporal_tls_client_cert_path": "",
            "temporal_tls_client_key_path": "",
            "temporal_tls_server_ca_cert_path": "",
            "temporal_tls_server_name": "",
            "temporal_api_key": "",
        }
    )
    options = connect_options(settings)
    assert options.tls is False and options.api_key is None


async def test_secrets_stay_out_of_logs_and_reprs(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fake_connect(target: str, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(temporal_client.Client, "connect", fake_connect)
    # A logger not cached yet by an earlier test's use, so capture_logs sees its events.
    monkeypatch.setattr(temporal_client, "log", structlog.get_logger())
    key_text = pki.client.key.read_text()
    body = re.sub(r"-----[A-Z ]+-----|\s", "", key_text)[:40]
    settings = tls_settings(
        pki,
        temporal_tls_client_key_path=None,
        temporal_tls_client_key=SecretStr(key_text),
        temporal_api_key=SecretStr(API_KEY),
    )
    with capture_logs() as logs:
        await connect(settings)
    assert logs == [
        {
            "event": "temporal.connecting",
            "log_level": "info",
            "target": "127.0.0.1:7233",
            "namespace": "default",
            "auth": "mtls",
        }
    ]
    options = connect_options(settings)
    for shown in (repr(options), repr(options.tls), repr(settings), str(settings.model_dump())):
        assert API_KEY not in shown and body not in shown, shown


async def test_each_process_stops_as_it_starts_naming_the_setting(
    settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "client.pem"
    bad = settings.model_copy(
        update={
            "temporal_tls_client_cert_path": missing,
            "temporal_tls_client_key_path": missing,
            "api_port": free_port(),
            "hosting_port": free_port(),
        }
    )
    expected = f"SITEGEN_TEMPORAL_TLS_CLIENT_CERT_PATH ({missing}): no such file"
    # The worker, before it opens Postgres or Temporal.
    with pytest.raises(TemporalSettingsError, match=re.escape(expected)):
        await run_worker(bad)
    # The API, in its lifespan (Temporal merely down would be a 503 instead).
    app = create_app(bad)
    with pytest.raises(TemporalSettingsError, match=re.escape(expected)):
        async with app.router.lifespan_context(app):
            pass
    # `sitegen dev` against a TLS Temporal: one line, before any child starts.
    stack = Stack(bad.model_copy(update={"task_queue": f"tls-{uuid.uuid4()}"}))
    with pytest.raises(StackError, match=re.escape(expected)):
        stack.start()
    assert stack.services == {}
