"""GitHubGit's local half: trees are computed in a scratch git index, then pushed.

GitHub's Git Data API can store objects but cannot apply a diff, so a patch is applied here
exactly as LocalGit applies it (``GitPlumbing._apply_judged``: ``git apply --cached``, then the
judge rules on what git changed). The scratch index is loaded from the base commit's recursive
tree listing; only the blobs the patch touches are fetched, into a per-repository object cache
under the work dir (git objects are content-addressed, so a cached blob never goes stale).
The index therefore names objects this machine does not have, which is why trees are written
with ``--missing-ok``: the tree ids still come out exactly as GitHub computes them, and both
the base tree and the pushed tree are checked against GitHub's own answer.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from sitegen.integrations.git._github_api import GitHubApi, TreeEntry
from sitegen.integrations.git._plumbing import GitPlumbing
from sitegen.integrations.git.base import GitError, PatchApplyError

_FETCH_CONCURRENCY = 8
_SUBMODULE = "160000"
# (mode, sha) of every file in a tree, by path
Listing = dict[str, tuple[str, str]]


def blob_sha(data: bytes) -> str:
    """The git blob id of ``data``: what GitHub will call it once written."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def listing_of(entries: list[TreeEntry]) -> Listing:
    return {e.path: (e.mode, e.sha) for e in entries if e.type in ("blob", "commit")}


class TreeWork(GitPlumbing):
    api: GitHubApi

    async def _cache(self, name: str) -> Path:
        bare = self._bare_path(name)
        await self._ensure_bare(bare)
        return bare

    async def _load_index(self, bare: Path, index: Path, listing: Listing, tree: str) -> None:
        """Fill the scratch ``index`` with ``listing`` (GitHub's tree ``tree``)."""
        info = "".join(f"{mode} {sha}\t{path}\0" for path, (mode, sha) in listing.items())
        await self._git(["update-index", "-z", "--add", "--index-info"], git_dir=bare,
                        index=index, stdin=info.encode())  # fmt: skip
        local = await self._write_tree(bare, index)
        if local != tree:
            raise GitError(f"the listing of tree {tree} rebuilds as {local}; nothing written")

    async def _write_tree(self, bare: Path, index: Path) -> str:
        return (await self._git(["write-tree", "--missing-ok"], git_dir=bare, index=index)).text

    async def _index_listing(self, bare: Path, index: Path) -> Listing:
        out = await self._git(["ls-files", "--stage", "-z"], git_dir=bare, index=index)
        listing: Listing = {}
        for record in out.stdout.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = record.partition("\t")
            if path:
                mode, sha, _stage = meta.split(" ")
                listing[path] = (mode, sha)
        return listing

    async def _touched_paths(self, bare: Path, patch: str) -> set[str]:
        """Every path ``git apply`` will read for ``patch``: the files it names as git strips
        them (``--numstat``), and the sources of renames and copies, which numstat omits."""
        out = await self._git(["apply", "--numstat", "-z", "-"], git_dir=bare,
                              stdin=patch.encode(), check=False)  # fmt: skip
        if out.returncode != 0:
            raise PatchApplyError("patch does not apply", out.stderr)
        paths = {f.rpartition("\t")[2] for f in out.stdout.decode("utf-8", "replace").split("\0")}
        for line in patch.splitlines():
            for header in ("rename from ", "copy from "):
                if line.startswith(header):
                    paths.add(line[len(header) :])
        paths.discard("")
        return paths

    async def _fetch_blobs(self, name: str, bare: Path, shas: set[str]) -> None:
        """Copy the blobs ``shas`` from GitHub into the cache, unless already there."""
        if not shas:
            return
        wanted = sorted(shas)
        check = await self._git(["cat-file", "--batch-check"], git_dir=bare,
                                stdin="".join(f"{s}\n" for s in wanted).encode())  # fmt: skip
        missing = [line.split()[0] for line in check.text.splitlines() if line.endswith(" missing")]
        gate = asyncio.Semaphore(_FETCH_CONCURRENCY)

        async def fetch(sha: str) -> None:
            async with gate:
                data = await self.api.get_blob(name, sha)
            written = await self._git(["hash-object", "-w", "--stdin"], git_dir=bare, stdin=data)
            if written.text != sha:
                raise GitError(f"blob {sha} of {name} came back as {written.text}")

        await asyncio.gather(*(fetch(sha) for sha in missing))

    async def _read_blobs(self, bare: Path, shas: list[str]) -> dict[str, bytes]:
        if not shas:
            return {}
        batch = "".join(f"{sha}\n" for sha in shas).encode()
        out = (await self._git(["cat-file", "--batch"], git_dir=bare, stdin=batch)).stdout
        bodies: dict[str, bytes] = {}
        pos = 0
        for sha in shas:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            bodies[sha] = out[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return bodies

    async def _push_tree(
        self, name: str, bare: Path, base_tree: str, before: Listing, after: Listing, tree: str
    ) -> str:
        """Write to GitHub the tree ``tree`` that the scratch index holds (``after``), as
        ``base_tree`` (``before``) plus the changed entries; check GitHub got the same tree."""
        changed = {p: v for p, v in after.items() if before.get(p) != v}
        deleted = sorted(set(before) - set(after))
        if not changed and not deleted:
            return base_tree
        new_blobs = sorted({sha for mode, sha in changed.values() if mode != _SUBMODULE})
        bodies = await self._read_blobs(bare, new_blobs)
        written = await asyncio.gather(*(self.api.create_blob(name, bodies[s]) for s in new_blobs))
        if list(written) != new_blobs:
            raise GitError(f"GitHub stored different blobs than were judged for {name}")
        entries: list[dict[str, Any]] = [
            {"path": p, "mode": mode, "type": "commit" if mode == _SUBMODULE else "blob",
             "sha": sha}
            for p, (mode, sha) in sorted(changed.items())
        ]  # fmt: skip
        entries += [
            {"path": p, "mode": before[p][0], "sha": None,
             "type": "commit" if before[p][0] == _SUBMODULE else "blob"}
            for p in deleted
        ]  # fmt: skip
        remote = await self.api.create_tree(name, base_tree, entries)
        if remote != tree:
            # Never commit a tree other than the one the judge saw.
            raise GitError(f"GitHub built tree {remote} where {tree} was judged; nothing committed")
        return remote

    async def _both_changed(self, name: str, ours: str, theirs: str) -> tuple[str, ...]:
        """Paths both branch heads changed, differently, since their merge base (searched in
        the last 100 commits): what a refused merge names. GitHub's 409 names no paths, and
        every real conflict is among these (git may still merge some of them line by line)."""
        theirs_seen = {sha for sha, _ in await self.api.commit_messages(name, theirs, 1, 100)}
        ours_log = await self.api.commit_messages(name, ours, 1, 100)
        base = next((sha for sha, _ in ours_log if sha in theirs_seen), None)
        if base is None:
            return ()
        trees = []
        for commit in (base, ours, theirs):
            info = await self.api.get_commit(name, commit)
            trees.append(listing_of(await self.api.get_tree(name, info[0])) if info else {})
        old, mine, other = trees
        paths = set(old) | set(mine) | set(other)
        return tuple(
            sorted(
                p
                for p in paths
                if old.get(p) != mine.get(p) != other.get(p) and old.get(p) != other.get(p)
            )
        )
