"""SiteGenerationWorkflow: one durable run per project, from onboarding to a live preview.

Deterministic orchestration only: every side effect is an activity, every decision is here.
Independent steps run side by side (the repo is provisioned while the AI writes), which is
what keeps an order's time to preview short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.ai import AIActivities
    from sitegen.activities.build import BuildActivities
    from sitegen.activities.deploy import DeployActivities
    from sitegen.activities.notify import NotifyActivities
    from sitegen.activities.project import ProjectActivities
    from sitegen.activities.repo import RepoActivities
    from sitegen.contracts.activities import (
        AIStepInput,
        ApplyPatchInput,
        ArtifactRef,
        AssetsOutcome,
        BuildInput,
        BuildOutcome,
        DeployInput,
        NotifyInput,
        ProjectRef,
        RepoOutcome,
        SetupInput,
        SubdomainInput,
    )
    from sitegen.contracts.operator import CancelRequest, DecisionAccepted, OperatorDecision
    from sitegen.contracts.pipeline import (
        WORKFLOW_NAME,
        GenerateSiteInput,
        OnboardingCorrected,
        PipelineState,
        StepKey,
    )
    from sitegen.contracts.status import ProjectStatus, StepStatus
    from sitegen.workflows import policies
    from sitegen.workflows.steps import CUSTOMER_ID, PROJECT_SLUG, StepRunner


@workflow.defn(name=WORKFLOW_NAME)
class SiteGenerationWorkflow(StepRunner):
    def __init__(self) -> None:
        super().__init__()
        self._onboarding_revision = 0
        self._built_sha = ""

    # --- messages ----------------------------------------------------------------------

    @workflow.query
    def state(self) -> PipelineState:
        return self.pipeline

    @workflow.signal
    def onboarding_corrected(self, correction: OnboardingCorrected) -> None:
        self._onboarding_revision = max(self._onboarding_revision, correction.revision)

    @workflow.signal
    def cancel(self, request: CancelRequest) -> None:
        self._cancel = request

    @workflow.update
    def resolve_failure(self, decision: OperatorDecision) -> DecisionAccepted:
        self.decide(decision)
        return DecisionAccepted(step=decision.step, action=decision.action)

    @resolve_failure.validator
    def _validate_decision(self, decision: OperatorDecision) -> None:
        self.check_decision(decision)

    # --- the pipeline ------------------------------------------------------------------

    @workflow.run
    async def run(self, order: GenerateSiteInput) -> PipelineState:
        info = workflow.info()
        project = ProjectRef(
            project_id=order.project_id,
            workflow_id=info.workflow_id,
            slug=order.slug,
            template_id=order.template_id,
        )
        self.begin(project, order.max_fix_attempts)
        workflow.upsert_search_attributes(
            [PROJECT_SLUG.value_set(order.slug), CUSTOMER_ID.value_set(str(order.customer_id))]
        )
        await self.start_pipeline_rows()
        try:
            subdomain = await self._validated_onboarding(project)
            if subdomain is None:
                return await self._finish_cancelled()
            await self._set_status(ProjectStatus.GENERATING)
            preview_url = await self._generate(project, subdomain)
            if preview_url is None:
                return await self._finish_cancelled()
            await self._set_status(ProjectStatus.PREVIEW_READY, preview_url=preview_url)
            # The client reviews the preview; revisions and approval arrive as messages.
            self.pipeline.waiting_for = "review"
            await workflow.wait_condition(
                lambda: self._cancel is not None and workflow.all_handlers_finished()
            )
            return await self._finish_cancelled()
        except asyncio.CancelledError:
            # Cancelled from Temporal itself (UI or CLI): record it, then honour it.
            await asyncio.shield(self._set_status(ProjectStatus.CANCELLED))
            raise

    async def _validated_onboarding(self, project: ProjectRef) -> str | None:
        """Validate; if invalid, wait for the client's corrected form. None if cancelled."""
        while True:
            outcome = await self.step(
                StepKey.VALIDATE_ONBOARDING,
                ProjectActivities.validate_onboarding,
                project,
                policies.QUICK,
            )
            if outcome is None:
                return None
            if outcome.valid:
                self.pipeline.validation_errors = []
                return outcome.subdomain
            self.pipeline.validation_errors = [e.model_dump() for e in outcome.errors]
            self._state(StepKey.VALIDATE_ONBOARDING).status = StepStatus.MANUAL
            self.pipeline.waiting_for = "onboarding"
            await workflow.wait_condition(self._correction_or_cancel(outcome.revision))
            self.pipeline.waiting_for = None
            if self._cancel is not None:
                return None

    def _correction_or_cancel(self, seen: int) -> Callable[[], bool]:
        return lambda: self._onboarding_revision > seen or self._cancel is not None

    async def _generate(self, project: ProjectRef, subdomain: str | None) -> str | None:
        """Everything from assets to a deployed preview. Returns the preview URL."""
        assets = self.start(
            StepKey.DOWNLOAD_ASSETS, ProjectActivities.download_assets, project, policies.EXTERNAL
        )
        repo_task = self.start(
            StepKey.PROVISION_REPOSITORY,
            RepoActivities.provision_repository,
            project,
            policies.EXTERNAL,
        )
        dns = self.start(
            StepKey.PROVISION_SUBDOMAIN,
            DeployActivities.provision_subdomain,
            SubdomainInput(project=project, subdomain=subdomain or project.slug),
            policies.EXTERNAL,
        )
        spec = await self.step(
            StepKey.CREATE_SITE_SPEC, AIActivities.create_site_spec, project, policies.AI
        )
        if spec is None:
            return None
        ai = AIStepInput(project=project, spec_key=spec.storage_key)
        brief = self.start(StepKey.GENERATE_BRIEF, AIActivities.generate_brief, ai, policies.AI)
        sitemap = await self.step(
            StepKey.GENERATE_SITEMAP, AIActivities.generate_sitemap, ai, policies.AI
        )
        if sitemap is None:
            return None
        ai = ai.model_copy(update={"sitemap_key": sitemap.storage_key})
        content_task = self.start(
            StepKey.GENERATE_CONTENT, AIActivities.generate_content, ai, policies.AI
        )
        layout_task = self.start(
            StepKey.GENERATE_LAYOUT_PLAN, AIActivities.generate_layout_plan, ai, policies.AI
        )
        repo: RepoOutcome | None = await repo_task
        stored_assets: AssetsOutcome = await assets or AssetsOutcome()
        if repo is None:
            return None
        setup = await self.step(
            StepKey.SETUP_PROJECT_STRUCTURE,
            RepoActivities.setup_project_structure,
            SetupInput(project=project, repo=repo, asset_keys=stored_assets.stored),
            policies.EXTERNAL,
        )
        content, layout = await content_task, await layout_task
        if setup is None or content is None or layout is None:
            return None
        ai = ai.model_copy(
            update={
                "content_key": content.storage_key,
                "layout_key": layout.storage_key,
                "repo_ref": setup.head,
            }
        )
        patch = await self.step(
            StepKey.GENERATE_CODE_PATCH, AIActivities.generate_code_patch, ai, policies.AI
        )
        # The subdomain is provisioned early and in parallel; the build needs its URL.
        subdomain_record = await dns
        site_url = subdomain_record.url if subdomain_record else None
        build = await self._apply_and_build(project, setup, ai, patch, site_url)
        if build is None or build.dist_key is None:
            return None
        sha = self._built_sha
        deploy = await self.step(
            StepKey.DEPLOY_PREVIEW,
            DeployActivities.deploy_preview,
            DeployInput(project=project, dist_key=build.dist_key, sha=sha),
            policies.EXTERNAL,
        )
        await brief
        if deploy is None:
            return None
        # The client's own subdomain when it is live; the host's default address otherwise.
        preview_url = subdomain_record.url if subdomain_record else deploy.url
        note = NotifyInput(
            project=project, preview_url=preview_url, asset_failures=stored_assets.failures
        )
        await asyncio.gather(
            self.step(StepKey.NOTIFY_CLIENT, NotifyActivities.notify_client, note, policies.QUICK),
            self.step(
                StepKey.NOTIFY_WORKSPACE, NotifyActivities.notify_workspace, note, policies.QUICK
            ),
        )
        return preview_url

    async def _apply_and_build(
        self,
        project: ProjectRef,
        repo: RepoOutcome,
        ai: AIStepInput,
        patch: ArtifactRef | None,
        site_url: str | None,
    ) -> BuildOutcome | None:
        """apply → build, then up to N rounds of fix patch → apply → build."""
        round_ = 0
        while patch is not None:
            commit = await self.step(
                StepKey.APPLY_PATCH,
                RepoActivities.apply_patch,
                ApplyPatchInput(project=project, repo=repo, patch=patch, round=round_),
                policies.EXTERNAL,
            )
            if commit is None:
                return None
            self._built_sha = commit.sha
            build = await self.step(
                StepKey.BUILD_AND_TEST,
                BuildActivities.build_and_test,
                BuildInput(
                    project=project,
                    repo=repo,
                    sha=commit.sha,
                    attempt=round_ + 1,
                    site_url=site_url,
                ),
                policies.BUILD,
                fail_when=_failed_for_good(last_round=round_ >= self.max_fixes),
            )
            if build is None or build.ok:
                return build
            round_ += 1
            self.pipeline.fix_attempts = round_
            patch = await self.step(
                StepKey.GENERATE_FIX_PATCH,
                AIActivities.generate_fix_patch,
                ai.model_copy(
                    update={
                        "build_report_key": build.report.storage_key,
                        "repo_ref": commit.sha,
                        "version": round_ + 1,
                    }
                ),
                policies.AI,
            )
        return None

    # --- bookkeeping ---------------------------------------------------------------------

    async def _finish_cancelled(self) -> PipelineState:
        await self._set_status(ProjectStatus.CANCELLED)
        self.pipeline.waiting_for = None
        return self.pipeline


def _failed_for_good(last_round: bool) -> Callable[[BuildOutcome], bool]:
    """On the last round a failed build is a step failure (the operator is asked)."""
    return lambda build: not build.ok and last_round
