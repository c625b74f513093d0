"""Git port: template repos, preview branches and idempotent commits.

Every method that changes a repository is safe to retry: ``ensure_*`` converge on the same
state, and commits carry a ``Sitegen-Idempotency-Key`` trailer that is looked up before any
new commit is made, so a retried activity finds its commit instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

IDEMPOTENCY_TRAILER = "Sitegen-Idempotency-Key"


class GitError(Exception):
    """A git operation failed; ``stderr`` holds git's own message when there is one."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(f"{message}: {stderr.strip()}" if stderr.strip() else message)
        self.stderr = stderr


class InvalidGitName(GitError, ValueError):
    """A repo name, branch name, path or idempotency key is not acceptable."""


class RepoNotFound(GitError):
    """The repository does not exist (or has no initial commit yet)."""


class RefNotFound(GitError):
    """The branch or ref does not exist."""


class PatchApplyError(GitError):
    """The unified diff does not apply to the branch head (message is git's own). Not retryable."""


class PatchRefused(GitError):
    """What the patch would change is not allowed (the judge's findings). Nothing was
    written. Not retryable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:5]))


class MergeConflict(GitError):
    """The branches cannot be merged cleanly; ``paths`` are the conflicting files. Not retryable.

    Nothing has moved when this is raised: the target branch is exactly as it was.
    """

    def __init__(self, paths: tuple[str, ...] | list[str]) -> None:
        self.paths = tuple(paths)
        listed = ", ".join(self.paths) if self.paths else "(no paths reported)"
        super().__init__(f"merge conflict in {listed}")


class GitHostUnavailable(GitError):
    """The git host is down, overloaded or rate-limiting us: retry, after ``retry_after``
    seconds when the host said how long (``retry-after`` / ``x-ratelimit-reset``)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GitHostDenied(GitError):
    """The git host refuses us for a reason a retry cannot fix: bad or under-privileged
    credentials, a missing organisation or template. The message names the setting to
    change (never its value). Not retryable."""


@dataclass(frozen=True)
class RepoInfo:
    name: str
    url: str
    default_branch: str
    created: bool


@dataclass(frozen=True)
class BranchInfo:
    branch: str
    sha: str
    created: bool


@dataclass(frozen=True)
class CommitResult:
    sha: str
    created: bool
    # True when nothing needed committing (empty patch, or files identical to the branch);
    # sha is then the current head and no idempotency record exists for the key.
    noop: bool = False


@dataclass(frozen=True)
class FileChange:
    """One file a patch changes, as git applied it (not as the patch text claims)."""

    path: str
    status: str  # A added, M modified, D deleted, T type changed
    old_mode: str  # 000000 when the file is new
    new_mode: str  # 000000 when the file is deleted; 100644 a regular file
    binary: bool


# Judges a patch by what git would change; the findings refuse it (empty: allowed).
PatchJudge = Callable[[list[FileChange]], list[str]]


@runtime_checkable
class GitHost(Protocol):
    async def ensure_repo(self, name: str, template_dir: Path) -> RepoInfo: ...

    async def ensure_branch(self, name: str, branch: str, from_ref: str = "main") -> BranchInfo: ...

    async def read_files(
        self, name: str, ref: str, paths_or_globs: list[str]
    ) -> dict[str, str]: ...

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
        """Apply a unified diff as one commit. ``judge`` sees what git applied (paths,
        modes, binaries) before anything is written; its findings raise PatchRefused."""
        ...

    async def commit_files(
        self,
        name: str,
        branch: str,
        files: dict[str, bytes],
        message: str,
        idempotency_key: str,
    ) -> CommitResult: ...

    async def restore(
        self, name: str, branch: str, source_ref: str, message: str, idempotency_key: str
    ) -> CommitResult:
        """A new commit on ``branch`` (parent: its head) whose tree is ``source_ref``'s tree.

        History is never rewritten, and a commit is made even when the trees are equal.
        Idempotent by key; ``RefNotFound`` when ``source_ref`` does not exist.
        """
        ...

    async def merge(
        self, name: str, source: str, target: str, message: str, idempotency_key: str
    ) -> CommitResult:
        """Merge branch ``source`` into ``target`` with a merge commit (target head, source head).

        Already merged: ``CommitResult(target head, created=False, noop=True)``. A merge that
        cannot be made cleanly raises ``MergeConflict`` and moves nothing. Idempotent by key.
        """
        ...

    async def export(self, name: str, ref: str, dest: Path) -> str: ...

    async def count_commits(self, name: str, branch: str) -> int: ...

    async def head(self, name: str, branch: str) -> str: ...
