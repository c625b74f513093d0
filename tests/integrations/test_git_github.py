"""GitHubGit beyond the shared contract (test_git_contract.py): idempotency when GitHub did
the work but the answer was lost, hostile patches refused with nothing written, errors that
say which setting to fix, and a token that never shows up in a log or an error."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from sitegen.activities.patch_scope import judge_for
from sitegen.integrations.git import (
    GitHostDenied,
    GitHostUnavailable,
    PatchApplyError,
    PatchRefused,
)
from sitegen.integrations.git.github import GitHubGit
from sitegen.integrations.providers import make_git
from sitegen.settings import REPO_ROOT, Settings
from tests.activities.test_patch_gate import HOSTILE, TEMPLATE
from tests.fakes.github import FakeGitHub
from tests.integrations.git_backends import ORG, TOKEN

PATCH = """\
--- a/index.html
+++ b/index.html
@@ -1,3 +1,3 @@
 <html>
-<h1>Hello</h1>
+<h1>Acme Bakery</h1>
 </html>
"""
WRITES = r"/git/(blobs|trees|commits|refs)$|/git/refs/|/merges$|/generate$"


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(tmp_path / "github", token=TOKEN, orgs=(ORG,)) as f:
        yield f


@pytest.fixture
def template(tmp_path: Path, fake: FakeGitHub) -> Path:
    t = tmp_path / "landing"
    t.mkdir()
    (t / "index.html").write_text("<html>\n<h1>Hello</h1>\n</html>\n")
    fake.add_template(f"{ORG}/sitegen-template-landing", t)
    return t


def adapter(fake: FakeGitHub, tmp_path: Path, token: str = TOKEN, org: str = ORG) -> GitHubGit:
    return GitHubGit(token, org, tmp_path / "gh-work", api_url=fake.url)


async def test_a_lost_create_answer_finds_the_repo(
    fake: FakeGitHub, template: Path, tmp_path: Path
) -> None:
    git = adapter(fake, tmp_path)
    fake.fail("POST", r"/generate$", 502, after=True)  # created, but the answer never came
    with pytest.raises(GitHostUnavailable):
        await git.ensure_repo("acme", template)
    info = await git.ensure_repo("acme", template)
    assert not info.created and info.default_branch == "main"
    assert fake.count("POST", r"/generate$") == 1
    assert [r for r in fake.repos if not r.startswith(f"{ORG}/sitegen-template")] == ["agency/acme"]
    assert await git.count_commits("acme", "main") == 1


async def test_a_create_that_raced_reuses_the_repo(
    fake: FakeGitHub, template: Path, tmp_path: Path
) -> None:
    # Another worker created it between our read and our create: GitHub answers 422.
    first = await adapter(fake, tmp_path).ensure_repo("acme", template)
    fake.fail("GET", r"/repos/agency/acme$", 404, message="Not Found")
    again = await GitHubGit(TOKEN, ORG, tmp_path / "w2", api_url=fake.url).ensure_repo(
        "acme", template
    )
    assert first.created and not again.created
    assert fake.count("POST", r"/generate$") == 2  # the second got 422 and read it back


async def test_a_lost_ref_update_answer_does_not_commit_twice(
    fake: FakeGitHub, template: Path, tmp_path: Path
) -> None:
    git = adapter(fake, tmp_path)
    await git.ensure_repo("acme", template)
    fake.fail("PATCH", r"/git/refs/heads/main$", 502, after=True)
    with pytest.raises(GitHostUnavailable):
        await git.commit_patch("acme", "main", PATCH, "Apply", "wf-1:apply_patch")
    retry = await git.commit_patch("acme", "main", PATCH, "Apply", "wf-1:apply_patch")
    assert not retry.created and retry.sha == await git.head("acme", "main")
    assert await git.count_commits("acme", "main") == 2


async def test_a_commit_object_made_but_never_published_is_made_again(
    fake: FakeGitHub, template: Path, tmp_path: Path
) -> None:
    git = adapter(fake, tmp_path)
    await git.ensure_repo("acme", template)
    fake.fail("POST", r"/git/commits$", 500, after=True)  # an unreachable commit: invisible
    with pytest.raises(GitHostUnavailable):
        await git.commit_files("acme", "main", {"a.txt": b"a"}, "Add", "k-files")
    retry = await git.commit_files("acme", "main", {"a.txt": b"a"}, "Add", "k-files")
    assert retry.created
    assert await git.count_commits("acme", "main") == 2


async def test_a_lost_merge_answer_does_not_merge_twice(
    fake: FakeGitHub, template: Path, tmp_path: Path
) -> None:
    git = adapter(fake, tmp_path)
    await git.ensure_repo("acme", template)
    await git.ensure_branch("acme", "preview")
    await git.commit_patch("acme", "preview", PATCH, "layout", "k-layout")
    fake.fail("POST", r"/merges$", 502, after=True)
    with pytest.raises(GitHostUnavailable):
        await git.merge("acme", "preview", "main", "Deliver", "wf-1:merge")
    retry = await git.merge("acme", "preview", "main", "Deliver", "wf-1:merge")
    assert not retry.created and retry.sha == await git.head("acme", "main")
    assert fake.count("POST", r"/merges$") == 1
    assert await git.count_commits("acme", "main") == 3  # initial, layout, one merge


@pytest.fixture
def site(fake: FakeGitHub, tmp_path: Path) -> GitHubGit:
    fake.add_template(f"{ORG}/sitegen-template-landing", REPO_ROOT / "templates" / "landing")
    return adapter(fake, tmp_path)


@pytest.mark.parametrize("diff", HOSTILE.values(), ids=HOSTILE.keys())
async def test_hostile_patches_write_nothing(fake: FakeGitHub, site: GitHubGit, diff: str) -> None:
    await site.ensure_repo("site", REPO_ROOT / "templates" / "landing")
    head = await site.head("site", "main")
    before = len([c for c in fake.calls if c[0] != "GET"])
    with pytest.raises((PatchRefused, PatchApplyError)):
        await site.commit_patch(
            "site", "main", diff, "hostile", "k-hostile", judge=judge_for(TEMPLATE)
        )
    assert len([c for c in fake.calls if c[0] != "GET"]) == before  # not even a blob
    assert await site.head("site", "main") == head


async def test_the_judge_sees_what_git_writes(site: GitHubGit) -> None:
    await site.ensure_repo("site", REPO_ROOT / "templates" / "landing")
    judge = judge_for(TEMPLATE)
    cases = {
        "no a/ b/ prefixes (git strips 'content/')": ["pages/x.json is not an editable file"],
        "a symlink": ["content/pages/link.json: mode 120000; only regular, non-executable files"],
        "an executable": [
            "content/pages/run.json: mode 100755; only regular, non-executable files"
        ],
    }
    for name, problems in cases.items():
        with pytest.raises(PatchRefused) as refused:
            await site.commit_patch("site", "main", HOSTILE[name], "x", "k", judge=judge)
        assert refused.value.problems == problems, name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_errors_name_the_setting_never_the_token(
    fake: FakeGitHub,
    template: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    async def failure(call: object) -> Exception:
        with pytest.raises(Exception) as err:
            await call  # type: ignore[misc]
        seen.extend([str(err.value), repr(err.value), str(err.value.__cause__)])
        return err.value

    bad = await failure(adapter(fake, tmp_path, token=TOKEN[:-3] + "bad").head("acme", "main"))
    assert isinstance(bad, GitHostDenied) and "SITEGEN_GITHUB_TOKEN" in str(bad)
    no_org = await failure(adapter(fake, tmp_path, org="nobody").ensure_repo("acme", template))
    assert isinstance(no_org, GitHostDenied) and "SITEGEN_GITHUB_ORG" in str(no_org)
    git = adapter(fake, tmp_path)
    no_tpl = await failure(git.ensure_repo("acme", tmp_path / "saas"))
    assert isinstance(no_tpl, GitHostDenied) and "SITEGEN_GITHUB_TEMPLATE_REPOS" in str(no_tpl)
    await git.ensure_repo("acme", template)
    fake.fail("GET", r"/git/ref/", 403, headers={"retry-after": "7"},
              message="You have exceeded a secondary rate limit")  # fmt: skip
    limited = await failure(git.head("acme", "main"))
    assert isinstance(limited, GitHostUnavailable) and limited.retry_after == 7
    fake.fail("GET", r"/git/ref/", 429, headers={"retry-after": "3"}, message="Too many")
    assert (await failure(git.head("acme", "main"))).retry_after == 3  # type: ignore[attr-defined]
    fake.fail("GET", r"/git/ref/", 503, times=1)
    assert isinstance(await failure(git.head("acme", "main")), GitHostUnavailable)
    fake.fail("GET", r"/git/ref/", 403, message="Resource not accessible by integration")
    forbidden = await failure(git.head("acme", "main"))
    assert isinstance(forbidden, GitHostDenied) and "SITEGEN_GITHUB_TOKEN" in str(forbidden)
    down = GitHubGit(TOKEN, ORG, tmp_path / "w3", api_url=f"http://127.0.0.1:{free_port()}")
    assert isinstance(await failure(down.head("acme", "main")), GitHostUnavailable)
    out = capsys.readouterr()
    for text in [*seen, caplog.text, out.out, out.err]:
        assert TOKEN not in text and TOKEN[4:20] not in text


async def test_a_repo_from_another_template_is_refused(
    fake: FakeGitHub, template: Path, tmp_path: Path
) -> None:
    other = tmp_path / "saas"
    other.mkdir()
    (other / "index.html").write_text("saas\n")
    fake.add_template(f"{ORG}/sitegen-template-saas", other)
    git = adapter(fake, tmp_path)
    await git.ensure_repo("acme", other)
    with pytest.raises(GitHostDenied, match="generated from agency/sitegen-template-saas"):
        await git.ensure_repo("acme", template)


async def test_template_repos_come_from_the_setting(fake: FakeGitHub, tmp_path: Path) -> None:
    t = tmp_path / "landing"
    t.mkdir()
    (t / "index.html").write_text("custom\n")
    fake.add_template("studio/landing-v2", t)
    settings = Settings(
        git_provider="github", github_token=SecretStr(TOKEN), github_org=ORG,
        github_api_url=fake.url, github_template_repos={"landing": "studio/landing-v2"},
        data_dir=tmp_path / "data",
    )  # fmt: skip
    git = make_git(settings)
    assert isinstance(git, GitHubGit)
    info = await git.ensure_repo("acme", t)
    assert info.created and info.url.endswith("/agency/acme")
    assert await git.read_files("acme", "main", ["*.html"]) == {"index.html": "custom\n"}


def test_make_git_needs_the_token_and_org(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="SITEGEN_GITHUB_TOKEN and SITEGEN_GITHUB_ORG"):
        make_git(Settings(git_provider="github", github_org=ORG, data_dir=tmp_path))


def test_activities_wait_out_an_unavailable_host_and_stop_on_a_denied_one() -> None:
    from datetime import timedelta

    from temporalio.exceptions import ApplicationError

    from sitegen.activities.support import classify
    from sitegen.contracts.activities import DEPENDENCY_DOWN

    waited = classify(GitHostUnavailable("GitHub rate limit", retry_after=7))
    assert isinstance(waited, ApplicationError) and waited.type == DEPENDENCY_DOWN
    assert waited.next_retry_delay == timedelta(seconds=7) and not waited.non_retryable
    denied = classify(GitHostDenied("GitHub rejected the credentials (SITEGEN_GITHUB_TOKEN)"))
    assert isinstance(denied, ApplicationError) and denied.non_retryable
