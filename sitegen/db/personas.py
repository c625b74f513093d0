"""Personas, provider configurations and overrides in Postgres, and the one place that
decides which persona a project's step runs with: the order's override, else the
template's, else the step's default.

API keys are sealed with the integration secrets' cipher (sitegen/config_secrets.py) on
the way in, and opened only by `PersonaStore.resolve`, for the worker's AI call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.config_secrets import ConfigCipher, ConfigSecretError
from sitegen.contracts.ai_roles import AI_STEPS, AIStep
from sitegen.contracts.personas import (
    BUILTIN,
    PersonaIn,
    PersonaSource,
    PersonaUnusable,
    Provider,
    ProviderConfigIn,
    ResolvedPersona,
    system_text,
)
from sitegen.db.engine import Sessions
from sitegen.db.tables_personas import LLMProviderConfig, Persona, PersonaOverride

# The cipher's messages name a row by these; the persona's own message says what to do.
SEALED_AS = "llm_provider_config"


class PersonaKeyUnreadable(PersonaUnusable):
    """A provider configuration's key the current payload keys cannot open."""

    def __init__(self, config: LLMProviderConfig) -> None:
        super().__init__(
            f"provider configuration {config.name!r}: its API key cannot be decrypted with "
            "the current payload key or SITEGEN_PAYLOAD_OLD_KEYS; put the key it was stored "
            "under back in SITEGEN_PAYLOAD_OLD_KEYS, or set the configuration's api_key again"
        )


# Persona and provider configuration reads -------------------------------------------------
async def list_personas(session: AsyncSession, step: AIStep | None = None) -> list[Persona]:
    query = select(Persona).order_by(col(Persona.step), col(Persona.name))
    if step is not None:
        query = query.where(col(Persona.step) == step)
    return list((await session.exec(query)).all())


async def name_taken(
    session: AsyncSession, table: type[Persona] | type[LLMProviderConfig], name: str
) -> bool:
    found = await session.exec(select(table.id).where(col(table.name) == name))
    return found.first() is not None


async def list_configs(session: AsyncSession) -> list[LLMProviderConfig]:
    query = select(LLMProviderConfig).order_by(col(LLMProviderConfig.name))
    return list((await session.exec(query)).all())


async def config_in_use(session: AsyncSession, config_id: uuid.UUID) -> bool:
    found = await session.exec(
        select(Persona.id).where(col(Persona.provider_config_id) == config_id)
    )
    return found.first() is not None


# Writes (the caller validates and commits) ----------------------------------------------
def new_persona(body: PersonaIn) -> Persona:
    return Persona(**body.model_dump(), default_step=None)


def apply_changes(row: Persona | LLMProviderConfig, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(row, name, value)


def seal_key(cipher: ConfigCipher, config: LLMProviderConfig, key: SecretStr | None) -> None:
    """Store `key` sealed (None removes it); only its last four characters stay readable."""
    if key is None:
        config.api_key_encrypted, config.api_key_last4 = None, None
        return
    value = key.get_secret_value()
    config.api_key_encrypted = cipher.encrypt(value)
    config.api_key_last4 = value[-4:]


def new_config(cipher: ConfigCipher, body: ProviderConfigIn) -> LLMProviderConfig:
    config = LLMProviderConfig(name=body.name, provider=body.provider, model=body.model)
    seal_key(cipher, config, body.api_key)
    return config


async def set_override(
    session: AsyncSession,
    persona: Persona,
    *,
    template_id: str | None = None,
    project_id: uuid.UUID | None = None,
) -> PersonaOverride:
    """The template's or project's persona for the persona's step, replacing any earlier."""
    found = await session.exec(
        select(PersonaOverride).where(*_target(persona.step, template_id, project_id))
    )
    row = found.first()
    if row is None:
        row = PersonaOverride(step=persona.step, template_id=template_id, project_id=project_id,
                              persona_id=persona.id)  # fmt: skip
    row.persona_id = persona.id
    session.add(row)
    await session.flush()
    return row


async def delete_override(
    session: AsyncSession,
    step: AIStep,
    *,
    template_id: str | None = None,
    project_id: uuid.UUID | None = None,
) -> bool:
    done = await session.execute(
        delete(PersonaOverride).where(*_target(step, template_id, project_id))
    )
    return bool(getattr(done, "rowcount", 0))


def _target(step: str, template_id: str | None, project_id: uuid.UUID | None) -> list[Any]:
    where = col(PersonaOverride.step) == step
    if project_id is not None:
        return [where, col(PersonaOverride.project_id) == project_id]
    return [where, col(PersonaOverride.template_id) == template_id]


async def list_overrides(
    session: AsyncSession, *, template_id: str | None = None, project_id: uuid.UUID | None = None
) -> list[tuple[PersonaOverride, Persona]]:
    query = select(PersonaOverride, Persona).join(
        Persona, col(Persona.id) == col(PersonaOverride.persona_id)
    )
    if template_id is not None:
        query = query.where(col(PersonaOverride.template_id) == template_id)
    if project_id is not None:
        query = query.where(col(PersonaOverride.project_id) == project_id)
    query = query.order_by(col(PersonaOverride.step))
    return [(o, p) for o, p in (await session.exec(query)).all()]


# Resolution ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Chosen:
    persona: Persona
    source: PersonaSource
    config: LLMProviderConfig | None


_RANK: dict[PersonaSource, int] = {"project": 0, "template": 1, "default": 2}


async def choose(
    session: AsyncSession,
    project_id: uuid.UUID,
    template_id: str,
    steps: tuple[AIStep, ...] = AI_STEPS,
) -> dict[AIStep, Chosen]:
    """For each step, its persona: the project's override, else the template's, else the
    default. One query; a step with no persona at all (its default deleted by hand) is left
    out, and runs with the built-in role."""
    query = (
        select(Persona, PersonaOverride, LLMProviderConfig)
        .outerjoin(
            PersonaOverride,
            (col(PersonaOverride.persona_id) == col(Persona.id))
            & (col(PersonaOverride.step) == col(Persona.step))
            & or_(
                col(PersonaOverride.project_id) == project_id,
                col(PersonaOverride.template_id) == template_id,
            ),
        )
        .outerjoin(LLMProviderConfig, col(LLMProviderConfig.id) == col(Persona.provider_config_id))
        .where(col(Persona.step).in_(steps))
        .where(col(PersonaOverride.id).is_not(None) | col(Persona.default_step).is_not(None))
    )
    chosen: dict[AIStep, Chosen] = {}
    for persona, override, config in (await session.exec(query)).all():
        source: PersonaSource = "default"
        if override is not None:
            source = "project" if override.project_id is not None else "template"
        step: AIStep = persona.step  # type: ignore[assignment]  # checked on the way in
        earlier = chosen.get(step)
        if earlier is None or _RANK[source] < _RANK[earlier.source]:
            chosen[step] = Chosen(persona, source, config)
    return chosen


def is_builtin(chosen: Chosen) -> bool:
    """The step's default, as seeded: running it changes nothing, so the layers below
    (SITEGEN_AI_MODELS, SITEGEN_AI_ROLES, the template's [ai] table) still decide."""
    p = chosen.persona
    builtin = BUILTIN.get(p.step)  # type: ignore[call-overload]
    return (
        chosen.source == "default"
        and builtin is not None
        and (p.role, p.goal, p.backstory, p.model, p.max_tokens)
        == (builtin.role, builtin.goal, "", builtin.model, builtin.max_tokens)
        and p.temperature is None
        and p.effort is None
        and p.provider_config_id is None
    )


class PersonaStore:
    """The worker's side: which persona an AI call runs with, its key opened."""

    def __init__(self, sessions: Sessions, cipher: ConfigCipher) -> None:
        self.sessions = sessions
        self.cipher = cipher

    async def resolve(
        self, project_id: uuid.UUID, template_id: str, step: AIStep
    ) -> ResolvedPersona | None:
        """None when the step runs as it always did (its default persona, unedited)."""
        async with self.sessions() as session:
            found = (await choose(session, project_id, template_id, (step,))).get(step)
        if found is None or is_builtin(found):
            return None
        return self._resolved(found, step)

    def _resolved(self, chosen: Chosen, step: AIStep) -> ResolvedPersona:
        p, config = chosen.persona, chosen.config
        key = None
        if config is not None and config.api_key_encrypted is not None:
            try:
                opened = self.cipher.decrypt(config.api_key_encrypted, SEALED_AS, config.name)
            except ConfigSecretError:
                raise PersonaKeyUnreadable(config) from None
            key = SecretStr(opened)
        provider: Provider | None = config.provider if config is not None else None  # type: ignore[assignment]
        model = p.model or (config.model if config is not None else None)
        return ResolvedPersona(
            persona_id=p.id,
            name=p.name,
            step=step,
            source=chosen.source,
            system=system_text(p.role, p.goal, p.backstory),
            # The API refuses a persona with neither; the built-in model if one slipped by.
            model=model or BUILTIN[step].model,
            max_tokens=p.max_tokens,
            temperature=p.temperature,
            effort=p.effort,  # type: ignore[arg-type]  # checked on the way in
            provider=provider,
            api_key=key,
        )
