"""Reads and writes the API and activities share; each takes the session it runs in."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import (
    Artifact,
    Customer,
    CustomerOrder,
    Notification,
    OnboardingSubmission,
    PipelineStep,
    Project,
    RevisionRequest,
    SiteVersion,
    TemplateRegistry,
)


async def upsert_customer(
    session: AsyncSession, *, name: str, email: str, phone: str | None, external_ref: str | None
) -> uuid.UUID:
    """Find-or-create by email in one statement, so two orders racing don't collide."""
    stmt = (
        insert(Customer)
        .values(
            id=uuid.uuid4(), name=name, email=email.lower(), phone=phone, external_ref=external_ref
        )
        # A no-op update so RETURNING gives the existing row; the stored name is kept
        # (a later order must not silently rename a customer).
        .on_conflict_do_update(index_elements=["email"], set_={"email": email.lower()})
        .returning(col(Customer.id))
    )
    result = await session.execute(stmt)
    return uuid.UUID(str(result.scalar_one()))


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    result = await session.exec(select(Project.id).where(Project.slug == slug))
    return result.first() is not None


async def unique_slug(session: AsyncSession, base: str) -> str:
    """`base`, or `base-2`, `base-3`...: the first one free. The unique index is the
    final word; a race here surfaces as a 409."""
    # Until this transaction ends, requests deriving from the same base wait their turn, so
    # two projects with one name at the same moment get `base` and `base-2`, not a 409.
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(base))))
    candidate = base
    for n in range(2, 1000):
        if not await slug_taken(session, candidate):
            return candidate
        suffix = f"-{n}"
        candidate = base[: 50 - len(suffix)] + suffix
    raise RuntimeError("no free slug")


async def subdomain_taken(
    session: AsyncSession, subdomain: str, project_id: uuid.UUID | None = None
) -> bool:
    """Another project has claimed this subdomain."""
    query = select(Project.id).where(Project.subdomain == subdomain)
    if project_id is not None:
        query = query.where(Project.id != project_id)
    return (await session.exec(query)).first() is not None


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return await session.get(Project, project_id)


async def get_project_for_update(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    # populate_existing: the locked row's values, not those of an earlier read in the session.
    query = (
        select(Project)
        .where(Project.id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def get_onboarding(
    session: AsyncSession, project_id: uuid.UUID
) -> OnboardingSubmission | None:
    result = await session.exec(
        select(OnboardingSubmission).where(OnboardingSubmission.project_id == project_id)
    )
    return result.first()


async def save_onboarding(
    session: AsyncSession, project_id: uuid.UUID, raw_data: dict[str, Any]
) -> OnboardingSubmission:
    """Store the form (replacing an earlier one, revision + 1). Validity is decided by the
    pipeline's validate_onboarding step, which also fills validation_errors."""
    existing = await get_onboarding(session, project_id)
    if existing is None:
        submission = OnboardingSubmission(project_id=project_id, raw_data=raw_data)
        session.add(submission)
    else:
        existing.raw_data = raw_data
        existing.revision += 1
        existing.is_valid = False
        existing.validation_errors = []
        submission = existing
        session.add(existing)
    await session.flush()
    return submission


async def pipeline_steps(session: AsyncSession, project_id: uuid.UUID) -> list[PipelineStep]:
    result = await session.exec(
        select(PipelineStep)
        .where(PipelineStep.project_id == project_id)
        .order_by(col(PipelineStep.step_order))
    )
    return list(result.all())


async def active_templates(session: AsyncSession) -> list[TemplateRegistry]:
    result = await session.exec(
        select(TemplateRegistry)
        .where(col(TemplateRegistry.is_active).is_(True))
        .order_by(col(TemplateRegistry.id))
    )
    return list(result.all())


async def get_template(session: AsyncSession, template_id: str) -> TemplateRegistry | None:
    template = await session.get(TemplateRegistry, template_id)
    return template if template is not None and template.is_active else None


async def project_for_order(session: AsyncSession, reference: str) -> Project | None:
    result = await session.exec(
        select(Project)
        .join(CustomerOrder, col(CustomerOrder.id) == col(Project.order_id))
        .where(CustomerOrder.external_ref == reference)
    )
    return result.first()


async def order_by_ref(session: AsyncSession, reference: str) -> CustomerOrder | None:
    result = await session.exec(
        select(CustomerOrder).where(CustomerOrder.external_ref == reference)
    )
    return result.first()


async def revisions(session: AsyncSession, project_id: uuid.UUID) -> list[RevisionRequest]:
    result = await session.exec(
        select(RevisionRequest)
        .where(RevisionRequest.project_id == project_id)
        .order_by(col(RevisionRequest.created_at), col(RevisionRequest.id))
    )
    return list(result.all())


async def get_revision(
    session: AsyncSession, project_id: uuid.UUID, revision_id: uuid.UUID
) -> RevisionRequest | None:
    revision = await session.get(RevisionRequest, revision_id)
    return revision if revision is not None and revision.project_id == project_id else None


async def next_version_number(session: AsyncSession, project_id: uuid.UUID) -> int:
    """Versions count on across generations of a project: never two with one number."""
    result = await session.exec(
        select(func.max(SiteVersion.number)).where(SiteVersion.project_id == project_id)
    )
    return int(result.one() or 0) + 1


async def site_versions(session: AsyncSession, project_id: uuid.UUID) -> list[SiteVersion]:
    result = await session.exec(
        select(SiteVersion)
        .where(SiteVersion.project_id == project_id)
        .order_by(col(SiteVersion.number))
    )
    return list(result.all())


async def artifacts_of(
    session: AsyncSession, project_id: uuid.UUID, kind: ArtifactType
) -> list[Artifact]:
    """Every version of one kind of artifact, oldest first."""
    result = await session.exec(
        select(Artifact)
        .where(Artifact.project_id == project_id)
        .where(Artifact.type == kind)
        .order_by(col(Artifact.version))
    )
    return list(result.all())


async def latest_artifact(
    session: AsyncSession, project_id: uuid.UUID, kind: ArtifactType, version: int | None = None
) -> Artifact | None:
    """The newest version of an artifact, or the one numbered `version`."""
    query = select(Artifact).where(Artifact.project_id == project_id).where(Artifact.type == kind)
    if version is not None:
        query = query.where(Artifact.version == version)
    result = await session.exec(query.order_by(col(Artifact.version).desc()).limit(1))
    return result.first()


async def list_projects(
    session: AsyncSession,
    *,
    slug: str | None,
    status: str | None,
    limit: int,
    search: str | None = None,
) -> list[Project]:
    query = select(Project).order_by(col(Project.created_at).desc()).limit(limit)
    if slug is not None:
        query = query.where(Project.slug == slug)
    if search:
        # A literal substring of the name or the slug: the caller's % and _ match themselves.
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            col(Project.name).ilike(pattern, escape="\\")
            | col(Project.slug).ilike(pattern, escape="\\")
        )
    if status is not None:
        query = query.where(Project.status == status)
    return list((await session.exec(query)).all())


async def queue_notification(
    session: AsyncSession,
    *,
    project_id: uuid.UUID,
    key: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
) -> tuple[uuid.UUID, bool]:
    """One outbox row per idempotency key, in the caller's transaction: (its id, whether this
    call made it). The sender delivers it."""
    stmt = (
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            project_id=project_id,
            idempotency_key=key,
            recipient=recipient,
            kind=kind,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(Notification.id))
    )
    created_id = (await session.execute(stmt)).scalar_one_or_none()
    if created_id is not None:
        return created_id, True
    existing = await session.exec(
        select(Notification.id).where(Notification.idempotency_key == key)
    )
    return existing.one(), False
