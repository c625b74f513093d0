"""What a client sees of the agency's records: its project and the pipeline's progress, not
the agency's workings (AI budgets and costs, run ids, repository, operators' notes, raw
errors). The agency's callers see everything."""

from __future__ import annotations

from sitegen.api.principal import Principal
from sitegen.api.schemas import PipelineStepPublic, ProjectPublic
from sitegen.contracts.status import RevisionSource

_PROJECT_INTERNALS = ("ai_budget_usd", "workflow_id", "run_id", "repo_url")
_STEP_INTERNALS = ("error_message", "output_ref", "details", "decision")


def project_for(caller: Principal, project: ProjectPublic) -> ProjectPublic:
    if caller.agency:
        return project
    return project.model_copy(update=dict.fromkeys(_PROJECT_INTERNALS))


def step_for(caller: Principal, step: PipelineStepPublic) -> PipelineStepPublic:
    if caller.agency:
        return step
    return step.model_copy(update=dict.fromkeys(_STEP_INTERNALS))


def signed_name(caller: Principal, name: str) -> str:
    """Who decided, as recorded: the name a client gives is marked as a client's, so nobody
    signs off a delivery in an operator's name."""
    return name if caller.agency else f"{name} (client)"[:255]


def revision_source(caller: Principal, asked: RevisionSource) -> RevisionSource:
    """A client's change is a client's, whatever the body says."""
    return asked if caller.agency else RevisionSource.CLIENT
