"""Where the project's style guide and wireframe pages are: one answer for the project's
own response and for GET .../design, so both always point at the same pages."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.schemas_design import DesignLinks
from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import Artifact, SiteVersion
from sitegen.design.pages import DESIGN_PAGES_MARK, STYLE_GUIDE_PATH, WIREFRAME_PATH


def api_page_url(public_url: str, project_id: uuid.UUID, kind: ArtifactType) -> str:
    page = "style-guide" if kind is ArtifactType.STYLE_GUIDE else "wireframe"
    return f"{public_url.rstrip('/')}/api/v1/projects/{project_id}/design/{page}"


async def design_links(
    session: AsyncSession, project_id: uuid.UUID, public_url: str
) -> DesignLinks | None:
    """The current version's pages on the preview host once it has them; before that the
    API's pages of the latest artifacts; None while neither exists. One query, in the
    caller's transaction: it rides along with every read of a project."""
    current = (
        select(SiteVersion.url, SiteVersion.artifacts)
        .where(SiteVersion.project_id == project_id)
        .order_by(col(SiteVersion.number).desc())
        .limit(1)
        .subquery()
    )

    def has(kind: ArtifactType) -> Any:
        return exists().where(col(Artifact.project_id) == project_id, col(Artifact.type) == kind)

    row = (
        await session.exec(
            select(
                select(current.c.url).scalar_subquery(),
                select(current.c.artifacts).scalar_subquery(),
                has(ArtifactType.STYLE_GUIDE),
                has(ArtifactType.WIREFRAME),
            )
        )
    ).one()
    url, artifacts, has_guide, has_frame = row
    if url is not None and DESIGN_PAGES_MARK in (artifacts or {}):
        base = url if url.endswith("/") else f"{url}/"
        return DesignLinks(
            style_guide_url=base + STYLE_GUIDE_PATH, wireframe_url=base + WIREFRAME_PATH
        )
    if not (has_guide or has_frame):
        return None
    return DesignLinks(
        style_guide_url=api_page_url(public_url, project_id, ArtifactType.STYLE_GUIDE)
        if has_guide
        else None,
        wireframe_url=api_page_url(public_url, project_id, ArtifactType.WIREFRAME)
        if has_frame
        else None,
    )
