"""A local Cloudflare API fake: a real HTTP server speaking the v4 envelope, for the endpoints
CloudflareHosting uses, with the state in memory (``cloudflare_state.py``).

- API requests are those whose Host is the server's own address (``127.0.0.1:port``); any
  other Host is a visitor of a site, answered the way the edge would (``site_for_host``), so a
  test can GET a preview, version or production address and see the page.
- API calls need ``Authorization: Bearer {token}``; asset calls need an upload JWT from
  ``upload-token`` instead (as on the real API). Unknown account or zone ids answer 7003.
- Lists are paginated (``page``, ``per_page``, default ``per_page=3`` so that paging is always
  exercised) and a page past the end is empty: the SDK's auto-paginator stops on that.
- Failures on demand: ``fail(method, pattern, status, times, retry_after)`` answers the next
  ``times`` matching calls with that status before doing anything; ``drop(method, pattern)``
  does the work and then closes the connection without an answer (a lost response).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.cloudflare_state import ApiError, CloudflareState

Handler = Callable[["Request"], Any]


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]  # path parameters
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, bytes]:
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True)
                fields[name] = payload if isinstance(payload, bytes) else b""
        return fields


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int  # 0: drop the response after doing the work
    times: int
    retry_after: str | None


class FakeCloudflare:
    def __init__(
        self, token: str = "cf-test-token-7f3a", account_id: str = "acc0123456789",
        zone_id: str = "zone0123456789", zone_name: str = "agency.test",
    ) -> None:  # fmt: skip
        self.state = CloudflareState(account_id, zone_id, zone_name, token)
        self.per_page = 3
        self.calls: list[tuple[str, str]] = []
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        a, z = "/accounts/(?P<account>[^/]+)", "/zones/(?P<zone>[^/]+)"
        p = f"{a}/pages/projects/(?P<project>[^/]+)"
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(f"^/client/v4{path}$"), h) for m, path, h in [
                ("GET", p, self._get_project),
                ("POST", f"{a}/pages/projects", self._create_project),
                ("GET", f"{p}/upload-token", self._upload_token),
                ("POST", "/pages/assets/check-missing", self._check_missing),
                ("POST", "/pages/assets/upload", self._upload),
                ("POST", "/pages/assets/upsert-hashes", self._upsert_hashes),
                ("POST", f"{p}/deployments", self._create_deployment),
                ("GET", f"{p}/deployments", self._list_deployments),
                ("GET", f"{p}/deployments/(?P<id>[^/]+)", self._get_deployment),
                ("GET", f"{p}/domains/(?P<name>[^/]+)", self._get_domain),
                ("POST", f"{p}/domains", self._add_domain),
                ("DELETE", f"{p}/domains/(?P<name>[^/]+)", self._remove_domain),
                ("GET", f"{z}/dns_records", self._list_records),
                ("POST", f"{z}/dns_records", self._create_record),
                ("PATCH", f"{z}/dns_records/(?P<id>[^/]+)", self._edit_record),
                ("DELETE", f"{z}/dns_records/(?P<id>[^/]+)", self._delete_record),
            ]
        ]  # fmt: skip

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/client/v4"

    def start(self) -> FakeCloudflare:
        fake = self

        class _Handler(_HttpHandler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- failures on demand -------------------------------------------------------------------
    def fail(self, method: str, pattern: str, status: int = 500, times: int = 1,
             retry_after: str | None = None) -> None:  # fmt: skip
        with self._lock:
            self._failures.append(_Failure(method, re.compile(pattern), status, times, retry_after))

    def drop(self, method: str, pattern: str, times: int = 1) -> None:
        self.fail(method, pattern, status=0, times=times)

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        with self._lock:
            for f in self._failures:
                if f.method == method and f.times > 0 and f.pattern.search(path):
                    f.times -= 1
                    return f
        return None

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.calls if m == method and re.search(pattern, p))

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, req: Request) -> tuple[int, dict[str, str], bytes] | None:
        """(status, headers, body), or None to drop the connection unanswered."""
        with self._lock:
            self.calls.append((req.method, req.path))
        failure = self._take_failure(req.method, req.path)
        if failure is not None and failure.status:
            headers = {"retry-after": failure.retry_after} if failure.retry_after else {}
            return self._error(failure.status, 10000 + failure.status, "injected failure", headers)
        for method, pattern, handler in self._routes:
            match = pattern.match(req.path)
            if method == req.method and match:
                req.params = match.groupdict()
                try:
                    with self._lock:
                        self._check(req)
                        result = handler(req)
                except ApiError as e:
                    return self._error(e.status, e.code, e.message)
                if failure is not None:  # the work is done; the answer is lost
                    return None
                if isinstance(result, tuple):
                    items, info = result
                    return 200, {}, self._envelope(items, info)
                return 200, {}, self._envelope(result)
        return self._error(404, 7000, f"No route for that URI: {req.method} {req.path}")

    def _check(self, req: Request) -> None:
        auth = req.headers.get("authorization", "")
        if req.path.startswith("/client/v4/pages/assets/"):
            if auth.removeprefix("Bearer ") not in self.state.jwts:
                raise ApiError(401, 8000000, "Invalid or expired upload JWT.")
            return
        if auth != f"Bearer {self.state.token}":
            raise ApiError(401, 10000, "Authentication error")
        account, zone = req.params.get("account"), req.params.get("zone")
        if account is not None and account != self.state.account_id:
            raise ApiError(404, 7003, f"Could not route to /accounts/{account}, perhaps "
                           "your object identifier is invalid?")  # fmt: skip
        if zone is not None and zone != self.state.zone_id:
            raise ApiError(404, 7003, f"Could not route to /zones/{zone}, perhaps your "
                           "object identifier is invalid?")  # fmt: skip

    @staticmethod
    def _envelope(result: Any, info: dict[str, int] | None = None) -> bytes:
        body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
        if info is not None:
            body["result_info"] = info
        return json.dumps(body).encode()

    @staticmethod
    def _error(
        status: int, code: int, message: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        body = {"success": False, "errors": [{"code": code, "message": message}],
                "messages": [], "result": None}  # fmt: skip
        return status, headers or {}, json.dumps(body).encode()

    def _page(self, req: Request, items: list[Any]) -> tuple[list[Any], dict[str, int]]:
        page = max(int(req.query.get("page", 1)), 1)
        per_page = max(int(float(req.query.get("per_page", self.per_page))), 1)
        chunk = items[(page - 1) * per_page : page * per_page]  # past the end: empty
        total_pages = max((len(items) + per_page - 1) // per_page, 1)
        return chunk, {"page": page, "per_page": per_page, "count": len(chunk),
                       "total_count": len(items), "total_pages": total_pages}  # fmt: skip

    # -- Pages --------------------------------------------------------------------------------
    def _get_project(self, req: Request) -> Any:
        return self.state.project_json(req.params["project"])

    def _create_project(self, req: Request) -> Any:
        body = req.json()
        name = body["name"]
        self.state.create_project(name, body.get("production_branch", "main"))
        return self.state.project_json(name)

    def _upload_token(self, req: Request) -> Any:
        self.state.project(req.params["project"])
        jwt = "eyJ" + secrets.token_urlsafe(24)
        self.state.jwts.add(jwt)
        return {"jwt": jwt}

    def _check_missing(self, req: Request) -> Any:
        return [h for h in req.json()["hashes"] if h not in self.state.assets]

    def _upload(self, req: Request) -> Any:
        for item in req.json():
            data = base64.b64decode(item["value"]) if item["base64"] else item["value"].encode()
            self.state.assets[item["key"]] = (data, item["metadata"]["contentType"])
        return None

    def _upsert_hashes(self, req: Request) -> Any:
        return None

    def _create_deployment(self, req: Request) -> Any:
        form = req.form()
        project = self.state.project(req.params["project"])
        deployment = self.state.add_deployment(
            req.params["project"],
            form.get("branch", project["production_branch"].encode()).decode(),
            json.loads(form.get("manifest", b"{}")),
            form.get("commit_hash", b"").decode(),
            form.get("commit_message", b"").decode(),
            {k: v for k, v in form.items() if k in ("_headers", "_redirects")},
        )
        return self.state.deployment_json(deployment)

    def _list_deployments(self, req: Request) -> Any:
        self.state.project(req.params["project"])
        items = [
            self.state.deployment_json(d) for d in self.state.deployments[req.params["project"]]
        ]
        return self._page(req, items)

    def _get_deployment(self, req: Request) -> Any:
        return self.state.deployment_json(
            self.state.deployment(req.params["project"], req.params["id"])
        )

    def _get_domain(self, req: Request) -> Any:
        project = req.params["project"]
        self.state.project(project)
        if req.params["name"] not in self.state.domains[project]:
            raise ApiError(404, 8000035, "Domain not found.")
        return self.state.domain_json(project, req.params["name"])

    def _add_domain(self, req: Request) -> Any:
        return self.state.add_domain(req.params["project"], req.json()["name"])

    def _remove_domain(self, req: Request) -> Any:
        self.state.remove_domain(req.params["project"], req.params["name"])
        return None

    # -- DNS ----------------------------------------------------------------------------------
    def _list_records(self, req: Request) -> Any:
        found = self.state.list_records(req.query)
        return self._page(req, [self.state.record_json(r) for r in found])

    def _create_record(self, req: Request) -> Any:
        return self.state.record_json(self.state.create_record(req.json()))

    def _edit_record(self, req: Request) -> Any:
        record = self.state.record(req.params["id"])
        body = req.json()
        if "content" in body:
            record.content = str(body["content"])
        if "proxied" in body:
            record.proxied = bool(body["proxied"])
        if "comment" in body:
            record.comment = body["comment"]
        record.modified_on = self.state.now()
        return self.state.record_json(record)

    def _delete_record(self, req: Request) -> Any:
        record = self.state.record(req.params["id"])
        del self.state.records[record.id]
        return {"id": record.id}

    # -- the edge -----------------------------------------------------------------------------
    def serve_site(self, host: str, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            status, deployment = self.state.site_for_host(host)
            if deployment is None:
                return status, {"content-type": "text/plain"}, f"error {status}".encode()
            found = self.state.file_for(deployment, path)
        if isinstance(found, str):
            return 308, {"location": found}, b""
        code, data, ctype = found
        return code, {"content-type": ctype}, data


@contextmanager
def running_fake(**kwargs: str) -> Iterator[FakeCloudflare]:
    fake = FakeCloudflare(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


class _HttpHandler(BaseHTTPRequestHandler):
    owner: FakeCloudflare
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without this, Nagle holds the second ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("host", "")
        if host.split(":", 1)[0] not in ("127.0.0.1", "localhost"):
            status, headers, payload = self.owner.serve_site(host, url.path or "/")
        else:
            headers_in = {k.lower(): v for k, v in self.headers.items()}
            req = Request(self.command, url.path, {}, dict(parse_qsl(url.query)), headers_in, body)
            answer = self.owner.handle(req)
            if answer is None:
                self.close_connection = True
                # No status line: the client sees the connection drop, as on a lost response.
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, headers, payload = answer
            headers = {"content-type": "application/json", **headers}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _dispatch
