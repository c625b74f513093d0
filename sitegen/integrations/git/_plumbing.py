"""Plumbing under LocalGit (and GitHubGit's scratch repos): the isolated git runner, ref
helpers, patch apply + judge, and the commit-publish loop.

Every LocalGit commit goes through ``GitPlumbing._publish``: look the
idempotency key up, plan a commit against the branch head, write it, then move the branch with
a compare-and-swap ``update-ref``. The planners for patches, file sets, restores and merges live
in ``local.py``; this module knows nothing about what goes into a commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from sitegen.integrations.git._support import (
    GitOutput,
    git_env,
    run_git,
    validate_key,
    validate_repo_name,
)
from sitegen.integrations.git.base import (
    IDEMPOTENCY_TRAILER,
    CommitResult,
    FileChange,
    GitError,
    InvalidGitName,
    PatchApplyError,
    PatchJudge,
    PatchRefused,
    RefNotFound,
    RepoNotFound,
)

log = structlog.get_logger()

DEFAULT_BRANCH = "main"
_CAS_ATTEMPTS = 5


@dataclass(frozen=True)
class CommitPlan:
    """The commit to write: its tree and parents (the branch head first)."""

    tree: str
    parents: tuple[str, ...]


# (bare repo, branch head, scratch dir) -> the commit to make, or a final answer (a no-op).
Planner = Callable[[Path, str, Path], Awaitable[CommitPlan | CommitResult]]


class GitPlumbing:
    """Process-isolated git commands against bare repos under ``repos_root``."""

    def __init__(
        self,
        repos_root: Path,
        work_root: Path,
        *,
        author_name: str = "sitegen",
        author_email: str = "sitegen@localhost",
        git_bin: str = "git",
    ) -> None:
        self.repos_root = Path(repos_root).resolve()
        self.work_root = Path(work_root).resolve()
        self._git_bin = git_bin
        # Identity and safety settings go on every command line: no global config is needed.
        self._config = [
            "-c", f"user.name={author_name}",
            "-c", f"user.email={author_email}",
            "-c", "safe.directory=*",
            "-c", "commit.gpgSign=false",
            "-c", "core.autocrlf=false",
            "-c", f"init.defaultBranch={DEFAULT_BRANCH}",
        ]  # fmt: skip
        self._locks: dict[str, asyncio.Lock] = {}

    async def _git(
        self,
        args: list[str],
        *,
        git_dir: Path | None = None,
        work_tree: Path | None = None,
        index: Path | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        extra_config: list[str] | None = None,
    ) -> GitOutput:
        self.work_root.mkdir(parents=True, exist_ok=True)
        extra = {"GIT_INDEX_FILE": str(index)} if index else None
        prefix: list[str] = [*self._config, *(extra_config or [])]
        if git_dir is not None:
            prefix += ["--git-dir", str(git_dir)]
        if work_tree is not None:
            prefix += ["--work-tree", str(work_tree)]
        return await run_git(
            self._git_bin,
            prefix,
            args,
            env=git_env(self.work_root, extra),
            stdin=stdin,
            check=check,
        )

    def _lock(self, name: str) -> asyncio.Lock:
        # In-process serialisation per repo; cross-process safety comes from update-ref CAS.
        return self._locks.setdefault(name, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def _scratch(self) -> AsyncIterator[Path]:
        path = self.work_root / f"scratch-{uuid.uuid4().hex}"
        await asyncio.to_thread(path.mkdir, parents=True)
        try:
            yield path
        finally:
            await asyncio.to_thread(shutil.rmtree, path, True)

    def _bare_path(self, name: str) -> Path:
        return self.repos_root / f"{validate_repo_name(name)}.git"

    async def _bare(self, name: str) -> Path:
        bare = self._bare_path(name)
        if not await asyncio.to_thread((bare / "HEAD").is_file):
            raise RepoNotFound(f"repository {name!r} does not exist")
        return bare

    async def _resolve(self, bare: Path, ref: str) -> str | None:
        if ref.startswith("-"):
            raise InvalidGitName(f"invalid ref {ref!r}")
        out = await self._git(
            ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], git_dir=bare, check=False
        )
        return out.text if out.returncode == 0 and out.text else None

    async def _tree_of(self, bare: Path, commit: str) -> str:
        return (await self._git(["rev-parse", f"{commit}^{{tree}}"], git_dir=bare)).text

    async def _is_ancestor(self, bare: Path, ancestor: str, descendant: str) -> bool:
        out = await self._git(
            ["merge-base", "--is-ancestor", ancestor, descendant], git_dir=bare, check=False
        )
        if out.returncode not in (0, 1):
            raise GitError("git merge-base failed", out.stderr)
        return out.returncode == 0

    async def _branch_ref(self, branch: str) -> str:
        out = await self._git(["check-ref-format", "--branch", branch], check=False)
        if out.returncode != 0 or branch.startswith("-"):
            raise InvalidGitName(f"invalid branch name {branch!r}")
        return f"refs/heads/{branch}"

    async def _cas_ref(self, bare: Path, ref: str, new: str, old: str | None) -> bool:
        """Move ``ref`` to ``new`` only if it still points at ``old`` (None: must not exist)."""
        out = await self._git(["update-ref", ref, new, old or ""], git_dir=bare, check=False)
        return out.returncode == 0

    async def _commit_tree(self, bare: Path, tree: str, parents: tuple[str, ...], msg: str) -> str:
        args = ["commit-tree", tree, "-F", "-"]
        for parent in parents:
            args += ["-p", parent]
        return (await self._git(args, git_dir=bare, stdin=msg.encode())).text

    async def _find_by_key(self, bare: Path, ref: str, key: str) -> str | None:
        sep_rec, sep_field = "\x1e", "\x1f"
        fmt = f"%H%x1f%(trailers:key={IDEMPOTENCY_TRAILER},valueonly,separator=%x1f)%x1e"
        out = await self._git(
            ["log", f"--format={fmt}", "--fixed-strings", f"--grep={key}", ref], git_dir=bare
        )
        for record in out.stdout.decode("utf-8", "replace").split(sep_rec):
            sha, _, values = record.strip().partition(sep_field)
            # --grep is only a substring pre-filter; the trailer must match exactly.
            if sha and key in (v.strip() for v in values.split(sep_field)):
                return sha
        return None

    async def _ensure_bare(self, bare: Path) -> None:
        if await asyncio.to_thread((bare / "HEAD").is_file):
            ok = await self._git(["rev-parse", "--git-dir"], git_dir=bare, check=False)
            if ok.returncode == 0:
                return
        if await asyncio.to_thread(bare.exists):
            # Not a usable repo (foreign leftovers): move it aside rather than delete data.
            aside = bare.with_name(f".broken-{bare.name}-{uuid.uuid4().hex[:8]}")
            await asyncio.to_thread(bare.rename, aside)
            log.warning("git.repo_moved_aside", path=str(aside))
        await asyncio.to_thread(self.repos_root.mkdir, parents=True, exist_ok=True)
        # Initialise under a temp name and rename: the final path is either absent or complete.
        tmp = self.repos_root / f".init-{bare.name}-{uuid.uuid4().hex}"
        await self._git(["init", "--quiet", "--bare", "-b", DEFAULT_BRANCH, str(tmp)])
        try:
            await asyncio.to_thread(tmp.rename, bare)
        except OSError:
            # Lost a race with another process that finished first; use its repo.
            await asyncio.to_thread(shutil.rmtree, tmp, True)
            if not await asyncio.to_thread((bare / "HEAD").is_file):
                raise

    async def _apply_judged(
        self, bare: Path, base: str, index: Path, patch: str, judge: PatchJudge | None
    ) -> None:
        """Apply ``patch`` to the scratch ``index`` (holding ``base``, a commit or tree), then
        let ``judge`` rule on what git changed. Every adapter goes through here, so a patch
        is applied and judged one way whatever host the repo lives on."""
        if not patch.strip():
            return
        for extra in (["--check"], []):
            out = await self._git(
                ["apply", "--cached", "--whitespace=nowarn", *extra, "-"],
                git_dir=bare, index=index, stdin=patch.encode(), check=False,
            )  # fmt: skip
            if out.returncode != 0:
                raise PatchApplyError("patch does not apply", out.stderr)
        if judge is not None and (problems := judge(await self._changes(bare, base, index))):
            raise PatchRefused(problems)

    async def _changes(self, bare: Path, head: str, index: Path) -> list[FileChange]:
        """What the scratch index changes against ``head``: paths, modes, binaries. Renames
        and copies show as what they are on disk, a deletion and an addition."""
        raw = await self._git(["diff-index", "--cached", "--raw", "-z", "--no-renames",
                               "--abbrev=40", head], git_dir=bare, index=index)  # fmt: skip
        numstat = await self._git(["diff-index", "--cached", "--numstat", "-z", "--no-renames",
                                   head], git_dir=bare, index=index)  # fmt: skip
        binary = set()
        for entry in numstat.stdout.decode("utf-8", "surrogateescape").split("\0"):
            added, _, rest = entry.partition("\t")
            deleted, _, path = rest.partition("\t")
            if added == "-" and deleted == "-":
                binary.add(path)
        fields = raw.stdout.decode("utf-8", "surrogateescape").split("\0")
        changes = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(":"):
                continue
            old_mode, new_mode, _, _, status = meta[1:].split(" ")
            changes.append(FileChange(path, status[:1], old_mode, new_mode, path in binary))
        return changes

    @staticmethod
    def _message(message: str, key: str) -> str:
        return f"{message.rstrip()}\n\n{IDEMPOTENCY_TRAILER}: {key}\n"

    async def _publish(
        self, name: str, branch: str, message: str, key: str, plan: Planner
    ) -> CommitResult:
        """Make at most one commit on ``branch`` for ``key``; see the module docstring."""
        validate_key(key)
        bare = await self._bare(name)
        ref = await self._branch_ref(branch)
        async with self._lock(name):
            for _ in range(_CAS_ATTEMPTS):
                head = await self._resolve(bare, ref)
                if head is None:
                    raise RefNotFound(f"branch {branch!r} not found in {name!r}")
                # The key is checked before planning: after a merge or restore the plan itself
                # would differ (already merged, new head), but a retry must find its commit.
                found = await self._find_by_key(bare, ref, key)
                if found:
                    log.info("git.commit_exists", repo=name, branch=branch, sha=found)
                    return CommitResult(found, created=False)
                async with self._scratch() as tmp:
                    planned = await plan(bare, head, tmp)
                if isinstance(planned, CommitResult):
                    return planned
                msg = self._message(message, key)
                sha = await self._commit_tree(bare, planned.tree, planned.parents, msg)
                if await self._cas_ref(bare, ref, sha, head):
                    log.info("git.committed", repo=name, branch=branch, sha=sha,
                             parents=len(planned.parents))  # fmt: skip
                    return CommitResult(sha, created=True)
                log.info("git.commit_raced", repo=name, branch=branch)
        raise GitError(f"branch {branch!r} of {name!r} kept moving; giving up after retries")
