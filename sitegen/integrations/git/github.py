"""GitHubGit: the GitHost port on GitHub (githubkit, REST: repos, Git Data, merges, archives).

A project's repo is generated from its template repository (private, named after the slug, in
the agency's organisation). Template id ``t`` maps to the repository named in
``SITEGEN_GITHUB_TEMPLATE_REPOS`` (``{"landing": "agency/site-landing"}``), else to
``{org}/sitegen-template-{t}``.

Every mutating call is safe to retry, the same way LocalGit's are:

* ``ensure_repo`` reads the repo before generating it, and a 422 "already exists" from a
  create whose answer was lost (or that raced another worker) is answered by reading it again;
  a repo of that name generated from another template is refused, never written into.
* commits carry the ``Sitegen-Idempotency-Key`` trailer; before making one, the branch's recent
  history (``_KEY_SCAN`` commits) is searched for it, so a retry returns its earlier commit.
  Objects are written first (blobs, tree, commit: invisible until referenced) and the branch
  is moved last with a fast-forward-only ref update: with a one-parent commit on the head we
  read, that is a compare-and-swap, and a lost race re-reads the head and looks for the key.
* ``merge`` looks for the key on the target, then asks GitHub to merge (one merge commit, its
  message carrying the key); 204 "nothing to merge" answers the target head as a no-op.

Not here: GitHub generates template repos asynchronously, so ``ensure_repo`` waits (bounded)
for the default branch and otherwise answers ``GitHostUnavailable`` for Temporal to retry.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from sitegen.contracts.patches import glob_regex, is_glob
from sitegen.integrations.git._archive import extract_tarball
from sitegen.integrations.git._github_api import ORG_SETTING, GitHubApi, Status
from sitegen.integrations.git._github_tree import TreeWork, blob_sha, listing_of
from sitegen.integrations.git._plumbing import CommitPlan
from sitegen.integrations.git._support import validate_key, validate_repo_name, validate_repo_path
from sitegen.integrations.git.base import (
    IDEMPOTENCY_TRAILER,
    BranchInfo,
    CommitResult,
    GitError,
    GitHostDenied,
    GitHostUnavailable,
    MergeConflict,
    PatchJudge,
    RefNotFound,
    RepoInfo,
    RepoNotFound,
)
from sitegen.integrations.git.local import _replace_dir

log = structlog.get_logger()

TEMPLATES_SETTING = "SITEGEN_GITHUB_TEMPLATE_REPOS"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_CAS_ATTEMPTS = 5
_KEY_SCAN = (3, 100)  # pages x commits a page searched for an idempotency key
_READY_WAIT = (0.25, 2.0, 15.0)  # first poll, longest poll, total wait for a generated repo

# head sha -> the commit to make, or a final answer (a no-op)
_Planner = Callable[[str], Awaitable[CommitPlan | CommitResult]]


class GitHubGit(TreeWork):
    """GitHub adapter for the GitHost port."""

    def __init__(
        self,
        token: str,
        org: str,
        work_root: Path,
        *,
        api_url: str = "https://api.github.com",
        template_repos: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        # The object cache and scratch indexes live under work_root; repos live on GitHub.
        super().__init__(Path(work_root) / "cache", Path(work_root) / "scratch")
        self.org = org
        self.api = GitHubApi(token, org, api_url, timeout=timeout)
        self.template_repos = dict(template_repos or {})

    def template_repo(self, template_id: str) -> str:
        return self.template_repos.get(template_id) or f"{self.org}/sitegen-template-{template_id}"

    # -- repos and refs -----------------------------------------------------------------------

    async def ensure_repo(self, name: str, template_dir: Path) -> RepoInfo:
        validate_repo_name(name)
        template = self.template_repo(Path(template_dir).name)
        async with self._lock(name):
            created = False
            info = await self.api.get_repo(name)
            if info is None:
                try:
                    await self.api.generate(template, name)
                    created = True
                except Status as exc:
                    if exc.status == 404:
                        raise await self._generate_refused(template) from None
                    # 422: made by our own earlier attempt (its answer lost) or a racing one.
                    if (info := await self.api.get_repo(name)) is None:
                        raise GitError(
                            f"GitHub refused to create {name!r}: {exc.message}"
                        ) from None
                info = info or await self.api.get_repo(name)
                if info is None:
                    raise GitHostUnavailable(f"{self.org}/{name} was created but is not visible")
            if info["template"] not in (None, template):
                raise GitHostDenied(
                    f"{self.org}/{name} exists but was generated from {info['template']}, not "
                    f"{template}; rename or remove it (the repo name is the project's slug)"
                )
            await self._await_branch(name, info["default_branch"])
            log.info("git.ensure_repo", repo=name, created=created, host="github")
            return RepoInfo(name, info["url"], info["default_branch"], created)

    async def _generate_refused(self, template: str) -> GitError:
        if not await self.api.org_exists():
            return GitHostDenied(
                f"the organisation {self.org!r} ({ORG_SETTING}) does not exist or the token "
                "cannot see it"
            )
        return GitHostDenied(
            f"template repository {template!r} not found; name it in {TEMPLATES_SETTING} or "
            f"create {self.org}/sitegen-template-<id> (marked as a template)"
        )

    async def _await_branch(self, name: str, branch: str) -> None:
        """GitHub fills a generated repo in the background: wait a little for its branch."""
        delay, longest, budget = _READY_WAIT
        while await self.api.get_ref(name, f"heads/{branch}") is None:
            if budget <= 0:
                raise GitHostUnavailable(f"{self.org}/{name} is still being generated")
            await asyncio.sleep(delay)
            budget -= delay
            delay = min(delay * 2, longest)

    async def ensure_branch(self, name: str, branch: str, from_ref: str = "main") -> BranchInfo:
        ref = (await self._branch_ref(branch)).removeprefix("refs/")
        existing = await self.api.get_ref(name, ref)
        if existing:
            return BranchInfo(branch, existing, False)
        base = await self._resolve_remote(name, from_ref)
        if await self.api.create_ref(name, ref, base):
            log.info("git.branch_created", repo=name, branch=branch, host="github")
            return BranchInfo(branch, base, True)
        return BranchInfo(branch, await self.head(name, branch), False)

    async def head(self, name: str, branch: str) -> str:
        ref = (await self._branch_ref(branch)).removeprefix("refs/")
        sha = await self.api.get_ref(name, ref)
        if sha is None:
            raise await self._missing(name, f"branch {branch!r}")
        return sha

    async def count_commits(self, name: str, branch: str) -> int:
        return await self.api.count_commits(name, await self.head(name, branch))

    async def _resolve_remote(self, name: str, rev: str) -> str:
        """A full commit sha or a branch name, as a commit sha (RefNotFound otherwise)."""
        if _SHA.fullmatch(rev):
            if await self.api.get_commit(name, rev) is None:
                raise await self._missing(name, f"commit {rev}")
            return rev
        return await self.head(name, rev)

    async def _missing(self, name: str, what: str) -> GitError:
        if await self.api.get_repo(name) is None:
            return RepoNotFound(f"repository {name!r} does not exist")
        return RefNotFound(f"{what} not found in {name!r}")

    async def _tree_of_commit(self, name: str, sha: str) -> str:
        info = await self.api.get_commit(name, sha)
        if info is None:
            raise await self._missing(name, f"commit {sha}")
        return info[0]

    # -- reading ------------------------------------------------------------------------------

    async def read_files(self, name: str, ref: str, paths_or_globs: list[str]) -> dict[str, str]:
        """Text files matching exact paths or globs, as LocalGit reads them: missing paths
        absent, binary (non-UTF-8) files, symlinks and submodules skipped."""
        sha = await self._resolve_remote(name, ref)
        entries = await self.api.get_tree(name, await self._tree_of_commit(name, sha))
        exact = {p for p in paths_or_globs if not is_glob(p)}
        patterns = [glob_regex(p) for p in paths_or_globs if is_glob(p)]
        wanted = {
            e.path: e.sha
            for e in entries
            if e.type == "blob" and e.mode != "120000"
            and (e.path in exact or any(p.fullmatch(e.path) for p in patterns))
        }  # fmt: skip
        if not wanted:
            return {}
        bare = await self._cache(name)
        await self._fetch_blobs(name, bare, set(wanted.values()))
        bodies = await self._read_blobs(bare, sorted(set(wanted.values())))
        result: dict[str, str] = {}
        for path, blob in sorted(wanted.items()):
            try:
                text = bodies[blob].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if "\0" not in text:
                result[path] = text
        return result

    async def export(self, name: str, ref: str, dest: Path) -> str:
        """Unpack ``ref``'s tarball into ``dest`` (replacing it); return the commit sha."""
        sha = await self._resolve_remote(name, ref)
        data = await self.api.tarball(name, sha)
        dest = await asyncio.to_thread(Path(dest).resolve)
        await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
        tmp = dest.parent / f".{dest.name}.export-{uuid.uuid4().hex}"
        try:
            await asyncio.to_thread(tmp.mkdir)
            await asyncio.to_thread(extract_tarball, data, tmp)
            await asyncio.to_thread(_replace_dir, tmp, dest)
        finally:
            await asyncio.to_thread(shutil.rmtree, tmp, True)
        return sha

    # -- commits ------------------------------------------------------------------------------

    async def commit_patch(
        self,
        name: str,
        branch: str,
        patch: str,
        message: str,
        idempotency_key: str,
        *,
        allow_empty: bool = False,
        judge: PatchJudge | None = None,
    ) -> CommitResult:
        """Apply a unified diff in a scratch index (as LocalGit does; the judge rules before
        anything is written to GitHub), then push the resulting tree as one commit."""
        if patch.strip() and not patch.endswith("\n"):
            patch += "\n"  # a missing final newline makes git report a corrupt patch

        async def plan(head: str) -> CommitPlan | CommitResult:
            tree = await self._tree_of_commit(name, head)
            before = listing_of(await self.api.get_tree(name, tree))
            bare = await self._cache(name)
            async with self._scratch() as tmp:
                index = tmp / "index"
                await self._load_index(bare, index, before, tree)
                if patch.strip():
                    touched = await self._touched_paths(bare, patch)
                    await self._fetch_blobs(
                        name, bare, {before[p][1] for p in touched if p in before}
                    )
                await self._apply_judged(bare, tree, index, patch, judge)
                new_tree = await self._write_tree(bare, index)
                if new_tree == tree and not allow_empty:
                    return CommitResult(head, created=False, noop=True)
                after = await self._index_listing(bare, index)
                pushed = await self._push_tree(name, bare, tree, before, after, new_tree)
            return CommitPlan(pushed, (head,))

        return await self._publish_remote(name, branch, message, idempotency_key, plan)

    async def commit_files(
        self,
        name: str,
        branch: str,
        files: dict[str, bytes],
        message: str,
        idempotency_key: str,
    ) -> CommitResult:
        """Add or replace files (mode 100644); nothing is deleted."""
        for path in files:
            validate_repo_path(path)

        async def plan(head: str) -> CommitPlan | CommitResult:
            tree = await self._tree_of_commit(name, head)
            before = listing_of(await self.api.get_tree(name, tree))
            changed = sorted(
                p for p, d in files.items() if before.get(p) != ("100644", blob_sha(d))
            )
            if not changed:
                return CommitResult(head, created=False, noop=True)
            shas = await asyncio.gather(*(self.api.create_blob(name, files[p]) for p in changed))
            entries = [
                {"path": p, "mode": "100644", "type": "blob", "sha": s}
                for p, s in zip(changed, shas, strict=True)
            ]
            return CommitPlan(await self.api.create_tree(name, tree, entries), (head,))

        return await self._publish_remote(name, branch, message, idempotency_key, plan)

    async def restore(
        self, name: str, branch: str, source_ref: str, message: str, idempotency_key: str
    ) -> CommitResult:
        """A new commit on ``branch`` (parent: its head) whose tree is ``source_ref``'s."""

        async def plan(head: str) -> CommitPlan:
            # Resolved after the key check, so a retry finds its commit if the source is gone.
            source = await self._resolve_remote(name, source_ref)
            return CommitPlan(await self._tree_of_commit(name, source), (head,))

        return await self._publish_remote(name, branch, message, idempotency_key, plan)

    async def merge(
        self, name: str, source: str, target: str, message: str, idempotency_key: str
    ) -> CommitResult:
        """GitHub's merge of branch ``source`` into ``target`` (a merge commit, parents target
        head then source head). Already merged: a no-op answering the target head."""
        validate_key(idempotency_key)
        await self._branch_ref(source)
        async with self._lock(name):
            head = await self.head(name, target)
            found = await self._find_key(name, head, idempotency_key)
            if found:
                return CommitResult(found, created=False)
            theirs = await self.head(name, source)
            if theirs == head:
                return CommitResult(head, created=False, noop=True)
            try:
                sha = await self.api.merge(
                    name, target, source, self._message(message, idempotency_key)
                )
            except Status as exc:
                if exc.status == 409:
                    paths = await self._both_changed(name, head, theirs)
                    log.info("git.merge_conflict", repo=name, paths=list(paths), host="github")
                    raise MergeConflict(paths) from None
                raise await self._missing(name, f"branch {source!r} or {target!r}") from None
            if sha is None:
                return CommitResult(await self.head(name, target), created=False, noop=True)
            log.info("git.merged", repo=name, source=source, target=target, sha=sha)
            return CommitResult(sha, created=True)

    async def _find_key(self, name: str, head: str, key: str) -> str | None:
        trailer = f"{IDEMPOTENCY_TRAILER}: {key}"
        pages, per_page = _KEY_SCAN
        for page in range(1, pages + 1):
            commits = await self.api.commit_messages(name, head, page, per_page)
            for sha, message in commits:
                # Exact trailer line: "key-1" must not match "key-10".
                if trailer in (line.strip() for line in message.splitlines()):
                    return sha
            if len(commits) < per_page:
                break
        return None

    async def _publish_remote(
        self, name: str, branch: str, message: str, key: str, plan: _Planner
    ) -> CommitResult:
        """At most one commit on ``branch`` for ``key``: see the module docstring."""
        validate_key(key)
        ref = (await self._branch_ref(branch)).removeprefix("refs/")
        async with self._lock(name):
            for _ in range(_CAS_ATTEMPTS):
                head = await self.head(name, branch)
                found = await self._find_key(name, head, key)
                if found:
                    log.info("git.commit_exists", repo=name, branch=branch, sha=found)
                    return CommitResult(found, created=False)
                planned = await plan(head)
                if isinstance(planned, CommitResult):
                    return planned
                msg = self._message(message, key)
                sha = await self.api.create_commit(name, planned.tree, list(planned.parents), msg)
                if await self.api.fast_forward(name, ref, sha):
                    log.info("git.committed", repo=name, branch=branch, sha=sha, host="github")
                    return CommitResult(sha, created=True)
                log.info("git.commit_raced", repo=name, branch=branch)
        raise GitError(f"branch {branch!r} of {name!r} kept moving; giving up after retries")
