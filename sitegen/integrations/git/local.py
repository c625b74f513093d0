"""LocalGit: bare repositories on disk, driven by the git CLI.

Commits are built with plumbing against the bare repo (a throwaway index file, ``git apply
--cached``, ``write-tree``, ``commit-tree``) and published with a compare-and-swap
``git update-ref <ref> <new> <old>``. That ref update is the only visible side effect, so a crash
at any earlier point leaves nothing but unreachable objects, and two racing attempts cannot both
win: the loser re-checks the idempotency trailer and finds the winner's commit.

Empty changes: an empty patch, or a patch/file set that leaves the tree unchanged, creates no
commit unless ``allow_empty=True``; the result is ``CommitResult(head, created=False, noop=True)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import structlog

from sitegen.integrations.git._support import (
    GitOutput,
    git_env,
    glob_to_regex,
    is_glob,
    run_git,
    validate_key,
    validate_repo_name,
    validate_repo_path,
)
from sitegen.integrations.git.base import (
    IDEMPOTENCY_TRAILER,
    BranchInfo,
    CommitResult,
    GitError,
    InvalidGitName,
    PatchApplyError,
    RefNotFound,
    RepoInfo,
    RepoNotFound,
)

log = structlog.get_logger()

DEFAULT_BRANCH = "main"
_CAS_ATTEMPTS = 5
# (bare repo, head sha, scratch index path) -> tree sha
_TreeBuilder = Callable[[Path, str, Path], Awaitable[str]]


class LocalGit:
    """Local default for the GitHost port."""

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

    # -- plumbing helpers -------------------------------------------------------------------

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

    async def _branch_ref(self, branch: str) -> str:
        out = await self._git(["check-ref-format", "--branch", branch], check=False)
        if out.returncode != 0 or branch.startswith("-"):
            raise InvalidGitName(f"invalid branch name {branch!r}")
        return f"refs/heads/{branch}"

    async def _cas_ref(self, bare: Path, ref: str, new: str, old: str | None) -> bool:
        """Move ``ref`` to ``new`` only if it still points at ``old`` (None: must not exist)."""
        out = await self._git(["update-ref", ref, new, old or ""], git_dir=bare, check=False)
        return out.returncode == 0

    async def _commit_tree(self, bare: Path, tree: str, parent: str | None, msg: str) -> str:
        args = ["commit-tree", tree, "-F", "-"] + (["-p", parent] if parent else [])
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

    @staticmethod
    def _message(message: str, key: str) -> str:
        return f"{message.rstrip()}\n\n{IDEMPOTENCY_TRAILER}: {key}\n"

    # -- GitHost ----------------------------------------------------------------------------

    async def ensure_repo(self, name: str, template_dir: Path) -> RepoInfo:
        bare = self._bare_path(name)
        template_dir = await asyncio.to_thread(Path(template_dir).resolve)
        async with self._lock(name):
            await self._ensure_bare(bare)
            created = False
            if await self._resolve(bare, f"refs/heads/{DEFAULT_BRANCH}") is None:
                if not await asyncio.to_thread(template_dir.is_dir):
                    raise GitError(f"template directory {template_dir} does not exist")
                async with self._scratch() as tmp:
                    index = tmp / "index"
                    await self._git(["add", "-A", "."], git_dir=bare, work_tree=template_dir,
                                    index=index)  # fmt: skip
                    tree = (await self._git(["write-tree"], git_dir=bare, index=index)).text
                    msg = self._message(f"Initial commit from template {template_dir.name}",
                                        f"init-{name}")  # fmt: skip
                    sha = await self._commit_tree(bare, tree, None, msg)
                    # Must-not-exist CAS: if a concurrent attempt won, keep its commit.
                    created = await self._cas_ref(bare, f"refs/heads/{DEFAULT_BRANCH}", sha, None)
            log.info("git.ensure_repo", repo=name, created=created)
            return RepoInfo(name, bare.as_uri(), DEFAULT_BRANCH, created)

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

    async def ensure_branch(self, name: str, branch: str, from_ref: str = "main") -> BranchInfo:
        bare = await self._bare(name)
        ref = await self._branch_ref(branch)
        async with self._lock(name):
            existing = await self._resolve(bare, ref)
            if existing:
                return BranchInfo(branch, existing, False)
            base = await self._resolve(bare, from_ref)
            if base is None:
                raise RefNotFound(f"ref {from_ref!r} not found in {name!r}")
            if await self._cas_ref(bare, ref, base, None):
                log.info("git.branch_created", repo=name, branch=branch)
                return BranchInfo(branch, base, True)
            return BranchInfo(branch, await self.head(name, branch), False)

    async def head(self, name: str, branch: str) -> str:
        bare = await self._bare(name)
        sha = await self._resolve(bare, await self._branch_ref(branch))
        if sha is None:
            raise RefNotFound(f"branch {branch!r} not found in {name!r}")
        return sha

    async def count_commits(self, name: str, branch: str) -> int:
        bare = await self._bare(name)
        sha = await self.head(name, branch)
        return int((await self._git(["rev-list", "--count", sha], git_dir=bare)).text)

    async def read_files(self, name: str, ref: str, paths_or_globs: list[str]) -> dict[str, str]:
        """Text files matching exact paths or globs (``**/`` spans dirs).

        Missing paths are simply absent from the result; binary (non-UTF-8) files, symlinks
        and submodules are skipped.
        """
        bare = await self._bare(name)
        sha = await self._resolve(bare, ref)
        if sha is None:
            raise RefNotFound(f"ref {ref!r} not found in {name!r}")
        listing = await self._git(["ls-tree", "-r", "-z", "--full-tree", sha], git_dir=bare)
        exact = {p for p in paths_or_globs if not is_glob(p)}
        patterns = [glob_to_regex(p) for p in paths_or_globs if is_glob(p)]
        wanted: list[tuple[str, str]] = []
        for entry in listing.stdout.decode("utf-8", "replace").split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != "blob" or parts[0] == "120000":
                continue
            if path in exact or any(p.match(path) for p in patterns):
                wanted.append((path, parts[2]))
        if not wanted:
            return {}
        batch = "".join(f"{blob}\n" for _, blob in wanted).encode()
        out = (await self._git(["cat-file", "--batch"], git_dir=bare, stdin=batch)).stdout
        result: dict[str, str] = {}
        pos = 0
        for path, _ in wanted:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            body = out[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if "\0" not in text:
                result[path] = text
        return result

    async def commit_patch(
        self,
        name: str,
        branch: str,
        patch: str,
        message: str,
        idempotency_key: str,
        *,
        allow_empty: bool = False,
    ) -> CommitResult:
        """Apply a unified diff (paths relative to the repo root, ``a/``/``b/`` prefixes)."""
        if patch.strip() and not patch.endswith("\n"):
            patch += "\n"  # a missing final newline makes git report a corrupt patch

        async def build_tree(bare: Path, head: str, index: Path) -> str:
            await self._git(["read-tree", head], git_dir=bare, index=index)
            if patch.strip():
                for extra in (["--check"], []):
                    out = await self._git(
                        ["apply", "--cached", "--whitespace=nowarn", *extra, "-"],
                        git_dir=bare, index=index, stdin=patch.encode(), check=False,
                    )  # fmt: skip
                    if out.returncode != 0:
                        raise PatchApplyError("patch does not apply", out.stderr)
            return (await self._git(["write-tree"], git_dir=bare, index=index)).text

        return await self._commit(name, branch, message, idempotency_key, build_tree, allow_empty)

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

        async def build_tree(bare: Path, head: str, index: Path) -> str:
            await self._git(["read-tree", head], git_dir=bare, index=index)
            lines = []
            for path, data in sorted(files.items()):
                blob = await self._git(["hash-object", "-w", "--stdin"], git_dir=bare, stdin=data)
                lines.append(f"100644 {blob.text}\t{path}\n")
            await self._git(["update-index", "--add", "--index-info"], git_dir=bare, index=index,
                            stdin="".join(lines).encode())  # fmt: skip
            return (await self._git(["write-tree"], git_dir=bare, index=index)).text

        return await self._commit(name, branch, message, idempotency_key, build_tree, False)

    async def _commit(
        self, name: str, branch: str, message: str, key: str, build_tree: _TreeBuilder,
        allow_empty: bool,
    ) -> CommitResult:  # fmt: skip
        validate_key(key)
        bare = await self._bare(name)
        ref = await self._branch_ref(branch)
        async with self._lock(name):
            for _ in range(_CAS_ATTEMPTS):
                head = await self._resolve(bare, ref)
                if head is None:
                    raise RefNotFound(f"branch {branch!r} not found in {name!r}")
                found = await self._find_by_key(bare, ref, key)
                if found:
                    log.info("git.commit_exists", repo=name, branch=branch, sha=found)
                    return CommitResult(found, created=False)
                async with self._scratch() as tmp:
                    tree = await build_tree(bare, head, tmp / "index")
                head_tree = (await self._git(["rev-parse", f"{head}^{{tree}}"], git_dir=bare)).text
                if tree == head_tree and not allow_empty:
                    return CommitResult(head, created=False, noop=True)
                sha = await self._commit_tree(bare, tree, head, self._message(message, key))
                if await self._cas_ref(bare, ref, sha, head):
                    log.info("git.committed", repo=name, branch=branch, sha=sha)
                    return CommitResult(sha, created=True)
                log.info("git.commit_raced", repo=name, branch=branch)
        raise GitError(f"branch {branch!r} of {name!r} kept moving; giving up after retries")

    async def export(self, name: str, ref: str, dest: Path) -> str:
        """Write a clean checkout of ``ref`` to ``dest`` (replacing it); return the commit sha.

        Symlinks are written as plain files holding the link text (core.symlinks=false) so a
        repo can never plant a link pointing outside the build directory.
        """
        bare = await self._bare(name)
        sha = await self._resolve(bare, ref)
        if sha is None:
            raise RefNotFound(f"ref {ref!r} not found in {name!r}")
        dest = await asyncio.to_thread(Path(dest).resolve)
        await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
        tmp = dest.parent / f".{dest.name}.export-{uuid.uuid4().hex}"
        try:
            async with self._scratch() as scratch:
                index = scratch / "index"
                cfg = ["-c", "core.symlinks=false"]
                await self._git(["read-tree", sha], git_dir=bare, index=index)
                await asyncio.to_thread(tmp.mkdir)
                await self._git(["checkout-index", "-a", "-f"], git_dir=bare, work_tree=tmp,
                                index=index, extra_config=cfg)  # fmt: skip
            await asyncio.to_thread(_replace_dir, tmp, dest)
        finally:
            await asyncio.to_thread(shutil.rmtree, tmp, True)
        return sha


def _replace_dir(src: Path, dest: Path) -> None:
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    src.rename(dest)
