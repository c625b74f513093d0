"""One way to reach Temporal, so the API, worker and CLI agree on the data converter and on
how they sign in: plain gRPC to the dev server, or TLS (mTLS or an API key) to Temporal
Cloud or any TLS cluster."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import TLSConfig

from sitegen.payload_codec import codec_from_settings
from sitegen.settings import Settings

log = structlog.get_logger()


class TemporalSettingsError(SystemExit):
    """A Temporal connection setting that cannot be used: the process stops as it starts,
    naming the setting (never its value)."""


class SealedTLSConfig(TLSConfig):
    """The SDK's TLSConfig, whose dataclass repr would print the private key's bytes into
    any log or traceback that shows it."""

    def __repr__(self) -> str:
        key = "<set>" if self.client_private_key else None
        return (
            f"TLSConfig(domain={self.domain!r}, client_cert={self.client_cert is not None}, "
            f"client_private_key={key}, server_root_ca_cert={self.server_root_ca_cert is not None})"
        )


@dataclass(frozen=True)
class ConnectOptions:
    """Everything `Client.connect` is given besides the data converter."""

    target: str
    namespace: str
    tls: bool | TLSConfig
    api_key: str | None = field(default=None, repr=False)

    @property
    def auth(self) -> str:
        """How this connection signs in, for logs (no secret in it)."""
        if isinstance(self.tls, TLSConfig) and self.tls.client_cert is not None:
            return "mtls"
        if self.api_key is not None:
            return "api_key" if self.tls else "api_key_plaintext"
        return "tls" if self.tls else "plaintext"


def _env(name: str) -> str:
    return f"SITEGEN_{name.upper()}"


def _pem(settings: Settings, name: str, *, private: bool = False) -> bytes | None:
    """One PEM, from `{name}_path` or from `{name}` itself; at most one of them set."""
    path: Path | None = getattr(settings, f"{name}_path")
    value: SecretStr | None = getattr(settings, name)
    text = value.get_secret_value().strip() if value is not None else ""
    if path is not None and text:
        raise TemporalSettingsError(f"set {_env(name)}_PATH or {_env(name)}, not both")
    if path is not None:
        where = f"{_env(name)}_PATH ({path})"
        try:
            data = path.expanduser().read_bytes()
        except FileNotFoundError:
            raise TemporalSettingsError(f"{where}: no such file") from None
        except IsADirectoryError:
            raise TemporalSettingsError(f"{where}: a directory, not a PEM file") from None
        except OSError as exc:
            raise TemporalSettingsError(f"{where}: cannot be read ({exc.strerror})") from None
    elif text:
        where, data = _env(name), text.encode()
    else:
        return None
    # Checked here, in words, rather than by rustls at the first call, in its own.
    if b"-----BEGIN " not in data:
        kind = "a private key" if private else "a certificate"
        raise TemporalSettingsError(f"{where}: not {kind} in PEM form (no -----BEGIN line)")
    return data


def connect_options(settings: Settings, address: str | None = None) -> ConnectOptions:
    """The connection the settings describe, with every file read and checked: called as a
    process starts, so a wrong setting stops it then, in one line naming the setting."""
    target = address or settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    cert = _pem(settings, "temporal_tls_client_cert")
    key = _pem(settings, "temporal_tls_client_key", private=True)
    ca = _pem(settings, "temporal_tls_server_ca_cert")
    server_name = settings.temporal_tls_server_name or None
    secret = settings.temporal_api_key
    api_key = (secret.get_secret_value().strip() if secret is not None else "") or None
    if cert is not None and key is None:
        raise TemporalSettingsError(
            "SITEGEN_TEMPORAL_TLS_CLIENT_CERT(_PATH) is set without its key: set "
            "SITEGEN_TEMPORAL_TLS_CLIENT_KEY_PATH (or SITEGEN_TEMPORAL_TLS_CLIENT_KEY)"
        )
    if key is not None and cert is None:
        raise TemporalSettingsError(
            "SITEGEN_TEMPORAL_TLS_CLIENT_KEY(_PATH) is set without its certificate: set "
            "SITEGEN_TEMPORAL_TLS_CLIENT_CERT_PATH (or SITEGEN_TEMPORAL_TLS_CLIENT_CERT)"
        )
    tls: bool | TLSConfig
    if cert is not None or ca is not None or server_name is not None:
        if settings.temporal_tls is False:
            raise TemporalSettingsError(
                "SITEGEN_TEMPORAL_TLS is false, but TLS certificates or a server name are set"
            )
        tls = SealedTLSConfig(
            server_root_ca_cert=ca, domain=server_name, client_cert=cert, client_private_key=key
        )
    elif settings.temporal_tls is not None:
        tls = settings.temporal_tls
    else:
        tls = api_key is not None  # Temporal Cloud takes an API key over TLS only
    return ConnectOptions(target, settings.temporal_namespace, tls, api_key)


def data_converter(settings: Settings) -> DataConverter:
    """The converter of every client, worker and replayer.

    pydantic: the default converter cannot carry Decimal (AI cost) or pydantic models. The
    codec encrypts every payload (personal data never in clear on the server) and passes
    unencrypted ones through, so histories from before encryption still decode. Failure
    messages and stack traces move into an encoded payload too, because an error can quote
    a client's data (an email, an asset URL).
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec_from_settings(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings, address: str | None = None) -> Client:
    options = connect_options(settings, address)
    log.info(
        "temporal.connecting",
        target=options.target,
        namespace=options.namespace,
        auth=options.auth,
    )
    return await Client.connect(
        options.target,
        namespace=options.namespace,
        api_key=options.api_key,
        tls=options.tls,
        data_converter=data_converter(settings),
    )
