"""GitHub REST JSON for the fake: the shapes githubkit's models require (every required
field present, values plausible), built from real git objects."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

_ids = itertools.count(1000)
STAMP = "2026-01-01T00:00:00Z"


@dataclass
class RepoMeta:
    owner: str
    name: str
    private: bool = True
    is_template: bool = False
    template: str | None = None  # full name of the template it was generated from
    default_branch: str = "main"
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def user(base: str, login: str) -> dict[str, Any]:
    u = f"{base}/users/{login}"
    return {
        "login": login, "id": 1, "node_id": f"U_{login}", "avatar_url": f"{u}/avatar",
        "gravatar_id": "", "url": u, "html_url": f"https://github.example/{login}",
        "followers_url": f"{u}/followers", "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}", "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions", "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos", "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events", "type": "Organization",
        "site_admin": False,
    }  # fmt: skip


_REPO_URLS = [
    "archive_url",
    "assignees_url",
    "blobs_url",
    "branches_url",
    "collaborators_url",
    "comments_url",
    "commits_url",
    "compare_url",
    "contents_url",
    "contributors_url",
    "deployments_url",
    "downloads_url",
    "events_url",
    "forks_url",
    "git_commits_url",
    "git_refs_url",
    "git_tags_url",
    "issue_comment_url",
    "issue_events_url",
    "issues_url",
    "keys_url",
    "labels_url",
    "languages_url",
    "merges_url",
    "milestones_url",
    "notifications_url",
    "pulls_url",
    "releases_url",
    "stargazers_url",
    "statuses_url",
    "subscribers_url",
    "subscription_url",
    "tags_url",
    "teams_url",
    "trees_url",
    "hooks_url",
]


def repo(base: str, meta: RepoMeta, templates: dict[str, RepoMeta]) -> dict[str, Any]:
    url = f"{base}/repos/{meta.full_name}"
    html = f"https://github.example/{meta.full_name}"
    data: dict[str, Any] = {f: f"{url}/{f.removesuffix('_url')}" for f in _REPO_URLS}
    data.update(
        id=meta.id, node_id=f"R_{meta.id}", name=meta.name, full_name=meta.full_name,
        owner=user(base, meta.owner), private=meta.private, html_url=html, description=None,
        fork=False, url=url, git_url=f"git://github.example/{meta.full_name}.git",
        ssh_url=f"git@github.example:{meta.full_name}.git", clone_url=f"{html}.git",
        svn_url=html, mirror_url=None, homepage=None, language=None, forks_count=0,
        stargazers_count=0, watchers_count=0, size=1, default_branch=meta.default_branch,
        open_issues_count=0, is_template=meta.is_template, has_issues=True,
        has_projects=False, has_wiki=False, has_pages=False, has_discussions=False,
        archived=False, disabled=False, visibility="private" if meta.private else "public",
        pushed_at=STAMP, created_at=STAMP, updated_at=STAMP, subscribers_count=0,
        network_count=0, license=None, forks=0, open_issues=0, watchers=0,
    )  # fmt: skip
    if meta.template and meta.template in templates:
        data["template_repository"] = repo(base, templates[meta.template], templates)
    return data


@dataclass
class GitCommitObject:
    sha: str
    tree: str
    parents: list[str]
    author: tuple[str, str, str]  # name, email, date
    committer: tuple[str, str, str]
    message: str


def _person(p: tuple[str, str, str]) -> dict[str, str]:
    return {"name": p[0], "email": p[1], "date": p[2]}


def git_commit(base: str, full: str, c: GitCommitObject) -> dict[str, Any]:
    url = f"{base}/repos/{full}/git/commits/{c.sha}"
    return {
        "sha": c.sha, "node_id": f"C_{c.sha[:12]}", "url": url,
        "html_url": f"https://github.example/{full}/commit/{c.sha}",
        "author": _person(c.author), "committer": _person(c.committer), "message": c.message,
        "tree": {"sha": c.tree, "url": f"{base}/repos/{full}/git/trees/{c.tree}"},
        "parents": [
            {"sha": p, "url": f"{base}/repos/{full}/git/commits/{p}",
             "html_url": f"https://github.example/{full}/commit/{p}"}
            for p in c.parents
        ],
        "verification": {"verified": False, "reason": "unsigned", "signature": None,
                         "payload": None, "verified_at": None},
    }  # fmt: skip


def commit(base: str, full: str, c: GitCommitObject) -> dict[str, Any]:
    """The REST "commit" shape (list commits, merges)."""
    url = f"{base}/repos/{full}/commits/{c.sha}"
    return {
        "url": url, "sha": c.sha, "node_id": f"C_{c.sha[:12]}",
        "html_url": f"https://github.example/{full}/commit/{c.sha}",
        "comments_url": f"{url}/comments",
        "commit": {
            "url": f"{base}/repos/{full}/git/commits/{c.sha}", "author": _person(c.author),
            "committer": _person(c.committer), "message": c.message, "comment_count": 0,
            "tree": {"sha": c.tree, "url": f"{base}/repos/{full}/git/trees/{c.tree}"},
        },
        "author": None, "committer": None,
        "parents": [{"sha": p, "url": f"{base}/repos/{full}/commits/{p}"} for p in c.parents],
    }  # fmt: skip


def ref(base: str, full: str, name: str, sha: str) -> dict[str, Any]:
    return {
        "ref": name, "node_id": f"REF_{name}", "url": f"{base}/repos/{full}/git/{name}",
        "object": {"type": "commit", "sha": sha,
                   "url": f"{base}/repos/{full}/git/commits/{sha}"},
    }  # fmt: skip


def error(message: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest", **extra}
