"""LocalGit: bare repositories on disk, driven by the git CLI.

Commits are built with plumbing against the bare repo (a throwaway index file, ``git apply
--cached``, ``write-tree``, ``commit-tree``) and published with a compare-and-swap
``git update-ref <ref> <new> <old>``. That ref update is the only visible side effect, so a crash
at any earlier point leaves nothing but unreachable objects, and two racing attempts cannot both
win: the loser re-checks the idempotency trailer and finds the winner's commit.

Empty changes: an empty patch, or a patch/file set that leaves the tree unchanged, creates no
commit unless ``allow_empty=True``; the result is ``CommitResult(head, created=False, noop=True)``.

History is only ever added to: ``restore`` puts an earlier tree back as a new commit on top of
the branch (always a commit, even when the trees are equal, so the rollback is on record), and
``merge`` writes a two-parent merge commit (source's tree when the target never moved, else a
``git merge-tree --write-tree`` three-way merge that refuses conflicts with ``MergeConflict``).
Both are idempotent by key through the same trailer and CAS as every other commit.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from sitegen.contracts.patches import glob_regex, is_glob
from sitegen.integrations.git._plumbing import DEFAULT_BRANCH, CommitPlan, GitPlumbing
from sitegen.integrations.git._support import validate_repo_path
from sitegen.integrations.git.base import (
    BranchInfo,
    CommitResult,
    GitError,
    MergeConflict,
    PatchJudge,
    RefNotFound,
    RepoInfo,
)

log = structlog.get_logger()

__all__ = ["DEFAULT_BRANCH", "LocalGit"]

# (bare repo, head sha, scratch index path) -> tree sha
_TreeBuilder = Callable[[Path, str, Path], Awaitable[str]]


class LocalGit(GitPlumbing):
    """Local default for the GitHost port."""

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
                    sha = await self._commit_tree(bare, tree, (), msg)
                    # Must-not-exist CAS: if a concurrent attempt won, keep its commit.
                    created = await self._cas_ref(bare, f"refs/heads/{DEFAULT_BRANCH}", sha, None)
            log.info("git.ensure_repo", repo=name, created=created)
            return RepoInfo(name, bare.as_uri(), DEFAULT_BRANCH, created)

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
        patterns = [glob_regex(p) for p in paths_or_globs if is_glob(p)]
        wanted: list[tuple[str, str]] = []
        for entry in listing.stdout.decode("utf-8", "replace").split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != "blob" or parts[0] == "120000":
                continue
            if path in exact or any(p.fullmatch(path) for p in patterns):
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
        judge: PatchJudge | None = None,
    ) -> CommitResult:
        """Apply a unified diff (paths relative to the repo root, ``a/``/``b/`` prefixes)
        to a scratch index; ``judge`` rules on what it changed before anything is written."""
        if patch.strip() and not patch.endswith("\n"):
            patch += "\n"  # a missing final newline makes git report a corrupt patch

        async def build_tree(bare: Path, head: str, index: Path) -> str:
            await self._git(["read-tree", head], git_dir=bare, index=index)
            await self._apply_judged(bare, head, index, patch, judge)
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
        """A one-parent commit of whatever tree ``build_tree`` makes from the branch head."""

        async def plan(bare: Path, head: str, tmp: Path) -> CommitPlan | CommitResult:
            tree = await build_tree(bare, head, tmp / "index")
            if tree == await self._tree_of(bare, head) and not allow_empty:
                return CommitResult(head, created=False, noop=True)
            return CommitPlan(tree, (head,))

        return await self._publish(name, branch, message, key, plan)

    async def restore(
        self, name: str, branch: str, source_ref: str, message: str, idempotency_key: str
    ) -> CommitResult:
        """A new commit on ``branch`` whose tree is exactly ``source_ref``'s tree.

        Rolls back without rewriting history: the parent is the branch head, and a commit is
        made even when the trees are already equal (the rollback itself is on record).
        """

        async def plan(bare: Path, head: str, tmp: Path) -> CommitPlan:
            # Resolved after the key check, so a retry still finds its commit if the
            # source ref has since gone.
            source = await self._resolve(bare, source_ref)
            if source is None:
                raise RefNotFound(f"ref {source_ref!r} not found in {name!r}")
            return CommitPlan(await self._tree_of(bare, source), (head,))

        return await self._publish(name, branch, message, idempotency_key, plan)

    async def merge(
        self, name: str, source: str, target: str, message: str, idempotency_key: str
    ) -> CommitResult:
        """Merge branch ``source`` into branch ``target`` with a merge commit.

        Parents are (target head, source head). Already merged (source head is an ancestor
        of target's): ``CommitResult(target head, created=False, noop=True)``. Target never
        moved since source branched: the merge tree is source's tree. Otherwise a three-way
        ``merge-tree``; conflicts raise ``MergeConflict`` and move nothing.
        """
        source_ref = await self._branch_ref(source)

        async def plan(bare: Path, head: str, tmp: Path) -> CommitPlan | CommitResult:
            theirs = await self._resolve(bare, source_ref)
            if theirs is None:
                raise RefNotFound(f"branch {source!r} not found in {name!r}")
            if await self._is_ancestor(bare, theirs, head):
                return CommitResult(head, created=False, noop=True)
            if await self._is_ancestor(bare, head, theirs):
                tree = await self._tree_of(bare, theirs)
            else:
                tree = await self._merge_tree(bare, head, theirs, name)
            return CommitPlan(tree, (head, theirs))

        return await self._publish(name, target, message, idempotency_key, plan)

    async def _merge_tree(self, bare: Path, ours: str, theirs: str, name: str) -> str:
        args = ["merge-tree", "--write-tree", "--no-messages", "--name-only", "-z", ours, theirs]
        out = await self._git(args, git_dir=bare, check=False)
        # -z output: the tree id, then (on conflict) each conflicted path, all NUL-terminated.
        fields = out.stdout.decode("utf-8", "replace").split("\0")
        tree = fields[0].strip()
        if out.returncode == 0 and tree:
            return tree
        if out.returncode == 1 and len(tree) >= 40:
            paths = tuple(dict.fromkeys(p for p in fields[1:] if p))
            log.info("git.merge_conflict", repo=name, paths=list(paths))
            raise MergeConflict(paths)
        raise GitError("git merge-tree failed", out.stderr)

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
