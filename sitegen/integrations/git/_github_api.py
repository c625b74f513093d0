"""The GitHub REST calls GitHubGit makes, through githubkit, and what their failures mean.

One ``GitHub`` client is built per adapter with githubkit's own retries and HTTP cache off:
Temporal owns retries (a hidden retry loop would stretch an activity past its timeout), and a
cached GET of a ref would break the compare-and-swap that keeps commits single. Every call
goes through ``_call``, which turns a failure into one of three answers:

* ``GitHostUnavailable`` (retryable): 5xx, 429, rate limits, timeouts, connection errors,
  carrying the host's ``retry-after`` / ``x-ratelimit-reset`` when it gave one;
* ``GitHostDenied`` (permanent): 401/403, naming the setting to fix, never the token;
* ``Status``: an answer the caller decides about (404 missing, 409 conflict, 422 exists / not a
  fast forward), raised only for the statuses the caller listed.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from githubkit import GitHub, Response, TokenAuthStrategy
from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed, RequestTimeout

from sitegen.integrations.git.base import GitError, GitHostDenied, GitHostUnavailable

T = TypeVar("T")

TOKEN_SETTING = "SITEGEN_GITHUB_TOKEN"
ORG_SETTING = "SITEGEN_GITHUB_ORG"
_LAST_PAGE = re.compile(r'[?&]page=(\d+)[^>]*>;\s*rel="last"')


class Status(Exception):
    """An HTTP status the caller asked to handle itself."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    type: str  # blob, tree or commit (a submodule)
    sha: str


class GitHubApi:
    def __init__(self, token: str, org: str, api_url: str, *, timeout: float = 30.0) -> None:
        self.org = org
        self.gh = GitHub(
            TokenAuthStrategy(token),
            base_url=api_url,
            user_agent="sitegen",
            timeout=timeout,
            http_cache=False,
            auto_retry=False,
            async_transport=_SharedTransport(),
        )

    async def _call(self, what: str, request: Awaitable[T], *handled: int) -> T:
        try:
            return await request
        except RateLimitExceeded as exc:
            wait = exc.retry_after.total_seconds()
            raise GitHostUnavailable(
                f"GitHub rate limit on {what}; retry after {wait:.0f}s", retry_after=wait
            ) from None
        except RequestFailed as exc:
            status = exc.response.status_code
            message = _message(exc.response)
            if status in handled:
                raise Status(status, message) from None
            if status >= 500 or status == 429:
                raise GitHostUnavailable(
                    f"GitHub answered {status} to {what}: {message}",
                    retry_after=_retry_after(exc.response),
                ) from None
            if status == 401:
                raise GitHostDenied(
                    f"GitHub rejected the credentials ({TOKEN_SETTING}) on {what}: {message}"
                ) from None
            if status == 403:
                raise GitHostDenied(
                    f"GitHub refused {what} (403 {message}): the token in {TOKEN_SETTING} "
                    f"lacks access to the organisation {self.org!r} ({ORG_SETTING}) or the "
                    "repository permissions (contents, administration: read and write)"
                ) from None
            raise GitError(f"GitHub answered {status} to {what}: {message}") from None
        except RequestTimeout:
            raise GitHostUnavailable(f"GitHub timed out on {what}") from None
        except RequestError as exc:
            # Connection refused, reset, DNS: the host is unreachable, not wrong.
            raise GitHostUnavailable(
                f"GitHub unreachable on {what} ({type(exc.exc).__name__})"
            ) from None

    # -- repositories -------------------------------------------------------------------------

    async def get_repo(self, repo: str) -> dict[str, Any] | None:
        try:
            resp = await self._call(
                f"reading {self.org}/{repo}", self.gh.rest.repos.async_get(self.org, repo), 404
            )
        except Status:
            return None
        data = resp.parsed_data
        template = data.template_repository
        return {
            "url": data.html_url,
            "default_branch": data.default_branch,
            "template": template.full_name if template else None,
            "is_template": bool(data.is_template),
        }

    async def create_template_repo(self, repo: str) -> bool:
        """A private template repository with a first commit; False if the name is taken."""
        try:
            await self._call(
                f"creating {self.org}/{repo}",
                self.gh.rest.repos.async_create_in_org(
                    self.org, name=repo, private=True, is_template=True, auto_init=True
                ),
                422,
            )
        except Status:
            return False
        return True

    async def mark_template(self, repo: str) -> None:
        await self._call(
            f"marking {self.org}/{repo} a template",
            self.gh.rest.repos.async_update(self.org, repo, is_template=True),
        )

    async def generate(self, template: str, repo: str) -> None:
        owner, _, name = template.partition("/")
        await self._call(
            f"creating {self.org}/{repo} from {template}",
            self.gh.rest.repos.async_create_using_template(
                owner, name, owner=self.org, name=repo, private=True,
                include_all_branches=False,
            ),
            404, 422,
        )  # fmt: skip

    async def org_exists(self) -> bool:
        try:
            await self._call(
                f"reading the organisation {self.org}",
                self.gh.arequest("GET", f"/orgs/{self.org}"),
                404,
            )
        except Status:
            return False
        return True

    # -- refs ---------------------------------------------------------------------------------

    async def get_ref(self, repo: str, ref: str) -> str | None:
        """The sha ``refs/{ref}`` points at, or None (the ref or the repo is missing)."""
        try:
            resp = await self._call(
                f"reading {ref} of {repo}",
                self.gh.rest.git.async_get_ref(self.org, repo, ref),
                404, 409,
            )  # fmt: skip
        except Status:  # 409: an empty repository has no refs yet
            return None
        return resp.parsed_data.object_.sha

    async def create_ref(self, repo: str, ref: str, sha: str) -> bool:
        """False when the ref already exists."""
        try:
            await self._call(
                f"creating {ref} in {repo}",
                self.gh.rest.git.async_create_ref(self.org, repo, ref=f"refs/{ref}", sha=sha),
                422,
            )
        except Status:
            return False
        return True

    async def fast_forward(self, repo: str, ref: str, sha: str) -> bool:
        """Move ``ref`` to ``sha`` only as a fast forward: with a new commit whose parent is
        the head we read, that is a compare-and-swap. False when the ref moved meanwhile."""
        try:
            await self._call(
                f"moving {ref} of {repo}",
                self.gh.rest.git.async_update_ref(self.org, repo, ref, sha=sha, force=False),
                422, 409,
            )  # fmt: skip
        except Status:
            return False
        return True

    # -- objects ------------------------------------------------------------------------------

    async def get_commit(self, repo: str, sha: str) -> tuple[str, list[str]] | None:
        """(tree sha, parent shas) of a commit, or None when there is no such commit."""
        try:
            resp = await self._call(
                f"reading commit {sha} of {repo}",
                self.gh.rest.git.async_get_commit(self.org, repo, sha),
                404, 422,
            )  # fmt: skip
        except Status:
            return None
        data = resp.parsed_data
        return data.tree.sha, [p.sha for p in data.parents]

    async def get_tree(self, repo: str, tree: str) -> list[TreeEntry]:
        resp = await self._call(
            f"reading tree {tree} of {repo}",
            self.gh.rest.git.async_get_tree(self.org, repo, tree, recursive="1"),
        )
        data = resp.parsed_data
        if data.truncated:
            # A site repo is far below GitHub's limit (100,000 entries); a partial listing
            # would make commits silently drop files, so refuse rather than guess.
            raise GitError(f"GitHub truncated the tree of {repo}: too many files")
        return [
            TreeEntry(e.path, e.mode, e.type, e.sha)
            for e in data.tree
            if e.path and e.mode and e.type and e.sha
        ]

    async def get_blob(self, repo: str, sha: str) -> bytes:
        resp = await self._call(
            f"reading blob {sha} of {repo}", self.gh.rest.git.async_get_blob(self.org, repo, sha)
        )
        data = resp.parsed_data
        if data.encoding != "base64":
            return data.content.encode()
        return base64.b64decode(data.content)

    async def create_blob(self, repo: str, content: bytes) -> str:
        resp = await self._call(
            f"writing a blob to {repo}",
            self.gh.rest.git.async_create_blob(
                self.org, repo, content=base64.b64encode(content).decode(), encoding="base64"
            ),
        )
        return resp.parsed_data.sha

    async def create_tree(
        self, repo: str, base_tree: str | None, entries: list[dict[str, Any]]
    ) -> str:
        """Entries over `base_tree`; with None, the entries are the whole tree."""
        extra = {"base_tree": base_tree} if base_tree is not None else {}
        resp = await self._call(
            f"writing a tree to {repo}",
            self.gh.rest.git.async_create_tree(self.org, repo, tree=entries, **extra),
        )
        return resp.parsed_data.sha

    async def create_commit(self, repo: str, tree: str, parents: list[str], message: str) -> str:
        resp = await self._call(
            f"writing a commit to {repo}",
            self.gh.rest.git.async_create_commit(
                self.org, repo, message=message, tree=tree, parents=parents
            ),
        )
        return resp.parsed_data.sha

    # -- history, merges, archives ------------------------------------------------------------

    async def commit_messages(self, repo: str, head: str, page: int, per_page: int) -> list[
        tuple[str, str]
    ]:  # fmt: skip
        """(sha, message) of the commits reachable from ``head``, newest first, one page."""
        resp = await self._call(
            f"listing the commits of {repo}",
            self.gh.rest.repos.async_list_commits(
                self.org, repo, sha=head, per_page=per_page, page=page
            ),
        )
        return [(c.sha, c.commit.message) for c in resp.parsed_data]

    async def count_commits(self, repo: str, head: str) -> int:
        # GitHub has no count: with one commit per page, the "last" page link is the count.
        resp = await self._call(
            f"counting the commits of {repo}",
            self.gh.rest.repos.async_list_commits(self.org, repo, sha=head, per_page=1),
        )
        match = _LAST_PAGE.search(resp.headers.get("link", ""))
        return int(match.group(1)) if match else len(resp.parsed_data)

    async def merge(self, repo: str, base: str, head: str, message: str) -> str | None:
        """The merge commit's sha; None when there was nothing to merge (204)."""
        resp = await self._call(
            f"merging {head} into {base} in {repo}",
            self.gh.rest.repos.async_merge(
                self.org, repo, base=base, head=head, commit_message=message
            ),
            404, 409,
        )  # fmt: skip
        if resp.status_code == 204:
            return None
        return resp.parsed_data.sha

    async def tarball(self, repo: str, sha: str) -> bytes:
        # GitHub answers with a redirect to a short-lived codeload URL; httpx follows it and
        # drops the Authorization header on the way to the other host.
        resp: Response[Any] = await self._call(
            f"downloading {repo} at {sha}",
            self.gh.rest.repos.async_download_tarball_archive(self.org, repo, sha),
        )
        return resp.content


class _SharedTransport(httpx.AsyncBaseTransport):
    """One connection pool for the adapter's life. githubkit opens and closes an httpx client
    per request (outside ``async with``); handed this transport, each of those clients skips
    building its own TLS context (about 0.1 s) and reuses open connections."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass  # called after every request; the pool outlives them


def _message(response: Response[Any]) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"][:300]
    return response.reason_phrase


def _retry_after(response: Response[Any]) -> float | None:
    """Seconds the host asked us to wait: ``retry-after``, else until ``x-ratelimit-reset``."""
    headers = response.headers
    try:
        if (value := headers.get("retry-after")) is not None:
            return max(float(value), 0.0)
        if (reset := headers.get("x-ratelimit-reset")) is not None:
            return max(float(reset) - time.time(), 0.0)
    except ValueError:
        pass
    return None
