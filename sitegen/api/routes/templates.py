"""The template catalogue clients choose from."""

from __future__ import annotations

from fastapi import APIRouter

from sitegen.api.deps import SessionDep
from sitegen.api.schemas import TemplatePublic
from sitegen.db import queries

router = APIRouter(tags=["templates"])


@router.get("/templates", response_model=list[TemplatePublic])
async def list_templates(session: SessionDep) -> list[TemplatePublic]:
    return [
        TemplatePublic(
            id=t.id,
            name=t.name,
            description=t.description,
            # The stored manifest lists pages and sections as objects; clients pick by id.
            pages=[page["id"] for page in t.config.get("pages", [])],
            sections=[section["id"] for section in t.config.get("sections", [])],
        )
        for t in await queries.active_templates(session)
    ]
