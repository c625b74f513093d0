"""Unpacking a host's tarball of a commit into a build directory, safely.

The archive comes from the network, so nothing in it is trusted: every member path must be a
safe repository path once the top folder (``{owner}-{repo}-{sha}/``) is stripped, only
directories and regular files are written, and a symlink becomes a plain file holding its
target's text, as LocalGit's export writes them (``core.symlinks=false``), so a repository can
never plant a link pointing outside the build directory.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

from sitegen.contracts.patches import safe_repo_path
from sitegen.integrations.git.base import GitError


def extract_tarball(data: bytes, dest: Path) -> None:
    """Write the archive's files under ``dest`` (an empty directory)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for member in archive:
            _, _, rel = member.name.partition("/")
            rel = rel.rstrip("/")
            if not rel:
                continue  # the top folder itself
            if not safe_repo_path(rel):
                raise GitError(f"refusing an archive member with an unsafe path: {rel!r}")
            target = dest / rel
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if member.isreg():
                source = archive.extractfile(member)
                if source is None:
                    raise GitError(f"unreadable archive member {rel!r}")
                body = source
            elif member.issym():
                body = io.BytesIO(member.linkname.encode())
            else:
                continue  # hard links, devices, fifos: nothing git would put in a tree
            target.parent.mkdir(parents=True, exist_ok=True)
            # Refuse to write through anything but a real directory: a parent that is not
            # one (or a duplicate name) means the archive is not a plain tree.
            if target.is_symlink() or target.is_dir():
                raise GitError(f"refusing to overwrite {rel!r} in the archive")
            with target.open("wb") as out:
                shutil.copyfileobj(body, out)
            target.chmod(0o755 if member.isreg() and member.mode & 0o100 else 0o644)
