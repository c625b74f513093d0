"""The design chain between the sitemap and the code (seed 004): a wireframe (each page's
sections, in order, with what each is for) and a style guide (palette with its checked text
pairs, type, spacing, radii, components, breakpoints). Both are versioned artifacts: the
wireframe follows the sitemap's versions, the style guide the spec's."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from sitegen.contracts.site import (
    DesignTokens,
    FontStack,
    HexColour,
    Identifier,
    Label,
    Text,
    _Artifact,
)

# WCAG 2.1 AA: normal text 4.5:1; large text and interface parts 3:1.
AA_TEXT = 4.5
AA_LARGE = 3.0

CssLength = Annotated[str, StringConstraints(pattern=r"^[0-9.]+(rem|px|em)$|^clamp\([^;{}]+\)$")]


class WireframeSection(_Artifact):
    section: Identifier
    # What the section is for on the page, from the template's own description of it.
    purpose: Text


class WireframePage(_Artifact):
    page_id: Identifier
    path: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}\.html$")]
    title: Label
    nav_label: Label
    sections: list[WireframeSection] = Field(min_length=1, max_length=12)


class Wireframe(_Artifact):
    template_id: Identifier
    pages: list[WireframePage] = Field(min_length=1, max_length=10)


class Swatch(_Artifact):
    role: Identifier
    hex: HexColour
    # Where it comes from: the client's brand colour, or derived from one so text reads.
    note: Text


class ContrastPair(_Artifact):
    foreground: Identifier
    background: Identifier
    ratio: float = Field(ge=1, le=21)
    # The WCAG threshold this pair is used at (4.5 for text, 3 for large text and focus).
    required: float = Field(ge=1, le=21)

    @property
    def passes(self) -> bool:
        return self.ratio >= self.required


class TypeStep(_Artifact):
    name: Identifier
    size: CssLength
    font: FontStack
    weight: int = Field(ge=100, le=900)


class Token(_Artifact):
    name: Identifier
    value: CssLength


class ComponentStyle(_Artifact):
    component: Identifier
    background: Identifier
    foreground: Identifier
    radius: Identifier
    note: Text


class Breakpoint(_Artifact):
    name: Identifier
    min_width: CssLength


class StyleGuide(_Artifact):
    """What the build's theme is made of. `brand` is the spec's tokens it came from: the build
    gets those and derives the rest with the same sums, and a revert of the style guide is a
    revert of them."""

    palette: list[Swatch] = Field(min_length=1, max_length=30)
    pairs: list[ContrastPair] = Field(min_length=1, max_length=30)
    typography: list[TypeStep] = Field(min_length=1, max_length=12)
    spacing: list[Token] = Field(min_length=1, max_length=12)
    radii: list[Token] = Field(min_length=1, max_length=6)
    components: list[ComponentStyle] = Field(min_length=1, max_length=12)
    breakpoints: list[Breakpoint] = Field(min_length=1, max_length=6)
    brand: DesignTokens

    def colour(self, role: str) -> str:
        return next(s.hex for s in self.palette if s.role == role)


class HistoryArtifact(StrEnum):
    """What `version_history` follows: the artifacts a client or an operator may want back."""

    SPEC = "spec"
    SITEMAP = "sitemap"
    WIREFRAME = "wireframe"
    STYLE_GUIDE = "style_guide"
    CONTENT = "content"


class HistoryNote(BaseModel):
    """Who made a change and why, carried by the activity that stores the new version."""

    author: Annotated[str, StringConstraints(min_length=1, max_length=255)] = "ai"
    message: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class HistoryEntry(BaseModel):
    version: int = Field(ge=1, description="this project's history number")
    artifact: HistoryArtifact
    artifact_version: int = Field(ge=1)
    author: str
    message: str
    diff: str = Field(description="unified diff from the previous version of this artifact")
    reverted_from: int | None = None
    created_at: datetime


class RevertTarget(BaseModel):
    """A change that puts an artifact back as it was at a history entry (a new version)."""

    history_version: int = Field(ge=1)
    artifact: HistoryArtifact
    artifact_version: int = Field(ge=1)
    storage_key: Annotated[str, StringConstraints(min_length=1, max_length=500)]
