"""Personas on the AI port, without a database: the seeded defaults are what the steps
always were, a call runs with the persona its source resolves (provider, model, output
bound, words, key), and a call outside an activity's scope runs as before."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from sitegen.contracts.ai_roles import AI_STEPS, AIStep
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.personas import BUILTIN, Provider, ResolvedPersona, system_text
from sitegen.integrations.ai import OfflineAI
from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.ai.claude import AnthropicAI, prompts
from sitegen.integrations.ai.claude.client import make_client
from sitegen.integrations.ai.claude.persona import client_for_personas
from sitegen.integrations.ai.claude.roles import (
    MAX_TOKENS,
    PATCH_MODEL,
    PATCH_STEPS,
    STRUCTURED_MODEL,
)
from sitegen.integrations.ai.ledger import CallScope, call_scope
from sitegen.integrations.ai.offline import MODEL as OFFLINE_MODEL
from sitegen.integrations.ai.personas import PersonaAI, persona_scope
from sitegen.settings import REPO_ROOT, Settings
from sitegen.templates_registry import TemplateManifest, load_template
from tests.fakes.anthropic import KEY, FakeAnthropic

TEMPLATES = REPO_ROOT / "templates"
CLIENT_KEY = "sk-ant-client-own-key-4321"


def landing() -> TemplateManifest:
    return load_template(TEMPLATES, "landing")


def onboarding() -> Onboarding:
    path = REPO_ROOT / "examples" / "onboarding" / "harbour-physio.json"
    return Onboarding.model_validate_json(path.read_text("utf-8"))


def persona(step: AIStep = "site_spec", **values: Any) -> ResolvedPersona:
    fields: dict[str, Any] = {
        "persona_id": uuid.uuid4(),
        "name": f"{step} for test",
        "step": step,
        "source": "project",
        "system": system_text("a meticulous planner", "You plan sites.", "Twenty years of it."),
        "model": "claude-haiku-4-5",
        "max_tokens": 1_500,
        **values,
    }
    return ResolvedPersona(**fields)


def scope() -> CallScope:
    return CallScope(uuid.uuid4(), "create_site_spec", 1, f"test/{uuid.uuid4()}")


# The seeded defaults -------------------------------------------------------------------
@pytest.mark.parametrize("step", AI_STEPS)
def test_a_default_persona_is_the_step_as_it_always_was(step: AIStep) -> None:
    builtin = BUILTIN[step]
    words = prompts._block(f"{step}.md.j2", "system", {})
    assert system_text(builtin.role, builtin.goal) == words
    assert builtin.model == (PATCH_MODEL if step in PATCH_STEPS else STRUCTURED_MODEL)
    assert builtin.max_tokens == MAX_TOKENS[step]


def test_the_migration_seeds_the_built_in_personas() -> None:
    path = REPO_ROOT / "migrations" / "versions" / "0008_personas.py"
    spec = importlib.util.spec_from_file_location("personas_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    seeded = {row[0]: row[1:] for row in migration.DEFAULTS}
    assert seeded == {step: (b.role, b.goal, b.model, b.max_tokens) for step, b in BUILTIN.items()}


# Routing -------------------------------------------------------------------------------
class Source:
    def __init__(self, found: ResolvedPersona | None) -> None:
        self.found = found
        self.asked: list[tuple[uuid.UUID, str, AIStep]] = []

    async def resolve(
        self, project_id: uuid.UUID, template_id: str, step: AIStep
    ) -> ResolvedPersona | None:
        self.asked.append((project_id, template_id, step))
        return self.found


class Recording(OfflineAI):
    """The offline AI, remembering which provider answered."""

    def __init__(self, calls: list[str], name: str) -> None:
        self.calls, self.name = calls, name

    async def site_spec(self, onboarding: Onboarding, template: TemplateManifest) -> Any:
        self.calls.append(self.name)
        return await super().site_spec(onboarding, template)


def router(source: Source, calls: list[str]) -> PersonaAI:
    built: dict[Provider, Any] = {"anthropic": lambda: Recording(calls, "anthropic")}
    return PersonaAI(Recording(calls, "offline"), "offline", source, built)


async def test_outside_an_activity_no_persona_is_asked_for() -> None:
    calls: list[str] = []
    source = Source(persona(provider="anthropic"))
    result = await router(source, calls).site_spec(onboarding(), landing())
    assert source.asked == [] and calls == ["offline"]
    assert result.usage.persona is None


async def test_an_unedited_default_runs_as_before() -> None:
    calls: list[str] = []
    source = Source(None)
    ai = router(source, calls)
    with call_scope(scope()):
        result = await ai.site_spec(onboarding(), landing())
    assert source.asked[0][1:] == ("landing", "site_spec")
    assert calls == ["offline"] and result.usage.persona is None
    assert result.usage.model == OFFLINE_MODEL


async def test_a_persona_picks_its_provider_and_is_recorded() -> None:
    calls: list[str] = []
    chosen = persona(provider="anthropic")
    ai = router(Source(chosen), calls)
    with call_scope(scope()):
        result = await ai.site_spec(onboarding(), landing())
        again = await ai.site_spec(onboarding(), landing())
    assert calls == ["anthropic", "anthropic"]
    assert result.usage.persona == chosen.name == again.usage.persona


async def test_an_offline_persona_keeps_the_deployment_adapter() -> None:
    calls: list[str] = []
    ai = router(Source(persona(provider="offline", temperature=0.3)), calls)
    with call_scope(scope()):
        result = await ai.site_spec(onboarding(), landing())
    assert calls == ["offline"] and result.usage.persona == "site_spec for test"


def test_the_router_is_a_site_ai() -> None:
    assert isinstance(router(Source(None), []), SiteAI)


# On Claude -----------------------------------------------------------------------------
@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic().running() as server:
        server.other_keys[CLIENT_KEY] = "client"
        yield server


def claude_settings(fake: FakeAnthropic, tmp_path: Path, key: str | None = KEY) -> Settings:
    return Settings(
        data_dir=tmp_path,
        ai_provider="anthropic",
        anthropic_api_key=SecretStr(key) if key else None,
        anthropic_base_url=fake.url,
    )


async def test_claude_sends_the_personas_model_bound_words_and_key(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    claude = AnthropicAI(claude_settings(fake, tmp_path))
    chosen = persona(api_key=SecretStr(CLIENT_KEY), temperature=0.2, effort="low")
    with persona_scope(chosen):
        result = await claude.site_spec(onboarding(), landing())
    await claude.site_spec(onboarding(), landing())  # and without: as before
    mine, before = fake.requests
    assert (mine.body["model"], mine.body["max_tokens"]) == ("claude-haiku-4-5", 1_500)
    assert mine.body["system"][-1]["text"] == chosen.system
    assert mine.body["output_config"] == {"effort": "low"}
    # The Messages API refuses sampling parameters: the temperature is kept, not sent.
    assert "temperature" not in mine.body
    assert mine.key == "client" and before.key == "default"
    assert (before.body["model"], before.body["max_tokens"]) == (STRUCTURED_MODEL, 8_000)
    assert before.body["system"][-1]["text"] == prompts._block("site_spec.md.j2", "system", {})
    assert result.usage.model == "claude-haiku-4-5"
    assert "system#" in (result.usage.prompt_version or "")
    assert CLIENT_KEY not in repr(chosen)


async def test_a_persona_on_claude_without_any_key_fails_for_good(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    """An offline deployment, a persona on Anthropic whose configuration has no key."""
    settings = claude_settings(fake, tmp_path, key=None)
    with pytest.raises(SystemExit):
        make_client(settings)
    claude = AnthropicAI(settings, client=client_for_personas(settings))
    with persona_scope(persona()), pytest.raises(ApplicationError) as caught:
        await claude.site_spec(onboarding(), landing())
    assert caught.value.type == "AIKeyMissing" and caught.value.non_retryable
    assert fake.requests == []
    with persona_scope(persona(api_key=SecretStr(CLIENT_KEY))):
        await claude.site_spec(onboarding(), landing())
    assert [r.key for r in fake.requests] == ["client"]
