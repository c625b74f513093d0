"""A built-in template (`templates/<id>/`) published as the GitHub template repository that
projects are generated from, so switching to GitHub needs no hand-made repositories.

The repository is private, marked as a template, in the agency's org, named as
`GitHubGit.template_repo` names it. Its default branch then holds exactly the directory's
files: one commit per change, none when nothing changed, and a retried publish finds its
own commit by the idempotency key (the digest of the files), like every other write.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sitegen.integrations.git._github_tree import blob_sha, listing_of
from sitegen.integrations.git._plumbing import CommitPlan
from sitegen.integrations.git.base import CommitResult, GitHostDenied
from sitegen.integrations.git.github import GitHubGit

# Never part of a template: caches and what a local build leaves behind.
SKIPPED_DIRS = frozenset({".git", "__pycache__", "node_modules", "dist", ".venv"})
SKIPPED_SUFFIXES = (".pyc",)

Files = dict[str, tuple[str, bytes]]  # repo path -> (mode, content)


@dataclass(frozen=True)
class PublishedTemplate:
    repo: str
    commit: str
    created_repo: bool
    changed: bool


def template_files(directory: Path) -> Files:
    files: Files = {}
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            if name.endswith(SKIPPED_SUFFIXES):
                continue
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue  # a template is plain files; a link could point anywhere
            mode = "100755" if os.access(path, os.X_OK) else "100644"
            files[path.relative_to(directory).as_posix()] = (mode, path.read_bytes())
    if not files:
        raise GitHostDenied(f"template directory {directory} holds no files")
    return files


def _key(template_id: str, files: Files, head: str) -> str:
    """The files and the head they go on: the same files again on a later head (after a
    revert, or a commit made by hand) are a new commit, not the old one found by its key."""
    digest = hashlib.sha256()
    for path, (mode, content) in sorted(files.items()):
        digest.update(f"{path}\0{mode}\0{blob_sha(content)}\n".encode())
    return f"template-{template_id}-{digest.hexdigest()[:32]}-{head[:12]}"


async def publish_template(git: GitHubGit, template_id: str, directory: Path) -> PublishedTemplate:
    full = git.template_repo(template_id)
    owner, _, name = full.partition("/")
    if owner != git.org:
        raise GitHostDenied(
            f"{full} is outside the organisation {git.org!r}: publish it there by hand, or "
            f"unmap {template_id!r} in SITEGEN_GITHUB_TEMPLATE_REPOS"
        )
    files = template_files(directory)
    created = False
    info = await git.api.get_repo(name)
    if info is None:
        created = await git.api.create_template_repo(name)
        info = await git.api.get_repo(name)
        if info is None:
            raise GitHostDenied(f"{full} could not be created")
    if not info["is_template"]:
        await git.api.mark_template(name)
    branch = info["default_branch"]
    await git._await_branch(name, branch)
    wanted = {path: (mode, blob_sha(content)) for path, (mode, content) in files.items()}

    async def plan(head: str) -> CommitPlan | CommitResult:
        before = listing_of(await git.api.get_tree(name, await git._tree_of_commit(name, head)))
        if before == wanted:
            return CommitResult(head, created=False, noop=True)
        entries = []
        for path, (mode, content) in files.items():
            sha = wanted[path][1]
            if before.get(path, ("", ""))[1] != sha:
                sha = await git.api.create_blob(name, content)
            entries.append({"path": path, "mode": mode, "type": "blob", "sha": sha})
        # No base tree: the template's files are the whole tree (what it no longer has goes).
        return CommitPlan(await git.api.create_tree(name, None, entries), (head,))

    message = f"Template {template_id}, as shipped with sitegen"
    key = _key(template_id, files, await git.head(name, branch))
    result = await git._publish_remote(name, branch, message, key, plan)
    return PublishedTemplate(full, result.sha, created, result.created)
