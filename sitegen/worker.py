"""The worker: builds every client once, registers the workflow and its activities, runs.

`python -m sitegen.worker` is what `sitegen dev` starts; tests build the same Worker with
`build_worker` and their own clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from sitegen.activities.ai import AIActivities
from sitegen.activities.ai_ledger import PostgresLedger
from sitegen.activities.ai_retention import RetentionActivities
from sitegen.activities.build import BuildActivities
from sitegen.activities.cleanup import CleanupActivities
from sitegen.activities.conversation import ConversationActivities
from sitegen.activities.deploy import DeployActivities
from sitegen.activities.log_context import ActivityLogContext
from sitegen.activities.notify import NotifyActivities
from sitegen.activities.outbox import Backoff, OutboxActivities
from sitegen.activities.project import ProjectActivities
from sitegen.activities.repo import RepoActivities
from sitegen.activities.review import ReviewActivities
from sitegen.activities.revisions import RevisionActivities
from sitegen.activities.support import Sessions
from sitegen.cleanup_schedule import ensure_cleanup_schedule_or_warn
from sitegen.config_secrets import ConfigCipher
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.integration_config import settings_with_stored_config
from sitegen.db.personas import PersonaStore
from sitegen.integrations import providers
from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.ai.personas import make_persona_ai
from sitegen.integrations.assets.fetcher import AssetFetcher
from sitegen.integrations.browser.screenshots import Screenshotter
from sitegen.integrations.build.runner import BuildRunner
from sitegen.integrations.git.base import GitHost
from sitegen.integrations.hosting.base import Hosting
from sitegen.integrations.hosting.preview_sweep import make_preview_sweeper
from sitegen.integrations.notify.router import Outbound, make_outbound
from sitegen.integrations.storage.base import Storage
from sitegen.logging import configure_logging
from sitegen.observability.temporal_runtime import serve_sdk_metrics
from sitegen.outbox import ensure_outbox_sender
from sitegen.settings import Settings, get_settings
from sitegen.temporal_client import connect, connect_options
from sitegen.workflows.cleanup import CleanupWorkflow
from sitegen.workflows.conversation import ConversationWorkflow
from sitegen.workflows.outbox import OutboxSenderWorkflow
from sitegen.workflows.site_generation import SiteGenerationWorkflow

log = structlog.get_logger()


@dataclass
class Clients:
    """The outside world, each behind its port; chosen by settings (see `build_clients`)."""

    sessions: Sessions
    storage: Storage
    git: GitHost
    hosting: Hosting
    ai: SiteAI
    fetcher: AssetFetcher
    runner: BuildRunner
    browser: Screenshotter
    outbound: Outbound


def build_clients(settings: Settings, engine: AsyncEngine) -> Clients:
    sessions = make_sessionmaker(engine)
    ledger = PostgresLedger(
        sessions, settings.ai_budget_usd, calls_per_hour=settings.rate_ai_calls_per_project_hour
    )
    # Each AI call runs with its project's persona for the step (order > template > default).
    personas = PersonaStore(sessions, ConfigCipher.from_settings(settings))
    return Clients(
        sessions=sessions,
        storage=providers.make_storage(settings),
        git=providers.make_git(settings),
        hosting=providers.make_hosting(settings),
        ai=make_persona_ai(settings, providers.make_ai(settings, ledger), personas, ledger),
        fetcher=AssetFetcher(
            settings.asset_max_bytes,
            settings.asset_timeout_seconds,
            settings.asset_allow_private_hosts,
            allow_any_port=settings.asset_allow_any_port,
        ),
        runner=BuildRunner(
            timeout_seconds=settings.build_timeout_seconds,
            memory_mb=settings.build_memory_mb,
            max_processes=settings.build_max_processes,
            use_bwrap=None if settings.build_allow_unsandboxed else True,
        ),
        # In the same sandbox as builds, under the same rule for where none can run.
        browser=Screenshotter(
            settings.chromium,
            settings.work_root / "screenshots",
            timeout_seconds=settings.screenshot_timeout_seconds,
            use_bwrap=None if settings.build_allow_unsandboxed else True,
        ),
        outbound=make_outbound(settings),
    )


@dataclass
class Activities:
    """Every activity class, built once on the same clients; the worker registers their
    methods, and the benchmark's direct baseline calls the very same objects."""

    project: ProjectActivities
    ai: AIActivities
    repo: RepoActivities
    build: BuildActivities
    deploy: DeployActivities
    notify: NotifyActivities
    revisions: RevisionActivities
    review: ReviewActivities
    outbox: OutboxActivities
    retention: RetentionActivities
    cleanup: CleanupActivities
    conversation: ConversationActivities


def make_activities(clients: Clients, settings: Settings) -> Activities:
    templates = settings.templates_dir
    work = settings.work_root
    return Activities(
        project=ProjectActivities(clients.sessions, clients.storage, clients.fetcher, templates),
        ai=AIActivities(clients.sessions, clients.storage, clients.ai, clients.git, templates),
        repo=RepoActivities(clients.sessions, clients.git, clients.storage, templates),
        build=BuildActivities(
            clients.sessions,
            clients.git,
            clients.storage,
            clients.runner,
            templates,
            work,
            clients.browser,
            concurrency=settings.build_concurrency,
        ),
        deploy=DeployActivities(
            clients.sessions, clients.storage, clients.hosting, work, templates
        ),
        notify=NotifyActivities(clients.sessions, settings.workspace_notify_recipient),
        revisions=RevisionActivities(
            clients.sessions, clients.storage, clients.ai, clients.git, templates
        ),
        review=ReviewActivities(clients.sessions),
        outbox=OutboxActivities(
            clients.sessions,
            clients.outbound,
            Backoff(
                settings.notify_retry_base_seconds,
                settings.notify_retry_max_seconds,
                settings.notify_max_attempts,
            ),
        ),
        retention=RetentionActivities(clients.sessions, settings.ai_response_retention_days),
        cleanup=CleanupActivities(clients.sessions, make_preview_sweeper(settings), work),
        conversation=ConversationActivities(clients.sessions, clients.ai, templates),
    )


def build_worker(client: Client, clients: Clients, settings: Settings, task_queue: str) -> Worker:
    acts = make_activities(clients, settings)
    project, ai, repo, build = acts.project, acts.ai, acts.repo, acts.build
    deploy, notify, revisions, review = acts.deploy, acts.notify, acts.revisions, acts.review
    outbox, retention, cleanup = acts.outbox, acts.retention, acts.cleanup
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            SiteGenerationWorkflow,
            OutboxSenderWorkflow,
            CleanupWorkflow,
            ConversationWorkflow,
        ],
        activities=[
            project.validate_onboarding,
            project.download_assets,
            project.set_status,
            project.onboarding_revision,
            project.mark_step,
            project.start_pipeline,
            ai.create_site_spec,
            ai.generate_brief,
            ai.generate_sitemap,
            ai.generate_content,
            ai.generate_layout_plan,
            ai.generate_code_patch,
            ai.generate_fix_patch,
            repo.provision_repository,
            repo.setup_project_structure,
            repo.apply_patch,
            repo.restore_version,
            repo.merge_to_main,
            build.build_and_test,
            deploy.deploy_preview,
            deploy.provision_subdomain,
            deploy.deploy_production,
            deploy.take_down_preview,
            notify.notify_client,
            notify.notify_workspace,
            notify.notify_attention,
            notify.notify,
            revisions.generate_revision_patch,
            revisions.revise_plan,
            review.record_revision,
            review.mark_revisions,
            review.record_decision,
            review.record_approval,
            outbox.claim_due_notifications,
            outbox.send_notification,
            retention.sweep_ai_responses,
            cleanup.start_cleanup_run,
            cleanup.finish_cleanup_run,
            cleanup.remove_cancelled_previews,
            cleanup.remove_old_build_dirs,
            cleanup.remove_abandoned_conversations,
            acts.conversation.converse,
            acts.conversation.load_state,
            acts.conversation.record_phase,
        ],
        max_concurrent_activities=20,
        graceful_shutdown_timeout=timedelta(seconds=10),
        # Every activity's log lines name its project, workflow and step.
        interceptors=[ActivityLogContext()],
    )


async def run_worker(settings: Settings) -> None:
    if settings.database_url is None:
        raise SystemExit("SITEGEN_DATABASE_URL is not set (`sitegen dev` sets it)")
    if settings.worker_metrics_address:
        # Before the client connects: it takes the process's default runtime.
        serve_sdk_metrics(settings.worker_metrics_address)
        log.info("worker.metrics", address=settings.worker_metrics_address)
    connect_options(settings)  # Temporal's TLS settings and files, before anything starts
    engine = make_engine(settings.database_url.get_secret_value(), pool_size=10)
    settings = await settings_with_stored_config(settings, engine)
    client = await connect(settings)
    clients = build_clients(settings, engine)
    worker = build_worker(client, clients, settings, settings.task_queue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker.started", task_queue=settings.task_queue)
    async with worker:
        if settings.notify_sender:
            await ensure_outbox_sender(client, settings)
        await ensure_cleanup_schedule_or_warn(client, settings)
        await stop.wait()
        log.info("worker.stopping")
    await engine.dispose()
    # An adapter holding pooled connections (S3) closes them; the port itself has no close.
    aclose = getattr(clients.storage, "aclose", None)
    if aclose is not None:
        await aclose()


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings))
    # A process that ran a Worker can crash at interpreter exit (sdk-python#300).
    os._exit(0)


if __name__ == "__main__":
    main()
