"""A persona on a Claude request: its model, output bound, effort and words make the role;
its provider configuration's key, when set, is the request's x-api-key.

Temperature is not sent: the Messages API version the `anthropic` 2.x SDK speaks refuses
sampling parameters with a 400 (see sitegen/contracts/ai_roles.py). A persona's
temperature is kept and shown, and the step's record names the persona.
"""

from __future__ import annotations

import anthropic
from temporalio.exceptions import ApplicationError

from sitegen.integrations.ai.claude.roles import Role
from sitegen.integrations.ai.personas import current_persona
from sitegen.settings import Settings

NO_KEY = "AIKeyMissing"


def with_persona(
    role: Role, client: anthropic.AsyncAnthropic
) -> tuple[Role, anthropic.AsyncAnthropic]:
    """The step's role and client as the call's persona has them (unchanged without one)."""
    persona = current_persona()
    if persona is None:
        return role, client
    role = Role(
        step=role.step,
        model=persona.model,
        max_tokens=persona.max_tokens,
        system=persona.system,
        effort=persona.effort or role.effort,
    )
    if persona.api_key is not None:
        # A copy that shares the connection pool; only the credential differs.
        return role, client.with_options(api_key=persona.api_key.get_secret_value())
    if not client.api_key:
        raise ApplicationError(
            f"persona {persona.name!r} ({role.step}) runs on Anthropic, but neither its "
            "provider configuration nor SITEGEN_ANTHROPIC_API_KEY has an API key",
            type=NO_KEY,
            non_retryable=True,
        )
    return role, client


def client_for_personas(settings: Settings) -> anthropic.AsyncAnthropic:
    """The client of a worker whose own provider is not Anthropic, for personas that are:
    the deployment's key if it has one, else none (each persona brings its own)."""
    key = settings.anthropic_api_key
    return anthropic.AsyncAnthropic(
        api_key=key.get_secret_value() if key is not None else "",
        base_url=settings.anthropic_base_url,
        # As make_client: Temporal owns retries; an explicit timeout.
        max_retries=0,
        timeout=settings.anthropic_timeout_seconds,
    )
