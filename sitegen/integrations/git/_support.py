"""Helpers for LocalGit: an isolated git subprocess runner, name validation, path globbing."""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sitegen.contracts.patches import safe_repo_path
from sitegen.integrations.git.base import GitError, InvalidGitName

_REPO_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,255}$")
_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class GitOutput:
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace").strip()


def git_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A from-scratch environment: no user/system config, no inherited GIT_* variables.

    Building it from nothing (rather than copying os.environ) means a stray GIT_DIR,
    GIT_INDEX_FILE or an unset/readonly HOME in the worker cannot change what git does.
    """
    env = {
        "PATH": os.environ.get("PATH") or _DEFAULT_PATH,
        "HOME": str(home),
        "LC_ALL": "C",
        "LANG": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
    }
    if extra:
        env.update(extra)
    return env


async def run_git(
    git_bin: str,
    config: list[str],
    args: list[str],
    *,
    env: dict[str, str],
    stdin: bytes | None = None,
    check: bool = True,
    what: str = "git",
) -> GitOutput:
    """Run git without blocking the loop; kill it if the awaiting task is cancelled."""
    proc = await asyncio.create_subprocess_exec(
        git_bin,
        *config,
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await proc.communicate(stdin)
    except BaseException:
        # Temporal cancels activities by cancelling the task: don't leave git running.
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    result = GitOutput(proc.returncode or 0, out, err.decode("utf-8", "replace"))
    if check and result.returncode != 0:
        raise GitError(f"{what} failed (git {args[0] if args else ''})", result.stderr)
    return result


def validate_repo_name(name: str) -> str:
    if not _REPO_NAME_RE.fullmatch(name or "") or ".." in name or name.endswith(".git"):
        raise InvalidGitName(f"invalid repository name {name!r}")
    return name


def validate_key(key: str) -> str:
    if not _KEY_RE.fullmatch(key or ""):
        raise InvalidGitName(
            "idempotency key must be 1-256 chars of [A-Za-z0-9._:/@+=-], starting alphanumeric"
        )
    return key


def validate_repo_path(path: str) -> str:
    """A file path inside the repo: relative, normalised, never touching .git."""
    if not safe_repo_path(path):
        raise InvalidGitName(f"invalid file path {path!r}")
    return path
