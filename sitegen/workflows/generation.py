"""The first generation: onboarding to a live preview, with optional plan sign-off.

Independent steps run side by side (the repo is provisioned while the AI writes), which is
what keeps an order's time to preview short.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

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
        NewVersion,
        NotifyInput,
        OnboardingStepInput,
        ProjectRef,
        RepoOutcome,
        SetupInput,
        SubdomainInput,
    )
    from sitegen.contracts.operator import CancelRequest, FailureAction
    from sitegen.contracts.pipeline import StepKey
    from sitegen.contracts.review import (
        ArtifactCounters,
        SiteArtifacts,
        VersionInfo,
        VersionKind,
    )
    from sitegen.workflows import policies
    from sitegen.workflows.onboarding import OnboardingCheck


@dataclass
class FirstPreview:
    url: str
    subdomain: str
    site_url: str | None
    production_url: str | None
    repo: RepoOutcome
    head: str
    site: SiteArtifacts
    version: VersionInfo
    counters: ArtifactCounters


# Marks runs whose fix loop stops early (a sandbox limit, or no progress); older runs spent
# every round.
FIX_LOOP_STOPS_EARLY = "fix-loop-stops-early"


def _no_patch_helps(build: BuildOutcome, previous: str) -> str:
    """Why another automatic fix round is pointless, or "" when one may help."""
    if not build.fixable:
        return "the build was stopped by a sandbox limit; no patch can fix that"
    if build.findings and build.findings == previous:
        return "the last fix changed nothing: the build failed with the same findings again"
    return ""


def build_problem(build: BuildOutcome) -> str | None:
    """A failed build is a result the fix loop repairs; the step still shows as failed."""
    return None if build.ok else f"build failed (attempt {build.report.version})"


class Generation(OnboardingCheck):
    def __init__(self) -> None:
        super().__init__()
        self._built_sha = ""
        # Version numbers go on across generations of a project; the API says where.
        self.first_version = 1

    # --- from the spec to a deployed preview ------------------------------------------------

    async def generate(
        self, project: ProjectRef, subdomain: str | None, onboarding_key: str | None
    ) -> FirstPreview | None:
        """Everything from assets to a deployed preview."""
        # Every artifact of the first generation is version 1; builds count from 1.
        self.counters = ArtifactCounters(
            spec=1, brief=1, sitemap=1, content=1, layout=1, code_patch=1
        )
        # Runs that predate the onboarding snapshot read the form from its row.
        read_onboarding = OnboardingStepInput(project=project, onboarding_key=onboarding_key)
        assets = self.start(
            StepKey.DOWNLOAD_ASSETS,
            ProjectActivities.download_assets,
            read_onboarding,
            policies.EXTERNAL,
        )
        repo_task = self.start(
            StepKey.PROVISION_REPOSITORY,
            RepoActivities.provision_repository,
            project,
            policies.EXTERNAL,
        )
        label = subdomain or project.slug
        dns = self.start(
            StepKey.PROVISION_SUBDOMAIN,
            DeployActivities.provision_subdomain,
            SubdomainInput(project=project, subdomain=label),
            policies.EXTERNAL,
        )
        spec = await self.step(
            StepKey.CREATE_SITE_SPEC, AIActivities.create_site_spec, read_onboarding, policies.AI
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
        self._pages = sitemap.items
        if self.plan_approval:
            await brief
            signed = await self.plan_sign_off(ai)
            if signed is None:
                return None
            ai = signed
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
        build = await self.apply_and_build(project, setup, ai, patch, site_url)
        if build is None or build.dist_key is None:
            return None
        sha = self._built_sha
        site = SiteArtifacts(
            spec_key=ai.spec_key,
            spec_version=self.counters.spec,
            sitemap_key=ai.sitemap_key or "",
            content_key=content.storage_key,
            layout_key=layout.storage_key,
            pages=self._pages,
        )
        first = NewVersion(
            number=self.first_version,
            kind=VersionKind.GENERATION,
            subdomain=label,
            spec_version=site.spec_version,
            artifact_keys=site.model_dump(exclude={"spec_version", "pages"}),
        )
        deploy = await self.step(
            StepKey.DEPLOY_PREVIEW,
            DeployActivities.deploy_preview,
            DeployInput(
                project=project,
                dist_key=build.dist_key,
                sha=sha,
                version=first if self.v2 else None,
            ),
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
        version = VersionInfo(
            number=self.first_version,
            kind=VersionKind.GENERATION,
            commit=sha,
            deploy_id=deploy.deploy_id,
            url=deploy.version_url or deploy.url,
            created_at=workflow.now(),
            site=site,
        )
        return FirstPreview(
            url=preview_url,
            subdomain=label,
            site_url=site_url,
            production_url=subdomain_record.production_url if subdomain_record else None,
            repo=setup,
            head=sha,
            site=site,
            version=version,
            counters=self.counters,
        )

    # --- builds ------------------------------------------------------------------------------

    async def build(
        self,
        project: ProjectRef,
        repo: RepoOutcome,
        sha: str,
        site_url: str | None,
        *,
        attempt: int = 1,
        label: str,
        step: StepKey = StepKey.BUILD_AND_TEST,
    ) -> BuildOutcome | None:
        """One sandboxed build of a commit; a failed build is a result (shown as failed)."""
        return await self.step(
            step,
            BuildActivities.build_and_test,
            BuildInput(
                project=project,
                repo=repo,
                sha=sha,
                attempt=attempt,
                site_url=site_url,
                report_version=self.counters.take("build_report"),
                step=step,
            ),
            policies.BUILD,
            summary=f"{step} · {label}",
            soft_failure=build_problem,
        )

    async def build_or_ask(
        self, project: ProjectRef, repo: RepoOutcome, sha: str, site_url: str | None, **how: Any
    ) -> BuildOutcome | None:
        """Build; when it fails an operator decides, and retry builds the same commit again
        (for files that built before: a failure here is the machinery's, not the patch's)."""
        step = how.get("step", StepKey.BUILD_AND_TEST)
        while True:
            build = await self.build(project, repo, sha, site_url, **how)
            if build is None or build.ok:
                return build
            action = await self.ask_operator(step, f"{step} failed for files that built before")
            if action != FailureAction.RETRY:
                self._cancel = self._cancel or CancelRequest(reason=f"aborted at {step}")
                return None

    # --- the fix loop -----------------------------------------------------------------------

    async def apply_and_build(
        self,
        project: ProjectRef,
        repo: RepoOutcome,
        ai: AIStepInput,
        patch: ArtifactRef | None,
        site_url: str | None,
        *,
        change: str = "",
        operator_decides: bool = True,
    ) -> BuildOutcome | None:
        """apply → build, then up to N rounds of fix patch → apply → build.

        When the rounds run out, an operator decides (`operator_decides`): retry starts one
        more fix round with a new patch. Otherwise the failed build is returned as it is.
        `change` tells apart the commits and keys of distinct changes (a revision's id).
        """
        round_, rounds = 0, self.max_fixes
        previous = ""  # the last failed build's findings
        while patch is not None:
            commit = await self.step(
                StepKey.APPLY_PATCH,
                RepoActivities.apply_patch,
                ApplyPatchInput(
                    project=project, repo=repo, patch=patch, round=round_, change=change
                ),
                policies.EXTERNAL,
                summary=f"apply_patch · round {round_}",
            )
            if commit is None:
                return None
            self._built_sha = commit.sha
            while True:
                build = await self.build(
                    project, repo, commit.sha, site_url, attempt=round_ + 1, label=f"round {round_}"
                )
                if build is None or build.ok:
                    return build
                hopeless = _no_patch_helps(build, previous)
                previous = build.findings
                if hopeless and round_ < rounds and workflow.patched(FIX_LOOP_STOPS_EARLY):
                    rounds = round_  # more automatic rounds would change nothing
                if round_ < rounds or not operator_decides:
                    break
                action = await self.ask_operator(
                    StepKey.BUILD_AND_TEST,
                    hopeless or f"build failed after {rounds} automatic fix attempts",
                )
                if action != FailureAction.RETRY:
                    self._cancel = self._cancel or CancelRequest(reason="aborted at build")
                    return None
                if self.v2:
                    rounds += 1  # the operator's retry is one more fix round, with a new patch
                    break
                # Runs from before the project-life patch built the same commit again.
            if round_ >= rounds:
                return build  # out of rounds, and the caller decides what happens next
            round_ += 1
            self.pipeline.fix_attempts += 1
            patch = await self.step(
                StepKey.GENERATE_FIX_PATCH,
                AIActivities.generate_fix_patch,
                ai.model_copy(
                    update={
                        "build_report_key": build.report.storage_key,
                        "repo_ref": commit.sha,
                        "version": self.counters.take("code_patch"),
                    }
                ),
                policies.AI,
                summary=f"generate_fix_patch · round {round_}",
            )
        return None
