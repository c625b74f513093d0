"""A project's design chain: its latest wireframe and style guide, as JSON and as pages a
client can open during plan sign-off, before any version of the site is deployed (after
that, each version's own pages are on the preview host beside it)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.deps import SessionDep, SettingsDep, project_or_404
from sitegen.api.design_links import design_links
from sitegen.api.errors import NotFound
from sitegen.api.schemas_design import (
    DesignLinks,
    DesignPublic,
    StyleGuideVersion,
    WireframeVersion,
)
from sitegen.contracts.design import StyleGuide, Wireframe
from sitegen.contracts.status import ArtifactType
from sitegen.db import queries
from sitegen.db.tables import Artifact
from sitegen.design.pages import style_guide_page, wireframe_page
from sitegen.integrations.storage.base import ObjectNotFound, Storage

router = APIRouter(tags=["design"])
log = structlog.get_logger()
M = TypeVar("M", bound=BaseModel)

_ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown project or version"}}
# The pages hold no script and fetch nothing: a browser is told to allow neither.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
VersionQuery = Annotated[
    int | None, Query(ge=1, le=1_000_000, description="This version; default the latest.")
]


async def _read(request: Request, row: Artifact, model: type[M]) -> M | None:
    """The artifact's model: inline when small enough to be kept in the row, else from
    storage. One that is gone or no longer valid reads as missing, and is logged."""
    try:
        if row.inline_content is not None:
            return model.model_validate(row.inline_content)
        storage: Storage = request.app.state.storage
        return model.model_validate_json(await storage.get(row.storage_ref))
    except (ObjectNotFound, ValidationError) as exc:
        log.warning(
            "design.artifact_unreadable",
            project_id=str(row.project_id),
            type=str(row.type),
            version=row.version,
            error=type(exc).__name__,
        )
        return None


async def _latest(
    request: Request,
    session: AsyncSession,
    project_id: uuid.UUID,
    kind: ArtifactType,
    model: type[M],
    version: int | None = None,
) -> tuple[Artifact, M] | None:
    row = await queries.latest_artifact(session, project_id, kind, version)
    if row is None:
        return None
    found = await _read(request, row, model)
    return None if found is None else (row, found)


@router.get("/projects/{project_id}/design", response_model=DesignPublic, responses=_ERRORS)
async def get_design(
    project_id: uuid.UUID, request: Request, session: SessionDep, settings: SettingsDep
) -> DesignPublic:
    """The latest style guide and wireframe, and where to see them as pages."""
    await project_or_404(session, project_id, release=False)
    guide = await _latest(request, session, project_id, ArtifactType.STYLE_GUIDE, StyleGuide)
    frame = await _latest(request, session, project_id, ArtifactType.WIREFRAME, Wireframe)
    links = await design_links(session, project_id, settings.public_url)
    return DesignPublic(
        project_id=project_id,
        style_guide=StyleGuideVersion(
            version=guide[0].version, created_at=guide[0].created_at, style_guide=guide[1]
        )
        if guide
        else None,
        wireframe=WireframeVersion(
            version=frame[0].version, created_at=frame[0].created_at, wireframe=frame[1]
        )
        if frame
        else None,
        links=links or DesignLinks(),
    )


async def _page(
    request: Request,
    session: AsyncSession,
    project_id: uuid.UUID,
    version: int | None,
    kind: ArtifactType,
) -> HTMLResponse:
    """One design artifact (the latest, or `version`) as its page; a 404 naming it if none."""
    project = await project_or_404(session, project_id, release=False)
    what = kind.value.replace("_", " ")
    if kind is ArtifactType.STYLE_GUIDE:
        guide = await _latest(request, session, project_id, kind, StyleGuide, version)
        if guide is not None:
            label = f"{what} version {guide[0].version}"
            page = style_guide_page(guide[1], project_name=project.name, version_label=label)
            return HTMLResponse(page, headers=_PAGE_HEADERS)
    else:
        frame = await _latest(request, session, project_id, kind, Wireframe, version)
        if frame is not None:
            label = f"{what} version {frame[0].version}"
            page = wireframe_page(frame[1], project_name=project.name, version_label=label)
            return HTMLResponse(page, headers=_PAGE_HEADERS)
    raise NotFound(what)


@router.get(
    "/projects/{project_id}/design/style-guide",
    response_class=HTMLResponse,
    responses=_ERRORS,
)
async def get_style_guide_page(
    project_id: uuid.UUID, request: Request, session: SessionDep, version: VersionQuery = None
) -> HTMLResponse:
    """The style guide as a page: palette, contrast checks, type, spacing, components."""
    return await _page(request, session, project_id, version, ArtifactType.STYLE_GUIDE)


@router.get(
    "/projects/{project_id}/design/wireframe",
    response_class=HTMLResponse,
    responses=_ERRORS,
)
async def get_wireframe_page(
    project_id: uuid.UUID, request: Request, session: SessionDep, version: VersionQuery = None
) -> HTMLResponse:
    """The wireframe as a page: each page of the site with its sections in order."""
    return await _page(request, session, project_id, version, ArtifactType.WIREFRAME)
