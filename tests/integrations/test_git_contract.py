"""The GitHost contract, run on every adapter: LocalGit (bare repos on disk) and GitHubGit
(against the GitHub REST fake). What an activity may rely on, whichever host is configured."""

import asyncio
import os
from pathlib import Path

import pytest

from sitegen.integrations.git import (
    GitHost,
    InvalidGitName,
    MergeConflict,
    PatchApplyError,
    RefNotFound,
    RepoNotFound,
)
from tests.integrations.git_backends import Backend, backend, git, template

__all__ = ["backend", "git", "template"]  # fixtures, imported for pytest

PATCH = """\
--- a/index.html
+++ b/index.html
@@ -1,3 +1,3 @@
 <html>
-<h1>Hello</h1>
+<h1>Acme Bakery</h1>
 </html>
"""


async def test_ensure_repo_idempotent(git: GitHost, template: Path) -> None:
    assert isinstance(git, GitHost)
    first = await git.ensure_repo("acme", template)
    assert first.created and first.default_branch == "main"
    assert first.url.startswith(("file://", "https://"))
    second = await git.ensure_repo("acme", template)
    assert not second.created
    assert await git.count_commits("acme", "main") == 1
    files = await git.read_files("acme", "main", ["index.html", "css/*.css", "missing.txt"])
    assert set(files) == {"index.html", "css/site.css"}


async def test_concurrent_ensure_repo_makes_one_commit(backend: Backend, template: Path) -> None:
    # Two adapters = two workers; they share only the filesystem.
    a, b = backend.make("w1"), backend.make("w2")
    r1, r2 = await asyncio.gather(a.ensure_repo("acme", template), b.ensure_repo("acme", template))
    assert [r1.created, r2.created].count(True) == 1
    assert await a.count_commits("acme", "main") == 1


async def test_branch_and_patch_idempotent(git: GitHost, template: Path) -> None:
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


async def test_key_match_is_exact(git: GitHost, template: Path) -> None:
    await git.ensure_repo("acme", template)
    await git.commit_files("acme", "main", {"a.txt": b"1"}, "one", "key-10")
    res = await git.commit_files("acme", "main", {"a.txt": b"2"}, "two", "key-1")
    assert res.created  # "key-1" is a substring of "key-10" but a different key


async def test_patch_that_does_not_apply(git: GitHost, template: Path) -> None:
    await git.ensure_repo("acme", template)
    bad = PATCH.replace("<h1>Hello</h1>", "<h1>Nope</h1>")
    with pytest.raises(PatchApplyError) as err:
        await git.commit_patch("acme", "main", bad, "x", "k1")
    assert "patch does not apply" in str(err.value) or "patch failed" in str(err.value)
    with pytest.raises(PatchApplyError):
        await git.commit_patch("acme", "main", "this is not a diff\n", "x", "k2")
    assert await git.count_commits("acme", "main") == 1


async def test_patch_without_trailing_newline(git: GitHost, template: Path) -> None:
    await git.ensure_repo("acme", template)
    res = await git.commit_patch("acme", "main", PATCH.rstrip("\n"), "x", "k1")
    assert res.created


async def test_empty_patch_makes_no_commit_unless_asked(git: GitHost, template: Path) -> None:
    await git.ensure_repo("acme", template)
    head = await git.head("acme", "main")
    res = await git.commit_patch("acme", "main", "", "nothing", "k-empty")
    assert res.noop and not res.created and res.sha == head
    forced = await git.commit_patch("acme", "main", "", "marker", "k-forced", allow_empty=True)
    assert forced.created
    again = await git.commit_patch("acme", "main", "", "marker", "k-forced", allow_empty=True)
    assert again.sha == forced.sha and not again.created
    assert await git.count_commits("acme", "main") == 2


async def test_commit_files_idempotent_and_binary(git: GitHost, template: Path) -> None:
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
async def test_commit_files_rejects_bad_paths(git: GitHost, template: Path, path: str) -> None:
    await git.ensure_repo("acme", template)
    with pytest.raises(InvalidGitName):
        await git.commit_files("acme", "main", {path: b"x"}, "bad", "k")


async def test_race_with_other_writer_is_retried(backend: Backend, template: Path) -> None:
    a, b = backend.make("w1"), backend.make("w2")
    await a.ensure_repo("acme", template)
    results = await asyncio.gather(
        a.commit_files("acme", "main", {"x.txt": b"x"}, "x", "same-key"),
        b.commit_files("acme", "main", {"x.txt": b"x"}, "x", "same-key"),
        b.commit_files("acme", "main", {"y.txt": b"y"}, "y", "other-key"),
    )
    created = [r.created for r in results[:2]].count(True)
    # On GitHub two racers can build the byte-identical commit (same tree, parent, message
    # and second): the second fast-forward is then a no-op that GitHub reports as a success.
    # Either way there is one commit for the key.
    assert created == 1 or (backend.kind == "github" and created == 2)
    assert results[0].sha == results[1].sha
    assert await a.count_commits("acme", "main") == 3


async def test_export_is_clean_and_replaces(git: GitHost, template: Path, tmp_path: Path) -> None:
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


async def test_export_neutralises_symlinks(git: GitHost, tmp_path: Path, backend: Backend) -> None:
    t = tmp_path / "tpl-link"
    t.mkdir()
    (t / "index.html").write_text("hi")
    os.symlink("/etc/passwd", t / "passwd")
    backend.template(t)
    await git.ensure_repo("evil", t)
    dest = tmp_path / "out"
    await git.export("evil", "main", dest)
    assert not (dest / "passwd").is_symlink()
    assert (dest / "passwd").read_text() == "/etc/passwd"


async def test_errors(git: GitHost, template: Path) -> None:
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


async def test_restore_commits_the_old_tree_on_top(
    git: GitHost, template: Path, backend: Backend
) -> None:
    await git.ensure_repo("acme", template)
    v1 = await git.head("acme", "main")
    v2 = await git.commit_patch("acme", "main", PATCH, "Apply layout", "wf-1:apply")
    res = await git.restore("acme", "main", v1, "Roll back to v1", "wf-1:rollback:1")
    assert res.created and not res.noop
    assert backend.parents("acme", res.sha) == [v2.sha]  # history kept, not rewritten
    assert backend.tree("acme", res.sha) == backend.tree("acme", v1)
    assert await git.head("acme", "main") == res.sha
    files = await git.read_files("acme", "main", ["index.html"])
    assert "<h1>Hello</h1>" in files["index.html"]
    again = await git.restore("acme", "main", v1, "Roll back to v1", "wf-1:rollback:1")
    assert again == type(again)(res.sha, created=False)
    assert await git.count_commits("acme", "main") == 3


async def test_restore_to_an_equal_tree_still_commits(
    git: GitHost, template: Path, backend: Backend
) -> None:
    await git.ensure_repo("acme", template)
    await git.ensure_branch("acme", "preview")
    head = await git.head("acme", "main")
    res = await git.restore("acme", "main", "preview", "Put back the last good version", "k-r")
    assert res.created and not res.noop and res.sha != head
    assert backend.parents("acme", res.sha) == [head]
    assert backend.tree("acme", res.sha) == backend.tree("acme", head)
    assert await git.count_commits("acme", "main") == 2


async def test_restore_errors(git: GitHost, template: Path) -> None:
    await git.ensure_repo("acme", template)
    with pytest.raises(RefNotFound):
        await git.restore("acme", "main", "no-such-ref", "x", "k1")
    with pytest.raises(RefNotFound):
        await git.restore("acme", "nope", "main", "x", "k1")
    with pytest.raises(InvalidGitName):
        await git.restore("acme", "main", "--output=/tmp/x", "x", "k1")
    assert await git.count_commits("acme", "main") == 1


async def test_merge_when_target_has_not_moved(
    git: GitHost, template: Path, backend: Backend
) -> None:
    await git.ensure_repo("acme", template)
    main0 = await git.head("acme", "main")
    await git.ensure_branch("acme", "preview")
    change = await git.commit_patch("acme", "preview", PATCH, "Apply layout", "wf-1:apply")
    res = await git.merge("acme", "preview", "main", "Deliver", "wf-1:merge")
    assert res.created and not res.noop
    assert backend.parents("acme", res.sha) == [main0, change.sha]
    assert backend.tree("acme", res.sha) == backend.tree("acme", change.sha)
    assert await git.head("acme", "main") == res.sha
    # A retry finds the merge commit (not "already merged"), and nothing else moves.
    again = await git.merge("acme", "preview", "main", "Deliver", "wf-1:merge")
    assert again == type(again)(res.sha, created=False)
    assert await git.head("acme", "preview") == change.sha
    # Already merged, under a new key: a no-op answering the target head.
    noop = await git.merge("acme", "preview", "main", "Deliver again", "wf-2:merge")
    assert noop == type(noop)(res.sha, created=False, noop=True)
    assert await git.count_commits("acme", "main") == 3


async def test_merge_diverged_branches_cleanly(
    git: GitHost, template: Path, backend: Backend
) -> None:
    await git.ensure_repo("acme", template)
    await git.ensure_branch("acme", "preview")
    ours = await git.commit_files("acme", "main", {"robots.txt": b"User-agent: *\n"}, "m", "k1")
    theirs = await git.commit_patch("acme", "preview", PATCH, "Apply layout", "k2")
    res = await git.merge("acme", "preview", "main", "Deliver", "k-merge")
    assert res.created
    assert backend.parents("acme", res.sha) == [ours.sha, theirs.sha]
    files = await git.read_files("acme", "main", ["index.html", "robots.txt", "css/site.css"])
    assert "Acme Bakery" in files["index.html"] and files["robots.txt"] == "User-agent: *\n"
    assert set(files) == {"index.html", "robots.txt", "css/site.css"}
    assert (await git.merge("acme", "preview", "main", "Deliver", "k-merge")).sha == res.sha


async def test_merge_conflict_moves_nothing(git: GitHost, template: Path) -> None:
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


async def test_merge_errors(git: GitHost, template: Path) -> None:
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
