"""Starting (or finding) the one generation run of a project."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from sitegen.api.delayed_start import run_priority, start_delay
from sitegen.api.schemas import GenerationStarted
from sitegen.contracts.pipeline import (
    WORKFLOW_NAME,
    GenerateSiteInput,
    ReviewTimers,
    workflow_id_for,
)
from sitegen.contracts.status import ProjectStatus
from sitegen.db.tables import Project
from sitegen.settings import Settings
from sitegen.temporal_ui import temporal_ui_url

# Operators filter runs by these in the Temporal UI; the workflow keeps the status current.
_KEYWORDS = {
    name: SearchAttributeKey.for_keyword(name)
    for name in ("ProjectStatus", "ProjectSlug", "CustomerId", "Template")
}


def search_attributes(project: Project) -> TypedSearchAttributes:
    values = {
        "ProjectStatus": ProjectStatus.PENDING.value,
        "ProjectSlug": project.slug,
        "CustomerId": str(project.customer_id),
        "Template": project.template_id,
    }
    return TypedSearchAttributes(
        [SearchAttributePair(_KEYWORDS[name], value) for name, value in values.items()]
    )


def run_summary(project: Project) -> tuple[str, str]:
    """What the Temporal UI shows for the run: one line, then details (Markdown). Names of
    businesses only, never a client's personal data."""
    summary = f"{project.name} · {project.template_id} · {project.slug}"
    details = "\n".join(
        [
            f"**{project.name}**",
            "",
            f"- project: `{project.id}`",
            f"- template: `{project.template_id}`",
            f"- slug: `{project.slug}`",
            f"- customer: `{project.customer_id}`",
            f"- plan sign-off: {'yes' if project.meta.get('plan_approval') else 'no'}",
            f"- priority: {project.priority}",
            *(
                [f"- starts at: {project.scheduled_start.isoformat()}"]
                if project.scheduled_start
                else []
            ),
        ]
    )
    return summary[:200], details


async def start_generation(
    client: Client, project: Project, settings: Settings, first_version: int = 1
) -> GenerationStarted:
    workflow_id = workflow_id_for(project.slug)
    try:
        summary, details = run_summary(project)
        handle = await client.start_workflow(
            WORKFLOW_NAME,
            GenerateSiteInput(
                project_id=project.id,
                slug=project.slug,
                customer_id=project.customer_id,
                template_id=project.template_id,
                max_fix_attempts=settings.max_fix_attempts,
                plan_approval=bool(project.meta.get("plan_approval")),
                review=ReviewTimers(
                    remind_client_after=timedelta(days=settings.review_reminder_days),
                    alert_workspace_after=timedelta(days=settings.review_escalation_days),
                ),
                history_limit=settings.workflow_history_limit,
                first_version=first_version,
                correction_check_after=timedelta(seconds=settings.correction_check_seconds),
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
            # A finished or cancelled run may be started again; a running one never twice.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=search_attributes(project),
            static_summary=summary,
            static_details=details,
            # A rush order is served first; an order asked to start later waits till then.
            priority=run_priority(project),
            start_delay=start_delay(project),
        )
        return GenerationStarted(
            project_id=project.id,
            workflow_id=workflow_id,
            run_id=handle.result_run_id,
            already_running=False,
            temporal_ui_url=temporal_ui_url(settings, workflow_id),
        )
    except WorkflowAlreadyStartedError:
        description = await client.get_workflow_handle(workflow_id).describe()
        return GenerationStarted(
            project_id=project.id,
            workflow_id=workflow_id,
            run_id=description.run_id,
            already_running=description.status == WorkflowExecutionStatus.RUNNING,
            temporal_ui_url=temporal_ui_url(settings, workflow_id),
        )
