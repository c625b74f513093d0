"""Claude switched on against the local Messages API fake, for the pipeline tests that ask
for it: their module overrides `settings` with `with_claude` (the worker and API fixtures
build their clients from it, through the same providers.make_ai as production)."""

from __future__ import annotations

from pydantic import SecretStr

from sitegen.settings import Settings
from tests.fakes.anthropic import KEY, FakeAnthropic


def with_claude(settings: Settings, fake: FakeAnthropic) -> Settings:
    return settings.model_copy(
        update={
            "ai_provider": "anthropic",
            "anthropic_api_key": SecretStr(KEY),
            "anthropic_base_url": fake.url,
        }
    )


def claude_env(fake: FakeAnthropic) -> dict[str, str]:
    """The same switch for a worker process."""
    return {
        "SITEGEN_AI_PROVIDER": "anthropic",
        "SITEGEN_ANTHROPIC_API_KEY": KEY,
        "SITEGEN_ANTHROPIC_BASE_URL": fake.url,
    }
