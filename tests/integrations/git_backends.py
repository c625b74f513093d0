"""The GitHost adapters under one contract: LocalGit on disk, GitHubGit against the GitHub
REST fake (tests/fakes/github.py). Test modules import the fixtures they use from here."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sitegen.integrations.git import GitHost, LocalGit
from sitegen.integrations.git.github import GitHubGit
from tests.fakes.github import FakeGitHub

# Looks like a real token, so a leak would be recognisable in any log or message.
TOKEN = "ghp_T0pSecretTokenValue0123456789abcdefXYZ"
ORG = "agency"
KINDS = ["local", "github"]


@dataclass
class Backend:
    kind: str
    tmp: Path
    fake: FakeGitHub | None = None
    made: list[GitHost] = field(default_factory=list)

    def make(self, worker: str = "w1") -> GitHost:
        """One adapter, as one worker would build it; two share only the repositories."""
        git: GitHost
        if self.fake is None:
            git = LocalGit(self.tmp / "repos", self.tmp / f"work-{worker}")
        else:
            git = GitHubGit(TOKEN, ORG, self.tmp / f"gh-{worker}", api_url=self.fake.url)
        self.made.append(git)
        return git

    def template(self, directory: Path) -> Path:
        """Make ``directory`` available as the template named after it."""
        if self.fake is not None:
            self.fake.add_template(f"{ORG}/sitegen-template-{directory.name}", directory)
        return directory

    def raw(self, repo: str, *args: str) -> str:
        """A git command run on the repository itself (on disk or inside the fake)."""
        if self.fake is not None:
            return self.fake.git(f"{ORG}/{repo}", *args)
        bare = self.tmp / "repos" / f"{repo}.git"
        env = {
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin",
        }
        out = subprocess.run(["git", "--git-dir", str(bare), *args], capture_output=True,
                             text=True, env=env, check=True)  # fmt: skip
        return out.stdout.strip()

    def parents(self, repo: str, sha: str) -> list[str]:
        return self.raw(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]

    def tree(self, repo: str, rev: str) -> str:
        return self.raw(repo, "rev-parse", f"{rev}^{{tree}}")


@pytest.fixture(params=KINDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    # Prove isolation from the caller's environment: no HOME, poisoned GIT_* variables.
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "poison"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "does-not-exist"))
    if request.param == "local":
        yield Backend("local", tmp_path)
        return
    with FakeGitHub(tmp_path / "github", token=TOKEN, orgs=(ORG,)) as fake:
        yield Backend("github", tmp_path, fake)


@pytest.fixture
def git(backend: Backend) -> GitHost:
    return backend.make()


@pytest.fixture
def template(backend: Backend, tmp_path: Path) -> Path:
    t = tmp_path / "template"
    (t / "css").mkdir(parents=True)
    (t / "index.html").write_text("<html>\n<h1>Hello</h1>\n</html>\n")
    (t / "css" / "site.css").write_text("body { color: black; }\n")
    (t / "logo.bin").write_bytes(b"\x00\xff\x00binary")
    return backend.template(t)
