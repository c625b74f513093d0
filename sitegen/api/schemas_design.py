"""The design chain as the API shows it: the latest wireframe and style guide, and where a
person can look at them as pages."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from sitegen.contracts.design import StyleGuide, Wireframe


class DesignLinks(BaseModel):
    """Pages showing the project's style guide and wireframe: on the preview host beside the
    current version of the site once one is deployed (each version keeps its own), else
    from the API (during plan sign-off). A link is null while there is nothing to show."""

    style_guide_url: str | None = None
    wireframe_url: str | None = None


class StyleGuideVersion(BaseModel):
    version: int = Field(ge=1)
    created_at: datetime | None = None
    style_guide: StyleGuide


class WireframeVersion(BaseModel):
    version: int = Field(ge=1)
    created_at: datetime | None = None
    wireframe: Wireframe


class DesignPublic(BaseModel):
    project_id: uuid.UUID
    style_guide: StyleGuideVersion | None = Field(
        default=None, description="The latest style guide; null before the plan has one."
    )
    wireframe: WireframeVersion | None = Field(
        default=None, description="The latest wireframe; null before the plan has one."
    )
    links: DesignLinks
