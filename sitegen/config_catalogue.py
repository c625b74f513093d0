"""Which settings each integration may keep in `integration_config`, and how stored values
join the settings a process runs with. No database here: the store (sitegen/db/
integration_config.py) reads the rows, this module only knows fields.

A row's `config_key` is the name of a `Settings` field, and its value is that field's value
as text, exactly as the environment variable `SITEGEN_<KEY>` would spell it (JSON for a
mapping). So one validator, the `Settings` model itself, judges both.

Precedence, highest first:
1. a field set explicitly: in the environment (`SITEGEN_*`), the `.env` file, or by the code
   that built the settings (pydantic's `model_fields_set`);
2. an active row of `integration_config`;
3. the field's default.
The environment wins so an operator (or a test) can always override what the database says
for one process without touching the shared rows.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, SecretStr, ValidationError

from sitegen.settings import Settings

Source = Literal["env", "database", "default"]


@dataclass(frozen=True)
class IntegrationType:
    name: str
    summary: str
    fields: tuple[str, ...]
    # The field that picks the adapter; its local default needs no probe.
    provider_field: str | None = None


CATALOGUE: dict[str, IntegrationType] = {
    t.name: t
    for t in (
        IntegrationType(
            "ai",
            "the AI behind every generation step (offline or Anthropic)",
            ("ai_provider", "anthropic_api_key", "anthropic_base_url",
             "anthropic_timeout_seconds", "ai_models", "ai_prices"),
            "ai_provider",
        ),
        IntegrationType(
            "git",
            "where each site's repository lives (local bare repos or GitHub)",
            ("git_provider", "github_token", "github_org", "github_api_url",
             "github_template_repos"),
            "git_provider",
        ),
        IntegrationType(
            "hosting",
            "where previews and production sites are served (local or Cloudflare)",
            ("hosting_provider", "cloudflare_api_token", "cloudflare_account_id",
             "cloudflare_zone_id", "cloudflare_api_url", "cloudflare_timeout_seconds"),
            "hosting_provider",
        ),
        IntegrationType(
            "storage",
            "where assets and artifacts are stored (filesystem or S3-compatible)",
            ("storage_provider", "s3_endpoint_url", "s3_region", "s3_bucket",
             "s3_access_key_id", "s3_secret_access_key", "s3_prefix", "s3_addressing_style",
             "s3_timeout_seconds", "s3_max_attempts"),
            "storage_provider",
        ),
        IntegrationType(
            "notify",
            "how e-mail leaves (.eml files or SMTP)",
            ("notify_channel", "mail_from", "smtp_host", "smtp_port", "smtp_username",
             "smtp_password", "smtp_starttls", "smtp_tls", "smtp_timeout_seconds"),
            "notify_channel",
        ),
        IntegrationType(
            "webhook",
            "the agency's own notifications as signed JSON events",
            ("webhook_url", "webhook_secret", "webhook_timeout_seconds"),
        ),
    )
}  # fmt: skip

# Plain strings in Settings that are kept secret all the same: a webhook URL often carries
# the receiver's token in its path or query.
_ALSO_SECRET = frozenset({"webhook_url"})


class UnknownSetting(Exception):
    """A type or key the catalogue does not have."""


class ConfigValueError(Exception):
    """Stored (or given) values that Settings rejects. The message names each field and
    pydantic's reason; a secret's value is never in it."""


def integration(name: str) -> IntegrationType:
    found = CATALOGUE.get(name)
    if found is None:
        raise UnknownSetting(f"unknown integration type {name!r}; one of: {', '.join(CATALOGUE)}")
    return found


def check_key(integration_type: str, key: str) -> IntegrationType:
    found = integration(integration_type)
    if key not in found.fields:
        raise UnknownSetting(
            f"{integration_type} has no setting {key!r}; its settings: {', '.join(found.fields)}"
        )
    return found


def type_of(key: str) -> str:
    """The integration type a field belongs to."""
    for t in CATALOGUE.values():
        if key in t.fields:
            return t.name
    raise UnknownSetting(f"{key!r} is not an integration setting")


def _unwrapped(annotation: Any) -> Any:
    """`X | None` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_secret_str(key: str) -> bool:
    return _unwrapped(Settings.model_fields[key].annotation) is SecretStr


def is_secret(key: str) -> bool:
    return key in _ALSO_SECRET or _is_secret_str(key)


def _is_json(key: str) -> bool:
    """Mappings and lists are JSON text, as pydantic-settings reads them from the env."""
    inner = _unwrapped(Settings.model_fields[key].annotation)
    origin = typing.get_origin(inner) or inner
    return origin in (dict, list, set, tuple) or (
        isinstance(origin, type) and issubclass(origin, BaseModel)
    )


def _input(key: str, text: str) -> Any:
    """A stored text as the validator's input. A SecretStr field's text goes in wrapped, so
    even an error that printed its input could not show it."""
    if _is_json(key):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigValueError(f"{key}: not valid JSON ({exc.msg})") from None
    return SecretStr(text) if _is_secret_str(key) else text


def _explain(exc: ValidationError, keys: set[str]) -> str:
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        where = ".".join(str(p) for p in error["loc"]) or "settings"
        shown = f"{type_of(field)}.{where}" if field in keys else where
        lines.append(f"{shown}: {error['msg']}")
    return "; ".join(lines)


def with_values(settings: Settings, values: Mapping[str, str]) -> Settings:
    """`settings` with these fields replaced by stored texts, validated together by the
    Settings model (field constraints and model checks alike). No precedence here."""
    for key in values:
        type_of(key)
    if not values:
        return settings
    inputs = {key: _input(key, text) for key, text in values.items()}
    try:
        checked = Settings.model_validate({**settings.model_dump(), **inputs})
    except ValidationError as exc:
        raise ConfigValueError(_explain(exc, set(values))) from None
    # A copy of the original, not the revalidated model (which marks every field as set):
    # fields_set stays what was set explicitly, plus these.
    return settings.model_copy(update={key: getattr(checked, key) for key in values})


def overlay(settings: Settings, stored: Mapping[str, str]) -> Settings:
    """Stored values over the defaults, under whatever was set explicitly (see the module
    docstring for the order)."""
    wins = {k: v for k, v in stored.items() if k not in settings.model_fields_set}
    return with_values(settings, wins)


def source(key: str, base: Settings, stored: Container[str]) -> Source:
    """Where the effective value of `key` comes from: `base` is the settings before any
    overlay, `stored` the keys of the active rows."""
    if key in base.model_fields_set:
        return "env"
    return "database" if key in stored else "default"


def display(key: str, value: Any) -> str:
    """A value as `list` shows it: secrets masked whatever they hold."""
    if value is None:
        return ""
    if is_secret(key):
        return "••••"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)
