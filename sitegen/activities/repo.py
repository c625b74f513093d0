"""Repository steps: a repo from the template, the project's files, and applied patches."""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePosixPath

from sqlalchemy import func
from sqlmodel import col, update
from temporalio import activity

from sitegen.activities.patch_scope import judge_for, patch_violations
from sitegen.activities.support import Sessions, StepTracker, bad_input, template_for
from sitegen.contracts.activities import (
    ApplyPatchInput,
    CommitOutcome,
    ProjectRef,
    RepoOutcome,
    SetupInput,
)
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.review_activities import MergeInput, RestoreInput
from sitegen.db.tables import Project
from sitegen.failpoints import AFTER_COMMIT, AFTER_MERGE, failpoint
from sitegen.integrations.assets import images
from sitegen.integrations.git.base import GitHost, MergeConflict, PatchApplyError, PatchRefused
from sitegen.integrations.storage.base import Storage

PREVIEW_BRANCH = "preview"
MAIN_BRANCH = "main"


class RepoActivities:
    def __init__(
        self, sessions: Sessions, git: GitHost, storage: Storage, templates_dir: Path
    ) -> None:
        self.sessions = sessions
        self.git = git
        self.storage = storage
        self.templates_dir = templates_dir
        self.steps = StepTracker(sessions)

    @activity.defn
    async def provision_repository(self, project: ProjectRef) -> RepoOutcome:
        """The project's repo from its template, plus the preview branch. A retry finds the
        repo it already made (the repo name is the project's slug)."""
        async with self.steps.track(project.project_id, StepKey.PROVISION_REPOSITORY) as run:
            template = await template_for(self.templates_dir, project.template_id)
            repo = await self.git.ensure_repo(project.slug, self.templates_dir / template.id)
            branch = await self.git.ensure_branch(project.slug, PREVIEW_BRANCH, repo.default_branch)
            async with self.sessions() as session, session.begin():
                await session.exec(
                    update(Project)
                    .where(col(Project.id) == project.project_id)
                    .values(repo_url=repo.url, updated_at=func.now())
                )
            run.output_ref = repo.url
            run.details = {"created": repo.created}
            return RepoOutcome(
                repo_name=repo.name, repo_url=repo.url, branch=PREVIEW_BRANCH, head=branch.sha
            )

    @activity.defn
    async def setup_project_structure(self, setup: SetupInput) -> RepoOutcome:
        """The client's logo and images, resized and re-encoded (see images.py), with the
        `images.json` manifest, into the template's assets folder. Never the raw files:
        those carry EXIF and GPS data and are far too heavy for a page."""
        project = setup.project
        async with self.steps.track(project.project_id, StepKey.SETUP_PROJECT_STRUCTURE) as run:
            template = await template_for(self.templates_dir, project.template_id)
            assets = [
                (PurePosixPath(key).stem, await self.storage.get(key)) for key in setup.asset_keys
            ]
            # Decoding and encoding is seconds of CPU: off the event loop, so heartbeats go on.
            site = await asyncio.to_thread(images.assemble, assets, template.assets_dir)
            files = site.files
            head = setup.repo.head
            if files:
                commit = await self.git.commit_files(
                    setup.repo.repo_name,
                    setup.repo.branch,
                    files,
                    "Add the client's logo and images",
                    project.key(StepKey.SETUP_PROJECT_STRUCTURE),
                )
                head = commit.sha
            run.output_ref = head
            run.details = {"assets": sorted(files), "skipped": site.skipped}
            return setup.repo.model_copy(update={"head": head})

    @activity.defn
    async def apply_patch(self, step: ApplyPatchInput) -> CommitOutcome:
        """Commit one AI patch to the preview branch: one commit per patch, even on retry."""
        project = step.project
        async with self.steps.track(project.project_id, StepKey.APPLY_PATCH) as run:
            template = await template_for(self.templates_dir, project.template_id)
            diff = (await self.storage.get(step.patch.storage_key)).decode()
            problems = patch_violations(diff, template)
            if problems:
                raise bad_input("PatchRejected", "; ".join(problems[:5]))
            if step.round > 0:
                what = f"Fix the build (automatic fix {step.round})"
            elif step.change:
                what = f"Apply revision {step.change}"
            else:
                what = "Apply generated site content"
            change = [step.change] if step.change else []
            try:
                commit = await self.git.commit_patch(
                    step.repo.repo_name,
                    step.repo.branch,
                    diff,
                    f"{what}\n\nPatch: {step.patch.storage_key}",
                    project.key(StepKey.APPLY_PATCH, *change, f"round-{step.round}"),
                    allow_empty=True,
                    judge=judge_for(template),
                )
            except PatchApplyError as exc:
                raise bad_input("PatchRejected", f"the patch does not apply: {exc}") from None
            except PatchRefused as exc:
                raise bad_input("PatchRejected", str(exc)) from None
            failpoint(AFTER_COMMIT)
            run.output_ref = commit.sha
            run.details = {"created": commit.created, "round": step.round}
            return CommitOutcome(
                sha=commit.sha,
                created=commit.created,
                files_changed=diff.count("\n+++ ") + diff.startswith("+++ "),
            )

    @activity.defn
    async def restore_version(self, step: RestoreInput) -> CommitOutcome:
        """An earlier commit's files back on the preview branch, as a new commit."""
        project = step.project
        async with self.steps.track(project.project_id, StepKey.RESTORE_VERSION) as run:
            commit = await self.git.restore(
                step.repo.repo_name,
                step.repo.branch,
                step.source_sha,
                f"{step.reason}\n\nRestores the files of {step.source_sha}.",
                project.key(StepKey.RESTORE_VERSION, step.change_id, step.purpose),
            )
            run.output_ref = commit.sha
            run.details = {"created": commit.created, "from": step.source_sha}
            return CommitOutcome(sha=commit.sha, created=commit.created)

    @activity.defn
    async def merge_to_main(self, step: MergeInput) -> CommitOutcome:
        """The approved preview into the main branch: what production is built from."""
        project = step.project
        async with self.steps.track(project.project_id, StepKey.MERGE_TO_MAIN) as run:
            try:
                commit = await self.git.merge(
                    step.repo.repo_name,
                    step.repo.branch,
                    MAIN_BRANCH,
                    "Deliver the approved site",
                    project.key(StepKey.MERGE_TO_MAIN),
                )
            except MergeConflict as exc:
                raise bad_input("MergeConflict", str(exc)) from None
            failpoint(AFTER_MERGE)
            run.output_ref = commit.sha
            run.details = {"created": commit.created}
            return CommitOutcome(sha=commit.sha, created=commit.created)
