"""The one Anthropic client a worker uses, built at start."""

from __future__ import annotations

import anthropic

from sitegen.settings import Settings


class MissingAnthropicKey(SystemExit):
    """ai_provider is anthropic but there is no key: the worker stops before any run."""

    def __init__(self) -> None:
        super().__init__(
            "not available: SITEGEN_AI_PROVIDER=anthropic needs SITEGEN_ANTHROPIC_API_KEY"
        )


def make_client(settings: Settings) -> anthropic.AsyncAnthropic:
    key = settings.anthropic_api_key
    if key is None or not key.get_secret_value().strip():
        raise MissingAnthropicKey()
    return anthropic.AsyncAnthropic(
        # Passed explicitly so no ANTHROPIC_* variable or profile file elsewhere decides.
        api_key=key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        # Temporal owns retries (and honours retry-after, see errors.py): an SDK retry
        # inside an activity would hide attempts from the history and the cost ledger.
        max_retries=0,
        # An explicit bound, also so the SDK does not refuse large non-streaming requests.
        timeout=settings.anthropic_timeout_seconds,
    )
