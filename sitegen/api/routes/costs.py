"""What a project's AI calls cost against its budget, and raising the budget (an operator,
when a project stopped at it; then retry the step)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from fastapi import APIRouter
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.deps import SessionDep, SettingsDep, project_or_404
from sitegen.api.schemas import BudgetChange, CostLine, ProjectCosts
from sitegen.db import queries
from sitegen.db.costs import CostGroup, project_costs
from sitegen.db.tables import Project

router = APIRouter(tags=["costs"])
log = structlog.get_logger()


def _line(group: CostGroup) -> CostLine:
    return CostLine(**vars(group))


async def _costs(session: AsyncSession, project: Project, default: Decimal) -> ProjectCosts:
    totals = await project_costs(session, project.id)
    budget = project.ai_budget_usd or default
    return ProjectCosts(
        project_id=project.id,
        budget_usd=budget,
        budget_is_default=project.ai_budget_usd is None,
        spent_usd=totals.spent_usd,
        reserved_usd=totals.committed_usd - totals.spent_usd,
        remaining_usd=max(budget - totals.committed_usd, Decimal(0)),
        calls=totals.calls,
        failed_calls=totals.failed_calls,
        by_step=[_line(g) for g in totals.by_step],
        by_revision=[_line(g) for g in totals.by_revision],
    )


@router.get(
    "/projects/{project_id}/costs",
    response_model=ProjectCosts,
    responses={404: {"description": "Unknown project"}},
)
async def get_costs(
    project_id: uuid.UUID, session: SessionDep, settings: SettingsDep
) -> ProjectCosts:
    """Every AI call's tokens and cost, totalled per pipeline step and per revision (None:
    the first generation and plan changes), against the project's budget."""
    project = await project_or_404(session, project_id)
    return await _costs(session, project, settings.ai_budget_usd)


@router.put(
    "/projects/{project_id}/budget",
    response_model=ProjectCosts,
    responses={404: {"description": "Unknown project"}, 422: {"description": "Invalid budget"}},
)
async def set_budget(
    project_id: uuid.UUID, body: BudgetChange, session: SessionDep, settings: SettingsDep
) -> ProjectCosts:
    """Set the project's AI budget (USD). A step stopped at the old one is then retried with
    POST /projects/{id}/steps/{step}/retry."""
    await project_or_404(session, project_id)
    # Locked: `meta` is rewritten whole, and other writers (an approval's record) add to it.
    project = await queries.get_project_for_update(session, project_id)
    assert project is not None  # projects are never deleted
    changes = list(project.meta.get("budget_changes", []))[-49:]
    changes.append(
        {
            "at": datetime.now(UTC).isoformat(),
            "by": body.decided_by,
            "from": None if project.ai_budget_usd is None else str(project.ai_budget_usd),
            "to": str(body.ai_budget_usd),
        }
    )
    project.ai_budget_usd = body.ai_budget_usd
    project.meta = {**project.meta, "budget_changes": changes}
    session.add(project)
    await session.commit()
    await session.refresh(project)
    log.info("project.budget_changed", project_id=str(project.id), budget=str(body.ai_budget_usd))
    return await _costs(session, project, settings.ai_budget_usd)
