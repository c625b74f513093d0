"""Personas and provider configurations (the agency's): who the AI is at each step, on
whose account, and which persona a template or an order uses instead of a step's default.

A provider configuration's API key goes in once and never comes back: answers say only
whether one is set, and its last four characters.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.deps import SessionDep, SettingsDep, project_or_404
from sitegen.api.errors import ApiError, Conflict, NotFound
from sitegen.config_secrets import ConfigCipher
from sitegen.contracts.ai_roles import AI_STEPS, AIStep
from sitegen.contracts.personas import (
    REQUIRED_CONFIG_FIELDS,
    REQUIRED_PERSONA_FIELDS,
    EffectivePersona,
    OverrideIn,
    OverrideOut,
    PersonaIn,
    PersonaOut,
    PersonaPatch,
    ProviderConfigIn,
    ProviderConfigOut,
    ProviderConfigPatch,
)
from sitegen.db import personas as store
from sitegen.db import queries
from sitegen.db.tables_personas import LLMProviderConfig, Persona
from sitegen.integrations.ai.claude.roles import PRICES
from sitegen.settings import Settings

router = APIRouter(tags=["personas"])
TEMPLATE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
_ERRORS: dict[int | str, dict[str, str]] = {
    422: {"description": "Invalid input: each error names its field and reason"},
    404: {"description": "No such persona, provider configuration, template or project"},
    409: {"description": "The name is taken, or the configuration is in use"},
}


def persona_out(p: Persona) -> PersonaOut:
    return PersonaOut.model_validate({**p.model_dump(), "is_default": p.default_step is not None})


def config_out(c: LLMProviderConfig) -> ProviderConfigOut:
    return ProviderConfigOut.model_validate(
        {**c.model_dump(), "api_key_set": c.api_key_encrypted is not None}
    )


def _override_out(row: Any, persona: Persona) -> OverrideOut:
    return OverrideOut(step=row.step, persona_id=persona.id, persona_name=persona.name,
                       template_id=row.template_id, project_id=row.project_id)  # fmt: skip


async def _persona(session: AsyncSession, persona_id: uuid.UUID) -> Persona:
    found = await session.get(Persona, persona_id)
    if found is None:
        raise NotFound("persona")
    return found


async def _config(session: AsyncSession, config_id: uuid.UUID) -> LLMProviderConfig:
    found = await session.get(LLMProviderConfig, config_id)
    if found is None:
        raise NotFound("provider configuration")
    return found


async def _config_named(
    session: AsyncSession, config_id: uuid.UUID | None
) -> LLMProviderConfig | None:
    if config_id is None:
        return None
    found = await session.get(LLMProviderConfig, config_id)
    if found is None:
        raise ApiError(422, "no provider configuration has this id", "provider_config_id")
    return found


def _priced(settings: Settings, provider: str, model: str | None) -> None:
    """A model Claude is asked for must have a price: every call is reserved against the
    project's budget before it is sent. Refused here rather than at the step."""
    known = model is None or model in PRICES or model in settings.ai_prices
    if provider == "anthropic" and not known:
        raise ApiError(
            422, f"no price for {model!r}; set SITEGEN_AI_PRICES (budgets need one)", "model"
        )


def _check_persona(settings: Settings, model: str | None, config: LLMProviderConfig | None) -> None:
    if model is None and config is None:
        raise ApiError(422, "set a model, or a provider configuration (it has one)", "model")
    provider = config.provider if config is not None else settings.ai_provider
    _priced(settings, provider, model or (config.model if config is not None else None))


async def _name_free(session: AsyncSession, table: Any, name: str, current: str | None) -> None:
    if name != current and await store.name_taken(session, table, name):
        raise Conflict("this name is taken", "name")


def _no_nulls(body: BaseModel, fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ApiError(422, "may not be null", name)


def _known_step(step: str, field: str = "step") -> AIStep:
    if step not in AI_STEPS:
        raise ApiError(422, f"must be one of {list(AI_STEPS)}", field)
    return step


# Personas ------------------------------------------------------------------------------
@router.get("/personas", response_model=list[PersonaOut], responses=_ERRORS)
async def list_personas(session: SessionDep, step: str | None = None) -> list[PersonaOut]:
    """Every persona, by step; `step` keeps one step's."""
    known = _known_step(step) if step is not None else None
    return [persona_out(p) for p in await store.list_personas(session, known)]


@router.post("/personas", status_code=201, response_model=PersonaOut, responses=_ERRORS)
async def create_persona(body: PersonaIn, session: SessionDep, settings: SettingsDep) -> PersonaOut:
    _known_step(body.step)
    _check_persona(settings, body.model, await _config_named(session, body.provider_config_id))
    await _name_free(session, Persona, body.name, None)
    persona = store.new_persona(body)
    session.add(persona)
    await session.commit()
    await session.refresh(persona)
    return persona_out(persona)


@router.get("/personas/{persona_id}", response_model=PersonaOut, responses=_ERRORS)
async def get_persona(persona_id: uuid.UUID, session: SessionDep) -> PersonaOut:
    return persona_out(await _persona(session, persona_id))


@router.patch("/personas/{persona_id}", response_model=PersonaOut, responses=_ERRORS)
async def update_persona(
    persona_id: uuid.UUID, body: PersonaPatch, session: SessionDep, settings: SettingsDep
) -> PersonaOut:
    """Only the fields sent change; the next AI call of every project using this persona
    runs with them (a step already running keeps what it started with)."""
    _no_nulls(body, REQUIRED_PERSONA_FIELDS)
    persona = await _persona(session, persona_id)
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes:
        await _name_free(session, Persona, changes["name"], persona.name)
    config_id = changes.get("provider_config_id", persona.provider_config_id)
    _check_persona(
        settings, changes.get("model", persona.model), await _config_named(session, config_id)
    )
    store.apply_changes(persona, changes)
    session.add(persona)
    await session.commit()
    await session.refresh(persona)
    return persona_out(persona)


# Provider configurations ---------------------------------------------------------------
@router.get("/provider-configs", response_model=list[ProviderConfigOut], responses=_ERRORS)
async def list_provider_configs(session: SessionDep) -> list[ProviderConfigOut]:
    return [config_out(c) for c in await store.list_configs(session)]


@router.post(
    "/provider-configs", status_code=201, response_model=ProviderConfigOut, responses=_ERRORS
)
async def create_provider_config(
    body: ProviderConfigIn, session: SessionDep, settings: SettingsDep
) -> ProviderConfigOut:
    _priced(settings, body.provider, body.model)
    await _name_free(session, LLMProviderConfig, body.name, None)
    config = store.new_config(ConfigCipher.from_settings(settings), body)
    session.add(config)
    await session.commit()
    await session.refresh(config)
    return config_out(config)


@router.get("/provider-configs/{config_id}", response_model=ProviderConfigOut, responses=_ERRORS)
async def get_provider_config(config_id: uuid.UUID, session: SessionDep) -> ProviderConfigOut:
    return config_out(await _config(session, config_id))


@router.patch("/provider-configs/{config_id}", response_model=ProviderConfigOut, responses=_ERRORS)
async def update_provider_config(
    config_id: uuid.UUID, body: ProviderConfigPatch, session: SessionDep, settings: SettingsDep
) -> ProviderConfigOut:
    """Only the fields sent change; `api_key: null` removes the key."""
    _no_nulls(body, REQUIRED_CONFIG_FIELDS)
    config = await _config(session, config_id)
    changes = body.model_dump(exclude_unset=True, exclude={"api_key"})
    if "name" in changes:
        await _name_free(session, LLMProviderConfig, changes["name"], config.name)
    if "model" in changes:
        _priced(settings, config.provider, changes["model"])
    store.apply_changes(config, changes)
    if "api_key" in body.model_fields_set:
        store.seal_key(ConfigCipher.from_settings(settings), config, body.api_key)
    session.add(config)
    await session.commit()
    await session.refresh(config)
    return config_out(config)


@router.delete("/provider-configs/{config_id}", status_code=204, responses=_ERRORS)
async def delete_provider_config(config_id: uuid.UUID, session: SessionDep) -> Response:
    config = await _config(session, config_id)
    if await store.config_in_use(session, config.id):
        raise Conflict("personas use this configuration; point them elsewhere first")
    await session.delete(config)
    await session.commit()
    return Response(status_code=204)


# Overrides -----------------------------------------------------------------------------
async def _persona_for(session: AsyncSession, step: str, body: OverrideIn) -> Persona:
    known = _known_step(step)
    persona = await session.get(Persona, body.persona_id)
    if persona is None:
        raise ApiError(422, "no persona has this id", "persona_id")
    if persona.step != known:
        raise ApiError(422, f"this persona is for the {persona.step} step, not {known}",
                       "persona_id")  # fmt: skip
    return persona


async def _template(session: AsyncSession, template_id: str) -> str:
    # Template ids are slugs; anything else (a NUL byte, say) is not one, nor a query.
    if (
        not TEMPLATE_ID.fullmatch(template_id)
        or await queries.get_template(session, template_id) is None
    ):
        raise NotFound("template")
    return template_id


@router.get(
    "/templates/{template_id}/personas", response_model=list[OverrideOut], responses=_ERRORS
)
async def list_template_overrides(template_id: str, session: SessionDep) -> list[OverrideOut]:
    """The personas this template uses instead of a step's default."""
    await _template(session, template_id)
    rows = await store.list_overrides(session, template_id=template_id)
    return [_override_out(o, p) for o, p in rows]


@router.put(
    "/templates/{template_id}/personas/{step}", response_model=OverrideOut, responses=_ERRORS
)
async def set_template_override(
    template_id: str, step: str, body: OverrideIn, session: SessionDep
) -> OverrideOut:
    """Every project on this template runs `step` with this persona (unless its order
    chose another); setting it again replaces the choice."""
    persona = await _persona_for(session, step, body)
    await _template(session, template_id)
    row = await store.set_override(session, persona, template_id=template_id)
    await session.commit()
    return _override_out(row, persona)


@router.delete("/templates/{template_id}/personas/{step}", status_code=204, responses=_ERRORS)
async def delete_template_override(template_id: str, step: str, session: SessionDep) -> Response:
    known = _known_step(step)
    await _template(session, template_id)
    if not await store.delete_override(session, known, template_id=template_id):
        raise NotFound("override")
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/projects/{project_id}/personas", response_model=list[EffectivePersona], responses=_ERRORS
)
async def project_personas(project_id: uuid.UUID, session: SessionDep) -> list[EffectivePersona]:
    """The persona each AI step of this project runs with, and where that choice comes
    from: the order (`project`), its template, or the step's default."""
    project = await project_or_404(session, project_id)
    chosen = await store.choose(session, project.id, project.template_id)
    return [
        EffectivePersona(step=step, source=c.source, persona=persona_out(c.persona))
        for step, c in ((s, chosen[s]) for s in AI_STEPS if s in chosen)
    ]


@router.put("/projects/{project_id}/personas/{step}", response_model=OverrideOut, responses=_ERRORS)
async def set_project_override(
    project_id: uuid.UUID, step: str, body: OverrideIn, session: SessionDep
) -> OverrideOut:
    """This order's `step` runs with this persona, whatever its template says; from the
    step's next run on."""
    persona = await _persona_for(session, step, body)
    project = await project_or_404(session, project_id)
    row = await store.set_override(session, persona, project_id=project.id)
    await session.commit()
    return _override_out(row, persona)


@router.delete("/projects/{project_id}/personas/{step}", status_code=204, responses=_ERRORS)
async def delete_project_override(
    project_id: uuid.UUID, step: str, session: SessionDep
) -> Response:
    known = _known_step(step)
    project = await project_or_404(session, project_id)
    if not await store.delete_override(session, known, project_id=project.id):
        raise NotFound("override")
    await session.commit()
    return Response(status_code=204)
