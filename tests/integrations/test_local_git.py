import asyncio
import os
from pathlib import Path

import pytest

from sitegen.integrations.git import (
    GitHost,
    InvalidGitName,
    LocalGit,
    MergeConflict,
    PatchApplyError,
    RefNotFound,
    RepoNotFound,
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


async def test_ensure_repo_idempotent(git: LocalGit, template: Path) -> None:
    assert isinstance(git, GitHost)
    first = await git.ensure_repo("acme", template)
    assert first.created and first.default_branch == "main"
    assert first.url.startswith("file://")
    second = await git.ensure_repo("acme", template)
    assert not second.created
    assert await git.count_commits("acme", "main") == 1
    files = await git.read_files("acme", "main", ["index.html", "css/*.css", "missing.txt"])
    assert set(files) == {"index.html", "css/site.css"}


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


async def test_concurrent_ensure_repo_makes_one_commit(tmp_path: Path, template: Path) -> None:
    # Two adapters = two workers; they share only the filesystem.
    a = LocalGit(tmp_path / "repos", tmp_path / "w1")
    b = LocalGit(tmp_path / "repos", tmp_path / "w2")
    r1, r2 = await asyncio.gather(a.ensure_repo("acme", template), b.ensure_repo("acme", template))
    assert [r1.created, r2.created].count(True) == 1
    assert await a.count_commits("acme", "main") == 1


async def test_branch_and_patch_idempotent(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    br = await git.ensure_branch("acme", "preview")
    assert br.created
    assert not (await git.ensure_branch("acme", "preview")).created
    c1 = await git.commit_patch("acme", "preview", PATCH, "Apply layout", "wf-1:apply_patch")
    assert c1.created
    c2 = await git.commit_patch("acme", "preview", PATCH, "Apply layout", "wf-1:apply_patch")
    assert c2 == type(c2)(c1.sha, created=False)
    assert await git.count_commits("acme", "preview") == 2
    assert await git.count_commits("acme", "main") == 1
    assert await git.head("acme", "preview") == c1.sha
    files = await git.read_files("acme", "preview", ["index.html"])
    assert "Acme Bakery" in files["index.html"]


async def test_key_match_is_exact(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    await git.commit_files("acme", "main", {"a.txt": b"1"}, "one", "key-10")
    res = await git.commit_files("acme", "main", {"a.txt": b"2"}, "two", "key-1")
    assert res.created  # "key-1" is a substring of "key-10" but a different key


async def test_patch_that_does_not_apply(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    bad = PATCH.replace("<h1>Hello</h1>", "<h1>Nope</h1>")
    with pytest.raises(PatchApplyError) as err:
        await git.commit_patch("acme", "main", bad, "x", "k1")
    assert "patch does not apply" in str(err.value) or "patch failed" in str(err.value)
    with pytest.raises(PatchApplyError):
        await git.commit_patch("acme", "main", "this is not a diff\n", "x", "k2")
    assert await git.count_commits("acme", "main") == 1


async def test_patch_without_trailing_newline(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    res = await git.commit_patch("acme", "main", PATCH.rstrip("\n"), "x", "k1")
    assert res.created


async def test_empty_patch_makes_no_commit_unless_asked(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    head = await git.head("acme", "main")
    res = await git.commit_patch("acme", "main", "", "nothing", "k-empty")
    assert res.noop and not res.created and res.sha == head
    forced = await git.commit_patch("acme", "main", "", "marker", "k-forced", allow_empty=True)
    assert forced.created
    again = await git.commit_patch("acme", "main", "", "marker", "k-forced", allow_empty=True)
    assert again.sha == forced.sha and not again.created
    assert await git.count_commits("acme", "main") == 2


async def test_commit_files_idempotent_and_binary(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    files = {"assets/logo.png": b"\x89PNG\r\n\x1a\nDATA", "assets/readme.txt": b"hi\n"}
    c1 = await git.commit_files("acme", "main", files, "Add assets", "wf-1:download_assets")
    c2 = await git.commit_files("acme", "main", files, "Add assets", "wf-1:download_assets")
    assert c1.created and not c2.created and c1.sha == c2.sha
    # Same content under a new key: nothing changes, so no commit.
    c3 = await git.commit_files("acme", "main", files, "Add assets", "other-key")
    assert c3.noop and c3.sha == c1.sha
    assert await git.count_commits("acme", "main") == 2
    # read_files skips binary files
    got = await git.read_files("acme", "main", ["assets/**"])
    assert set(got) == {"assets/readme.txt"}


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../b", ".git/config", "a//b", ""])
async def test_commit_files_rejects_bad_paths(git: LocalGit, template: Path, path: str) -> None:
    await git.ensure_repo("acme", template)
    with pytest.raises(InvalidGitName):
        await git.commit_files("acme", "main", {path: b"x"}, "bad", "k")


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


async def test_race_with_other_writer_is_retried(tmp_path: Path, template: Path) -> None:
    a = LocalGit(tmp_path / "repos", tmp_path / "w1")
    b = LocalGit(tmp_path / "repos", tmp_path / "w2")
    await a.ensure_repo("acme", template)
    results = await asyncio.gather(
        a.commit_files("acme", "main", {"x.txt": b"x"}, "x", "same-key"),
        b.commit_files("acme", "main", {"x.txt": b"x"}, "x", "same-key"),
        b.commit_files("acme", "main", {"y.txt": b"y"}, "y", "other-key"),
    )
    assert [r.created for r in results[:2]].count(True) == 1
    assert results[0].sha == results[1].sha
    assert await a.count_commits("acme", "main") == 3


async def test_export_is_clean_and_replaces(git: LocalGit, template: Path, tmp_path: Path) -> None:
    await git.ensure_repo("acme", template)
    await git.commit_patch("acme", "main", PATCH, "x", "k1")
    dest = tmp_path / "build" / "src"
    dest.mkdir(parents=True)
    (dest / "stale.txt").write_text("old")
    sha = await git.export("acme", "main", dest)
    assert sha == await git.head("acme", "main")
    assert not (dest / "stale.txt").exists()
    assert not (dest / ".git").exists()
    assert "Acme Bakery" in (dest / "index.html").read_text()
    assert (dest / "css" / "site.css").is_file()
    assert [p.name for p in dest.parent.iterdir()] == ["src"]  # no temp dirs left


async def test_export_neutralises_symlinks(git: LocalGit, tmp_path: Path) -> None:
    t = tmp_path / "tpl-link"
    t.mkdir()
    (t / "index.html").write_text("hi")
    os.symlink("/etc/passwd", t / "passwd")
    await git.ensure_repo("evil", t)
    dest = tmp_path / "out"
    await git.export("evil", "main", dest)
    assert not (dest / "passwd").is_symlink()
    assert (dest / "passwd").read_text() == "/etc/passwd"


async def test_errors(git: LocalGit, template: Path) -> None:
    with pytest.raises(RepoNotFound):
        await git.head("ghost", "main")
    with pytest.raises(InvalidGitName):
        await git.ensure_repo("../escape", template)
    await git.ensure_repo("acme", template)
    with pytest.raises(RefNotFound):
        await git.head("acme", "nope")
    with pytest.raises(RefNotFound):
        await git.ensure_branch("acme", "b", from_ref="nope")
    with pytest.raises(InvalidGitName):
        await git.ensure_branch("acme", "bad..name")
    with pytest.raises(InvalidGitName):
        await git.commit_patch("acme", "main", PATCH, "x", "bad\nkey")


async def parents_of(git: LocalGit, sha: str) -> list[str]:
    out = await git._git(["rev-list", "--parents", "-n", "1", sha], git_dir=git._bare_path("acme"))
    return out.text.split()[1:]


async def tree_of(git: LocalGit, ref: str) -> str:
    return await git._tree_of(git._bare_path("acme"), ref)


async def test_restore_commits_the_old_tree_on_top(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    v1 = await git.head("acme", "main")
    v2 = await git.commit_patch("acme", "main", PATCH, "Apply layout", "wf-1:apply")
    res = await git.restore("acme", "main", v1, "Roll back to v1", "wf-1:rollback:1")
    assert res.created and not res.noop
    assert await parents_of(git, res.sha) == [v2.sha]  # history kept, not rewritten
    assert await tree_of(git, res.sha) == await tree_of(git, v1)
    assert await git.head("acme", "main") == res.sha
    files = await git.read_files("acme", "main", ["index.html"])
    assert "<h1>Hello</h1>" in files["index.html"]
    again = await git.restore("acme", "main", v1, "Roll back to v1", "wf-1:rollback:1")
    assert again == type(again)(res.sha, created=False)
    assert await git.count_commits("acme", "main") == 3


async def test_restore_to_an_equal_tree_still_commits(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    await git.ensure_branch("acme", "preview")
    head = await git.head("acme", "main")
    res = await git.restore("acme", "main", "preview", "Put back the last good version", "k-r")
    assert res.created and not res.noop and res.sha != head
    assert await parents_of(git, res.sha) == [head]
    assert await tree_of(git, res.sha) == await tree_of(git, head)
    assert await git.count_commits("acme", "main") == 2


async def test_restore_errors(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    with pytest.raises(RefNotFound):
        await git.restore("acme", "main", "no-such-ref", "x", "k1")
    with pytest.raises(RefNotFound):
        await git.restore("acme", "nope", "main", "x", "k1")
    with pytest.raises(InvalidGitName):
        await git.restore("acme", "main", "--output=/tmp/x", "x", "k1")
    assert await git.count_commits("acme", "main") == 1


async def test_merge_when_target_has_not_moved(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    main0 = await git.head("acme", "main")
    await git.ensure_branch("acme", "preview")
    change = await git.commit_patch("acme", "preview", PATCH, "Apply layout", "wf-1:apply")
    res = await git.merge("acme", "preview", "main", "Deliver", "wf-1:merge")
    assert res.created and not res.noop
    assert await parents_of(git, res.sha) == [main0, change.sha]
    assert await tree_of(git, res.sha) == await tree_of(git, change.sha)
    assert await git.head("acme", "main") == res.sha
    # A retry finds the merge commit (not "already merged"), and nothing else moves.
    again = await git.merge("acme", "preview", "main", "Deliver", "wf-1:merge")
    assert again == type(again)(res.sha, created=False)
    assert await git.head("acme", "preview") == change.sha
    # Already merged, under a new key: a no-op answering the target head.
    noop = await git.merge("acme", "preview", "main", "Deliver again", "wf-2:merge")
    assert noop == type(noop)(res.sha, created=False, noop=True)
    assert await git.count_commits("acme", "main") == 3


async def test_merge_diverged_branches_cleanly(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    await git.ensure_branch("acme", "preview")
    ours = await git.commit_files("acme", "main", {"robots.txt": b"User-agent: *\n"}, "m", "k1")
    theirs = await git.commit_patch("acme", "preview", PATCH, "Apply layout", "k2")
    res = await git.merge("acme", "preview", "main", "Deliver", "k-merge")
    assert res.created
    assert await parents_of(git, res.sha) == [ours.sha, theirs.sha]
    files = await git.read_files("acme", "main", ["index.html", "robots.txt", "css/site.css"])
    assert "Acme Bakery" in files["index.html"] and files["robots.txt"] == "User-agent: *\n"
    assert set(files) == {"index.html", "robots.txt", "css/site.css"}
    assert (await git.merge("acme", "preview", "main", "Deliver", "k-merge")).sha == res.sha


async def test_merge_conflict_moves_nothing(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    await git.ensure_branch("acme", "preview")
    other = PATCH.replace("Acme Bakery", "Acme Patisserie")
    ours = await git.commit_patch("acme", "main", other, "hotfix", "k1")
    theirs = await git.commit_patch("acme", "preview", PATCH, "layout", "k2")
    with pytest.raises(MergeConflict) as err:
        await git.merge("acme", "preview", "main", "Deliver", "k-merge")
    assert err.value.paths == ("index.html",)
    assert "index.html" in str(err.value)
    assert await git.head("acme", "main") == ours.sha
    assert await git.head("acme", "preview") == theirs.sha
    # Still refused on retry: nothing was recorded under the key.
    with pytest.raises(MergeConflict):
        await git.merge("acme", "preview", "main", "Deliver", "k-merge")


async def test_merge_errors(git: LocalGit, template: Path) -> None:
    await git.ensure_repo("acme", template)
    with pytest.raises(RefNotFound):
        await git.merge("acme", "nope", "main", "x", "k1")
    with pytest.raises(RefNotFound):
        await git.merge("acme", "main", "nope", "x", "k1")
    with pytest.raises(InvalidGitName):
        await git.merge("acme", "bad..name", "main", "x", "k1")
    # Merging a branch into itself is "already merged".
    same = await git.merge("acme", "main", "main", "x", "k1")
    assert same.noop and same.sha == await git.head("acme", "main")
