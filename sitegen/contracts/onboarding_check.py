"""One validation of an onboarding form, shared by the API and the pipeline, that finds every
problem at once (form fields, template, pages) in one shape: a field path and a reason."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import ValidationError

from sitegen.contracts.activities import FieldError
from sitegen.contracts.onboarding import Onboarding
from sitegen.templates_registry import TemplateManifest


def field_path(*parts: object) -> str:
    """Dotted path of a field, as every error of ours names it: `services.0.name`."""
    return ".".join(str(p) for p in parts if p != "") or "onboarding"


def form_problems(raw: Any) -> tuple[list[FieldError], Onboarding | None]:
    """The form's own rules (pydantic), every error, never echoing the rejected value."""
    try:
        return [], Onboarding.model_validate(raw)
    except ValidationError as exc:
        return [_field_error(e["loc"], e["msg"]) for e in exc.errors(include_input=False)], None


# A rule across fields names the innermost field in its message: 'projects.2.image: ...'.
_NAMED = re.compile(r"^Value error, ([a-z_]+(?:\.[a-z0-9_]+)+): (.+)$")


def _field_error(loc: tuple[int | str, ...], msg: str) -> FieldError:
    named = _NAMED.match(msg)
    if named and named.group(1).split(".")[0] == str(loc[-1] if loc else ""):
        return FieldError(field=named.group(1), reason=named.group(2))
    return FieldError(field=field_path(*loc), reason=msg)


def page_problems(raw: Any, template: TemplateManifest) -> list[FieldError]:
    """Pages the template does not offer, or that need lists the form leaves empty. Checked
    on the raw form, so a form with other
    errors still hears about its pages in the same answer."""
    pages = raw.get("pages") if isinstance(raw, dict) else None
    if not isinstance(pages, list):
        return []
    offered = template.page_ids
    problems = []
    for i, page in enumerate(pages):
        if not isinstance(page, str):
            continue
        found = template.page(page)
        if found is None:
            problems.append(
                FieldError(
                    field=field_path("pages", i),
                    reason=f"'{page}' is not a page of template '{template.id}' "
                    f"(offered: {', '.join(sorted(offered))})",
                )
            )
            continue
        # A page with nothing to show (pricing without plans) is refused, not left empty.
        problems += [
            FieldError(
                field=field_path("pages", i),
                reason=f"page '{page}' needs at least one entry in '{need}'"
                if need != "case_studies"
                else f"page '{page}' needs a project with a challenge, approach or outcome",
            )
            for need in found.needs
            if not _has(raw, need)
        ]
    return problems


def _has(raw: dict[str, Any], need: str) -> bool:
    if need == "case_studies":  # a project told at length: its challenge, approach or outcome
        projects = raw.get("projects")
        return isinstance(projects, list) and any(
            isinstance(p, dict) and any(p.get(k) for k in ("challenge", "approach", "outcome"))
            for p in projects
        )
    return bool(raw.get(need))


def requested_subdomain(raw: Any, problems: list[FieldError]) -> str | None:
    """The subdomain a form asks for when the form as a whole did not validate: still worth
    checking for availability, unless the subdomain itself is what is wrong."""
    value = raw.get("subdomain") if isinstance(raw, dict) else None
    if not isinstance(value, str) or any(p.field == "subdomain" for p in problems):
        return None
    return value.strip().lower()


def subdomain_taken(subdomain: str) -> FieldError:
    return FieldError(
        field="subdomain", reason=f"'{subdomain}' is already used by another site; choose another"
    )


def onboarding_problems(
    raw: Any, template: TemplateManifest | None, template_id: str
) -> tuple[list[FieldError], Onboarding | None]:
    """Every problem of the form against its template (the subdomain's availability needs
    the database; callers add `subdomain_taken` themselves)."""
    problems, form = form_problems(raw)
    if template is None:
        problems.append(
            FieldError(field="template_id", reason=f"template '{template_id}' is not installed")
        )
    else:
        problems += page_problems(raw, template)
    return problems, (form if not problems else None)


def upload_prefix(project_id: uuid.UUID) -> str:
    """Where a project's uploaded images are stored: the only keys its form may name."""
    return f"uploads/{project_id}/"


def foreign_uploads(form: Onboarding, project_id: uuid.UUID | None) -> list[FieldError]:
    """Assets named by storage key that are not this project's uploads (another client's
    logo, a site's artifacts): refused, so no form can read what is not its own."""
    return [
        FieldError(
            field=field_path("assets", i, "storage_key"),
            reason="not an image uploaded to this project (upload it with POST .../assets)",
        )
        for i, asset in enumerate(form.assets)
        if asset.storage_key is not None
        and (project_id is None or not asset.storage_key.startswith(upload_prefix(project_id)))
    ]
