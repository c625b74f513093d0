"""LocalGit only: recovery from half-made repos on disk and a crash before the ref moves.
The GitHost contract every adapter meets is in test_git_contract.py."""

import asyncio
import os
from pathlib import Path

import pytest

from sitegen.integrations.git import (
    LocalGit,
)

PATCH = """\
--- a/index.html
+++ b/index.html
@@ -1,3 +1,3 @@
 <html>
-<h1>Hello</h1>
+<h1>Acme Bakery</h1>
 </html>
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    t = tmp_path / "template"
    (t / "css").mkdir(parents=True)
    (t / "index.html").write_text("<html>\n<h1>Hello</h1>\n</html>\n")
    (t / "css" / "site.css").write_text("body { color: black; }\n")
    (t / "logo.bin").write_bytes(b"\x00\xff\x00binary")
    return t


@pytest.fixture
def git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalGit:
    # Prove isolation from the caller's environment: no HOME, poisoned GIT_* variables.
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "poison"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "does-not-exist"))
    return LocalGit(tmp_path / "repos", tmp_path / "work")


async def test_ensure_repo_recovers_from_empty_bare_repo(git: LocalGit, template: Path) -> None:
    # Crash after `git init` but before the initial commit: bare repo exists, no main.
    bare = git.repos_root / "acme.git"
    git.repos_root.mkdir(parents=True)
    env = {"PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}
    proc = await asyncio.create_subprocess_exec("git", "init", "-q", "--bare", str(bare), env=env)
    assert await proc.wait() == 0
    info = await git.ensure_repo("acme", template)
    assert info.created
    assert await git.count_commits("acme", "main") == 1


async def test_ensure_repo_recovers_from_garbage_dir(git: LocalGit, template: Path) -> None:
    (git.repos_root / "acme.git").mkdir(parents=True)
    (git.repos_root / "acme.git" / "junk").write_text("half written")
    info = await git.ensure_repo("acme", template)
    assert info.created
    assert await git.count_commits("acme", "main") == 1


async def test_crash_after_objects_before_ref_update(
    git: LocalGit, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await git.ensure_repo("acme", template)
    real_cas = git._cas_ref

    async def crash(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("worker died")

    monkeypatch.setattr(git, "_cas_ref", crash)
    with pytest.raises(RuntimeError):
        await git.commit_patch("acme", "main", PATCH, "x", "k-crash")
    assert await git.count_commits("acme", "main") == 1  # nothing visible happened
    monkeypatch.setattr(git, "_cas_ref", real_cas)
    res = await git.commit_patch("acme", "main", PATCH, "x", "k-crash")
    assert res.created
    assert (await git.commit_patch("acme", "main", PATCH, "x", "k-crash")).created is False
    assert await git.count_commits("acme", "main") == 2
