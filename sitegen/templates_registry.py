"""Built-in site templates: each is a real template repo described by `template.toml`.

The manifest is the contract between the template and the pipeline: which pages and
sections it offers (the AI may only plan with these), which files an AI patch may touch,
and how to build it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from sitegen.contracts.ai_roles import AIRoleOverride, AIStep
from sitegen.contracts.patches import matches_any, safe_repo_path

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
MANIFEST_NAME = "template.toml"


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplatePage(_Manifest):
    id: Identifier
    required: bool = False
    # Default section order for this page; the layout plan may drop or reorder them.
    sections: list[Identifier] = Field(min_length=1, max_length=12)
    # Onboarding lists this page cannot do without (a pricing page needs `plans`).
    needs: list[Literal["plans", "projects", "case_studies", "testimonials"]] = Field(
        default_factory=list, max_length=4
    )


class TemplateSection(_Manifest):
    id: Identifier
    description: str = Field(default="", max_length=300)
    variants: list[Identifier] = Field(min_length=1, max_length=8)


class TemplateManifest(_Manifest):
    id: Identifier
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=500)
    version: str = Field(default="1", max_length=20)
    pages: list[TemplatePage] = Field(min_length=1, max_length=20)
    sections: list[TemplateSection] = Field(min_length=1, max_length=40)
    editable_files: list[str] = Field(min_length=1, max_length=50)
    build_command: list[str] = Field(min_length=1, max_length=20)
    output_dir: str = Field(default="dist", pattern=r"^[A-Za-z0-9._-]+$")
    # Where the pipeline drops downloaded assets (the logo as `logo.<ext>`).
    assets_dir: str = Field(default="public/assets", pattern=r"^[A-Za-z0-9._/-]+$")
    # The schema.org type the site's structured data describes.
    schema_type: str = Field(default="LocalBusiness", pattern=r"^[A-Z][A-Za-z]{2,40}$")
    # Optional `[ai.<step>]` tables: this template's own role for an AI step (model, max
    # tokens, persona, effort), over the settings' (sitegen/contracts/ai_roles.py).
    ai: dict[AIStep, AIRoleOverride] = Field(default_factory=dict)

    @field_validator("editable_files")
    @classmethod
    def _relative_globs(cls, globs: list[str]) -> list[str]:
        for glob in globs:
            if not safe_repo_path(glob.replace("*", "x").replace("?", "x")):
                raise ValueError(f"editable glob must be a relative path: {glob!r}")
        return globs

    def page(self, page_id: str) -> TemplatePage | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def section(self, section_id: str) -> TemplateSection | None:
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def page_ids(self) -> list[str]:
        return [p.id for p in self.pages]


class TemplateNotFoundError(LookupError):
    pass


def load_template(templates_dir: Path, template_id: str) -> TemplateManifest:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", template_id):
        raise TemplateNotFoundError(f"invalid template id {template_id!r}")
    path = templates_dir / template_id / MANIFEST_NAME
    if not path.is_file():
        raise TemplateNotFoundError(f"no template {template_id!r} in {templates_dir}")
    with path.open("rb") as fh:
        manifest = TemplateManifest.model_validate(tomllib.load(fh))
    if manifest.id != template_id:
        raise ValueError(f"{path}: id {manifest.id!r} does not match its directory")
    return manifest


def list_templates(templates_dir: Path) -> list[TemplateManifest]:
    return [
        load_template(templates_dir, child.name)
        for child in sorted(templates_dir.iterdir())
        if (child / MANIFEST_NAME).is_file()
    ]


def is_editable(manifest: TemplateManifest, path: str) -> bool:
    """True when an AI patch may touch `path` (a repo-relative POSIX path)."""
    return safe_repo_path(path) and matches_any(path, manifest.editable_files)
