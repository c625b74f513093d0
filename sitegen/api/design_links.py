"""Where the project's style guide and wireframe pages are: one answer for the project's
own response and for GET .../design, so both always point at the same pages."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.schemas_design import DesignLinks
from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import Artifact, SiteVersion
from sitegen.design.pages import STYLE_GUIDE_PATH, WIREFRAME_PATH

DESIGN_KINDS = (ArtifactType.STYLE_GUIDE, ArtifactType.WIREFRAME)
# The artifacts a deploy renders the pages from (sitegen/activities/deploy.py): a version
# recorded without them was deployed without the pages.
_RENDERED_FROM = ("spec_key", "layout_key")


def api_page_url(public_url: str, project_id: uuid.UUID, kind: ArtifactType) -> str:
    page = "style-guide" if kind is ArtifactType.STYLE_GUIDE else "wireframe"
    return f"{public_url.rstrip('/')}/api/v1/projects/{project_id}/design/{page}"


async def design_links(
    session: AsyncSession, project_id: uuid.UUID, public_url: str
) -> DesignLinks | None:
    """The current version's pages on the preview host once it has them; before that the
    API's pages of the latest artifacts; None while neither exists. Reads in the caller's
    transaction (two small queries)."""
    current = (
        await session.exec(
            select(SiteVersion)
            .where(SiteVersion.project_id == project_id)
            .order_by(col(SiteVersion.number).desc())
            .limit(1)
        )
    ).first()
    if current is not None and all(key in current.artifacts for key in _RENDERED_FROM):
        base = current.url if current.url.endswith("/") else f"{current.url}/"
        return DesignLinks(
            style_guide_url=base + STYLE_GUIDE_PATH, wireframe_url=base + WIREFRAME_PATH
        )
    kinds = set(
        (
            await session.exec(
                select(Artifact.type)
                .where(Artifact.project_id == project_id)
                .where(col(Artifact.type).in_(DESIGN_KINDS))
                .distinct()
            )
        ).all()
    )
    if not kinds:
        return None
    return DesignLinks(
        style_guide_url=api_page_url(public_url, project_id, ArtifactType.STYLE_GUIDE)
        if ArtifactType.STYLE_GUIDE in kinds
        else None,
        wireframe_url=api_page_url(public_url, project_id, ArtifactType.WIREFRAME)
        if ArtifactType.WIREFRAME in kinds
        else None,
    )
