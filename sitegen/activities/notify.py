"""Notifications go to an outbox table (one row per message, keyed so a retry is a no-op);
a sender delivers them. Recipients are looked up here, so no address crosses Temporal."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlmodel import col, select
from temporalio import activity

from sitegen.activities.support import Sessions, StepTracker, bad_input
from sitegen.contracts.activities import AttentionNeeded, NotifyInput, NotifyOutcome, ProjectRef
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.review_activities import Notice
from sitegen.db import queries
from sitegen.db.tables import Customer, Project
from sitegen.failpoints import AFTER_NOTIFICATION, failpoint

log = structlog.get_logger()


class NotifyActivities:
    def __init__(self, sessions: Sessions, workspace_recipient: str) -> None:
        self.sessions = sessions
        self.workspace_recipient = workspace_recipient
        self.steps = StepTracker(sessions)

    async def _customer(self, project_id: uuid.UUID) -> tuple[Project, Customer]:
        async with self.sessions() as session:
            row = (
                await session.exec(
                    select(Project, Customer)
                    .join(Customer, col(Customer.id) == col(Project.customer_id))
                    .where(col(Project.id) == project_id)
                )
            ).first()
        if row is None:
            raise bad_input("ProjectNotFound", f"project {project_id} does not exist")
        return row

    async def _enqueue(
        self, project: ProjectRef, key: str, recipient: str, kind: str, payload: dict[str, Any]
    ) -> NotifyOutcome:
        async with self.sessions() as session, session.begin():
            created_id, created = await queries.queue_notification(
                session,
                project_id=project.project_id,
                key=key,
                recipient=recipient,
                kind=kind,
                payload=payload,
            )
        if not created:
            return NotifyOutcome(notification_id=created_id, created=False)
        log.info("notification.queued", kind=kind, notification_id=str(created_id))
        failpoint(AFTER_NOTIFICATION)
        return NotifyOutcome(notification_id=created_id, created=True)

    @activity.defn
    async def notify_client(self, note: NotifyInput) -> NotifyOutcome:
        async with self.steps.track(note.project.project_id, StepKey.NOTIFY_CLIENT) as run:
            project, customer = await self._customer(note.project.project_id)
            outcome = await self._enqueue(
                note.project,
                note.project.key(StepKey.NOTIFY_CLIENT),
                customer.email,
                "preview_ready",
                {
                    "project": project.name,
                    "customer_name": customer.name,
                    "preview_url": note.preview_url,
                    "missing_assets": [f.alt for f in note.asset_failures],
                },
            )
            run.output_ref = str(outcome.notification_id)
            return outcome

    @activity.defn
    async def notify_workspace(self, note: NotifyInput) -> NotifyOutcome:
        async with self.steps.track(note.project.project_id, StepKey.NOTIFY_WORKSPACE) as run:
            project, _ = await self._customer(note.project.project_id)
            outcome = await self._enqueue(
                note.project,
                note.project.key(StepKey.NOTIFY_WORKSPACE),
                self.workspace_recipient,
                "preview_ready",
                {
                    "project": project.name,
                    "slug": project.slug,
                    "preview_url": note.preview_url,
                    "asset_failures": [f.model_dump() for f in note.asset_failures],
                },
            )
            run.output_ref = str(outcome.notification_id)
            return outcome

    @activity.defn
    async def notify(self, notice: Notice) -> NotifyOutcome:
        """A moment in the project's life (revision applied, reminder, delivered...)."""
        project, customer = await self._customer(notice.project.project_id)
        client = notice.audience == "client"
        payload: dict[str, Any] = {
            "project": project.name,
            **({"customer_name": customer.name} if client else {"slug": project.slug}),
            **notice.data,
        }
        return await self._enqueue(
            notice.project,
            notice.key,
            customer.email if client else self.workspace_recipient,
            notice.kind,
            payload,
        )

    @activity.defn
    async def notify_attention(self, alert: AttentionNeeded) -> NotifyOutcome:
        """A step failed for good: a human decides (retry, skip or abort)."""
        project, _ = await self._customer(alert.project.project_id)
        return await self._enqueue(
            alert.project,
            alert.project.key(alert.step, "attention", alert.occurrence),
            self.workspace_recipient,
            "needs_attention",
            {
                "project": project.name,
                "slug": project.slug,
                "step": alert.step.value,
                "error": alert.error[:2000],
                "workflow_id": alert.project.workflow_id,
            },
        )
