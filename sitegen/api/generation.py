"""Starting (or finding) the one generation run of a project."""

from __future__ import annotations

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from sitegen.api.schemas import GenerationStarted
from sitegen.contracts.pipeline import WORKFLOW_NAME, GenerateSiteInput, workflow_id_for
from sitegen.db.tables import Project
from sitegen.settings import Settings


def temporal_ui_url(settings: Settings, workflow_id: str) -> str:
    return (
        f"http://localhost:{settings.temporal_ui_port}/namespaces/"
        f"{settings.temporal_namespace}/workflows/{workflow_id}"
    )


async def start_generation(
    client: Client, project: Project, settings: Settings
) -> GenerationStarted:
    workflow_id = workflow_id_for(project.slug)
    try:
        handle = await client.start_workflow(
            WORKFLOW_NAME,
            GenerateSiteInput(
                project_id=project.id,
                slug=project.slug,
                customer_id=project.customer_id,
                template_id=project.template_id,
                max_fix_attempts=settings.max_fix_attempts,
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
            # A finished or cancelled run may be started again; a running one never twice.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
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
