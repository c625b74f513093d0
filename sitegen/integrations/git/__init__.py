from sitegen.integrations.git.base import (
    IDEMPOTENCY_TRAILER,
    BranchInfo,
    CommitResult,
    GitError,
    GitHost,
    InvalidGitName,
    MergeConflict,
    PatchApplyError,
    RefNotFound,
    RepoInfo,
    RepoNotFound,
)
from sitegen.integrations.git.local import LocalGit

__all__ = [
    "IDEMPOTENCY_TRAILER",
    "BranchInfo",
    "CommitResult",
    "GitError",
    "GitHost",
    "InvalidGitName",
    "LocalGit",
    "MergeConflict",
    "PatchApplyError",
    "RefNotFound",
    "RepoInfo",
    "RepoNotFound",
]
