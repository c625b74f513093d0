"""A client's change request as the AI reads it, and the revised site it answers with.

The AI never acts: it returns the revised artifacts (spec, copy, layout) and the patch that
turns the repository's editable files into them, or a refusal with a reason the client can
read. The backend stores, gates, applies and builds what it returns.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from sitegen.contracts.site import (
    AIResult,
    CodePatch,
    Identifier,
    LayoutPlan,
    SiteContent,
    SiteSpec,
    Text,
    _Artifact,
)

# Long enough for a paragraph of new copy, short enough to stay out of the way of a prompt.
MESSAGE_MAX = 2000
RevisionMessage = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX)
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class RevisionAsk(_Artifact):
    """What the client asked for, in their words."""

    message: RevisionMessage
    # Pages the client says the change is about; empty means "let the AI find them".
    affected_pages: list[Identifier] = Field(default_factory=list, max_length=10)


class SiteRevision(_Artifact):
    """The AI's answer to a RevisionAsk.

    Accepted: `spec`, `content` and `layout` are the site after the change and `patch` turns
    the current editable files into them. Refused: `reason` says why, in the client's
    language, and the artifacts are the unchanged ones. At the plan stage (before any copy
    exists) `content`, `layout` and `patch` are None and only the spec changes.
    """

    accepted: bool
    reason: Reason | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    # One line per change made, e.g. "primary colour #0f5e7a → #1b2a4a".
    changes: list[Text] = Field(default_factory=list, max_length=20)
    spec: SiteSpec
    content: SiteContent | None = None
    layout: LayoutPlan | None = None
    patch: CodePatch | None = None
    # Pages whose files the patch touches (site-wide files are not pages).
    pages_touched: list[Identifier] = Field(default_factory=list, max_length=10)


class SiteRevisionResult(AIResult[SiteRevision]):
    pass
