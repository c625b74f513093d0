"""The onboarding form, checked and stored: the same for the agency's API and the client's
onboarding link."""

from __future__ import annotations

import contextlib
import uuid

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.deps import open_session
from sitegen.api.errors import Conflict, NotFound, Unavailable
from sitegen.api.messages import send_signal
from sitegen.api.schemas import OnboardingAccepted
from sitegen.api.temporal_link import TemporalLink
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.onboarding_check import (
    foreign_uploads,
    onboarding_problems,
    requested_subdomain,
    subdomain_taken,
)
from sitegen.contracts.pipeline import OnboardingCorrected
from sitegen.contracts.status import ProjectStatus
from sitegen.db import queries, tenancy
from sitegen.db.tables import Project
from sitegen.templates_registry import TemplateManifest

# The onboarding form may be replaced until generation starts; after that, changes are
# revisions of the preview.
ONBOARDING_OPEN = (ProjectStatus.PENDING, ProjectStatus.ONBOARDING)


async def checked_onboarding(
    session: AsyncSession,
    raw: object,
    template_id: str,
    prefix: str = "",
    project_id: uuid.UUID | None = None,
) -> Onboarding:
    """Every problem at once (form, template, pages, subdomain) in one 422, or the form."""
    row = await queries.get_template(session, template_id)
    manifest = TemplateManifest.model_validate(row.config) if row is not None else None
    problems, form = onboarding_problems(raw, manifest, template_id)
    # The subdomain is checked even when other fields are wrong, so one answer has it all.
    wanted = form.subdomain if form is not None else requested_subdomain(raw, problems)
    if wanted is not None and await queries.subdomain_taken(session, wanted, project_id):
        problems.append(subdomain_taken(wanted))
    if form is not None:
        problems += foreign_uploads(form, project_id)
    if problems or form is None:
        # Rooted where the client put the form (`onboarding.business.email` in an order).
        raise RequestValidationError(
            [
                {
                    "loc": (
                        "body",
                        *([prefix] if prefix and p.field != "template_id" else []),
                        *p.field.split("."),
                    ),
                    "msg": p.reason,
                }
                for p in problems
            ]
        )
    return form


async def store_onboarding(
    request: Request, scope: tenancy.Scope, project_id: uuid.UUID, raw: object
) -> tuple[OnboardingAccepted, Project]:
    """Store the form, checked in one pass (every problem at once); a run waiting for a
    correction is told at once. Once generation has started the form is closed."""
    async with open_session(request, scope) as session, session.begin():
        project = await queries.get_project_for_update(session, project_id)
        if project is None:
            raise NotFound("project")
        if project.status not in ONBOARDING_OPEN:
            raise Conflict(
                f"project is {project.status}: the onboarding closed when generation started; "
                "ask for changes as revisions of the preview",
                "onboarding",
            )
        form = await checked_onboarding(session, raw, project.template_id, "", project_id)
        submission = await queries.save_onboarding(
            session, project_id, form.model_dump(mode="json", exclude_none=True)
        )
        project.subdomain = form.subdomain
        if project.waiting_for == "onboarding correction":
            project.waiting_for = None  # corrected: being checked now, not waited for
        session.add(project)
        accepted = OnboardingAccepted(
            project_id=project_id,
            submission_id=submission.id,
            revision=submission.revision,
            workflow_notified=False,
        )
        waiting = project.status == ProjectStatus.ONBOARDING
    if waiting:
        # The run is told at once. If Temporal cannot be reached, the form is saved all
        # the same and the run finds it by itself: while it waits for a correction it also
        # looks at the stored form now and then, so a correction is never lost.
        link: TemporalLink = request.app.state.temporal
        with contextlib.suppress(Unavailable):
            accepted.workflow_notified = await send_signal(
                await link.client(),
                project,
                "onboarding_corrected",
                OnboardingCorrected(revision=accepted.revision),
            )
    return accepted, project
