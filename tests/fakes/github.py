"""A GitHub REST fake: a real HTTP server (Starlette under uvicorn, in a thread) speaking the
wire format of exactly the endpoints GitHubGit uses, backed by a real bare git repository per
repository, so blobs, trees and commits are real git objects with real ids.

Failures on demand: ``fail(method, pattern, status, times=, after=)`` makes the next calls
matching answer ``status``; with ``after=True`` the work is done first and only the answer is
lost (a create or merge that happened, whose response never arrived). ``calls`` records every
request, so a test can count creates and merges.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import github_json as j
from tests.fakes.github_state import REPO, Answer, GitHubState


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    after: bool
    headers: dict[str, str]
    message: str


class FakeGitHub(GitHubState):
    def __init__(self, root: Path, *, token: str, orgs: tuple[str, ...] = ("agency",)) -> None:
        self.root = root
        self.token = token
        self.orgs = set(orgs)
        self.repos: dict[str, j.RepoMeta] = {}
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str]] = []
        self.url = ""
        self._lock = threading.Lock()
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
            (m, re.compile(p + "$"), h)
            for m, p, h in [
                ("GET", r"/orgs/(?P<org>[^/]+)", self._get_org),
                ("POST", r"/orgs/(?P<org>[^/]+)/repos", self._create_repo),
                ("GET", REPO, self._get_repo),
                ("PATCH", REPO, self._update_repo),
                ("POST", REPO + "/generate", self._generate),
                ("GET", REPO + "/git/ref/(?P<ref>.+)", self._get_ref),
                ("POST", REPO + "/git/refs", self._create_ref),
                ("PATCH", REPO + "/git/refs/(?P<ref>.+)", self._update_ref),
                ("GET", REPO + "/git/commits/(?P<sha>[^/]+)", self._get_commit),
                ("POST", REPO + "/git/commits", self._create_commit),
                ("GET", REPO + "/git/trees/(?P<sha>[^/]+)", self._get_tree),
                ("POST", REPO + "/git/trees", self._create_tree),
                ("GET", REPO + "/git/blobs/(?P<sha>[^/]+)", self._get_blob),
                ("POST", REPO + "/git/blobs", self._create_blob),
                ("GET", REPO + "/commits", self._list_commits),
                ("POST", REPO + "/merges", self._merge),
                ("GET", REPO + "/tarball/(?P<ref>.+)", self._tarball),
                ("GET", r"/_codeload/(?P<o>[^/]+)/(?P<r>[^/]+)/tar.gz/(?P<sha>\w+)", self._codeload),
            ]
        ]  # fmt: skip

    # -- test controls ------------------------------------------------------------------------

    def add_template(self, full_name: str, directory: Path) -> None:
        owner, name = full_name.split("/")
        bare = self._init(full_name)
        index = {"GIT_INDEX_FILE": str(bare / "tpl-index")}
        self._git(bare, "--work-tree", str(directory), "add", "-A", ".", env=index)
        tree = self._git(bare, "write-tree", env=index)
        sha = self._git(bare, "commit-tree", tree, "-m", "Template")
        self._git(bare, "update-ref", "refs/heads/main", sha)
        self.repos[full_name] = j.RepoMeta(owner, name, private=False, is_template=True)

    def fail(self, method: str, pattern: str, status: int = 502, *, times: int = 1,
             after: bool = False, headers: dict[str, str] | None = None,
             message: str = "Server Error") -> None:  # fmt: skip
        self.faults.append(
            Fault(method, re.compile(pattern), status, times, after, headers or {}, message)
        )

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.calls if m == method and re.search(pattern, p))

    def git(self, full_name: str, *args: str) -> str:
        return self._git(self.bare(full_name), *args)

    # -- server -------------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = Starlette(routes=[Route("/{path:path}", self._endpoint,
                                      methods=["GET", "POST", "PATCH"])])  # fmt: skip
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True)  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        method, path = request.method, request.url.path
        auth = request.headers.get("authorization", "")
        status, data, headers = await anyio.to_thread.run_sync(
            self._handle, method, path, dict(request.query_params), body, auth
        )
        if isinstance(data, bytes):
            return Response(data, status, headers, media_type="application/x-gzip")
        if data is None:
            return Response(b"", status, headers)
        return JSONResponse(data, status, headers)

    def _handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, auth: str
    ) -> Answer:
        import json

        with self._lock:
            self.calls.append((method, path))
            if not path.startswith("/_codeload/") and auth not in (
                f"token {self.token}",
                f"Bearer {self.token}",
            ):
                return 401, j.error("Bad credentials"), {}
            fault = next((f for f in self.faults if f.times > 0 and f.method == method
                          and f.pattern.search(path)), None)  # fmt: skip
            if fault and not fault.after:
                fault.times -= 1
                return fault.status, j.error(fault.message), fault.headers
            for m, pattern, handler in self._routes:
                if m == method and (match := pattern.fullmatch(path)):
                    data = json.loads(body) if body else {}
                    answer = handler(match, query, data)
                    break
            else:
                answer = 404, j.error("Not Found"), {}
            if fault:
                fault.times -= 1  # the work is done; the answer is what gets lost
                return fault.status, j.error(fault.message), fault.headers
            return answer
