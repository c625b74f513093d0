"""The built-in templates published as GitHub template repositories (against the GitHub REST
fake, through githubkit): created once, exactly the directory's files, no commit when nothing
changed, one when something did, and a project generated from the result."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitegen.cli.main import app
from sitegen.integrations.git.base import GitHostDenied
from sitegen.integrations.git.github import GitHubGit
from sitegen.integrations.git.github_templates import publish_template, template_files
from sitegen.settings import Settings
from tests.fakes.github import FakeGitHub

TOKEN = "ghp_TemplatesT0kenValue0123456789abcdefXYZ"
ORG = "agency"


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(tmp_path / "github", token=TOKEN, orgs=(ORG,)) as fake:
        yield fake


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the built-in templates, free to change."""
    root = tmp_path / "templates"
    shutil.copytree(Settings().templates_dir, root)
    return root


def _listing(github: FakeGitHub, repo: str, ref: str = "main") -> set[str]:
    return set(github.git(repo, "ls-tree", "-r", "--name-only", ref).splitlines())


async def test_publish_creates_updates_and_projects_generate_from_it(
    github: FakeGitHub, templates: Path, tmp_path: Path
) -> None:
    git = GitHubGit(TOKEN, ORG, tmp_path / "work", api_url=github.url)
    repo = f"{ORG}/sitegen-template-landing"
    first = await publish_template(git, "landing", templates / "landing")
    assert (first.repo, first.created_repo, first.changed) == (repo, True, True)
    meta = github.repos[repo]
    assert meta.is_template and meta.private
    # Exactly the directory: the README the repository was created with is gone.
    assert _listing(github, repo) == set(template_files(templates / "landing"))
    css = (templates / "landing" / "static" / "site.css").read_bytes()
    assert github.git(repo, "show", "main:static/site.css").encode() == css.rstrip(b"\n")

    again = await publish_template(git, "landing", templates / "landing")
    assert (again.commit, again.changed, again.created_repo) == (first.commit, False, False)

    (templates / "landing" / "static" / "site.css").write_text("body { color: navy; }\n")
    (templates / "landing" / "content_rules.py").unlink()
    changed = await publish_template(git, "landing", templates / "landing")
    assert changed.changed and changed.commit != first.commit
    assert github.git(repo, "rev-parse", f"{changed.commit}^") == first.commit  # one commit on top
    assert "content_rules.py" not in _listing(github, repo)

    # Back to the first contents: a new commit restores them (the old one is history).
    shutil.rmtree(templates / "landing")
    shutil.copytree(Settings().templates_dir / "landing", templates / "landing")
    reverted = await publish_template(git, "landing", templates / "landing")
    assert reverted.changed and reverted.commit not in (first.commit, changed.commit)
    assert github.git(repo, "rev-parse", "main^{tree}") == github.git(
        repo, "rev-parse", f"{first.commit}^{{tree}}"
    )
    (templates / "landing" / "static" / "site.css").write_text("body { color: navy; }\n")
    await publish_template(git, "landing", templates / "landing")

    project = await git.ensure_repo("harbour-physio", templates / "landing")
    assert project.created
    files = await git.read_files("harbour-physio", "main", ["static/site.css"])
    assert files == {"static/site.css": "body { color: navy; }\n"}


async def test_publish_refuses_a_repository_outside_the_org(
    github: FakeGitHub, templates: Path, tmp_path: Path
) -> None:
    git = GitHubGit(
        TOKEN,
        ORG,
        tmp_path / "work",
        api_url=github.url,
        template_repos={"landing": "someone-else/landing"},
    )
    with pytest.raises(GitHostDenied, match="outside the organisation"):
        await publish_template(git, "landing", templates / "landing")
    assert not github.repos


async def test_the_command_publishes_every_template_once(
    github: FakeGitHub, templates: Path, database_url: str, tmp_path: Path
) -> None:
    env = {
        "SITEGEN_DATABASE_URL": database_url,
        "SITEGEN_DATA_DIR": str(tmp_path / "data"),
        "SITEGEN_TEMPLATES_DIR": str(templates),
        "SITEGEN_GIT_PROVIDER": "github",
        "SITEGEN_GITHUB_TOKEN": TOKEN,
        "SITEGEN_GITHUB_ORG": ORG,
        "SITEGEN_GITHUB_API_URL": github.url,
        "COLUMNS": "200",
    }
    runner = CliRunner()
    first = await asyncio.to_thread(runner.invoke, app, ["templates", "publish"], None, env)
    assert first.exit_code == 0, first.output
    assert first.output.count("created") == 3 and TOKEN not in first.output
    second = await asyncio.to_thread(runner.invoke, app, ["templates", "publish"], None, env)
    assert second.exit_code == 0 and second.output.count("up to date") == 3, second.output
    unknown = await asyncio.to_thread(
        runner.invoke, app, ["templates", "publish", "nope"], None, env
    )
    assert unknown.exit_code == 1 and "no such template" in unknown.output
    local = await asyncio.to_thread(
        runner.invoke, app, ["templates", "publish"], None, {**env, "SITEGEN_GIT_PROVIDER": "local"}
    )
    assert local.exit_code == 1 and "not github" in local.output
