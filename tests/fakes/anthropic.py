"""A local Anthropic Messages API: a real HTTP server the real `anthropic` SDK talks to.

`POST /v1/messages` answers in the API's wire format: a message object whose content is a
`tool_use` block (the tool the request forces), `stop_reason`, `usage` with input, output,
cache-read and cache-write tokens, and `request-id` / `x-request-id` headers. Errors use
the API's envelope (`{"type": "error", "error": {"type": "rate_limit_error", ...}}`) and
`retry-after`.

What it answers is recorded behaviour: the offline AI's artifact for the same inputs,
read back from the request's `<name>` data tags (see sitegen/integrations/ai/claude/
prompts.py), the step recognised from the forced tool. Cache usage follows the API's
rules: the prefix (tools, then system blocks) up to each `cache_control` breakpoint is
read from the cache when the same prefix was seen before, else written to it.

`GET /v1/models` lists the models it knows (the roles' defaults), paged by `limit`.

Told to, it answers the next requests with an error (429/529/500/400/401...) or with a
tool input that breaks the schema. It checks what the real API checks and our adapter
could get wrong: the key, the required fields, no sampling parameters (the API version
the SDK 2.x speaks answers 400 to `temperature`), a tool_result after a tool_use.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sitegen.integrations.ai.claude.roles import PATCH_MODEL, STRUCTURED_MODEL
from tests.fakes.anthropic_answers import offline_answer

KEY = "sk-ant-test-fake-key-0123456789"
# What GET /v1/models lists: the models sitegen's roles use by default.
MODELS = (STRUCTURED_MODEL, PATCH_MODEL)
# A tool input no artifact schema accepts: unknown field, required ones missing.
INVALID_INPUT: dict[str, Any] = {"unexpected": "field", "pages": []}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    message: str = "injected failure"


@dataclass
class Recorded:
    """One request as the server saw it (the credential headers left out)."""

    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    # Which accepted key the request carried ("default", or its label in `other_keys`), so
    # a test can tell whose account paid without the key itself being kept.
    key: str = ""


def data_tags(text: str) -> dict[str, Any]:
    """Every `<name>\\n{json}` in `text`: one JSON value right after the opening tag."""
    found: dict[str, Any] = {}
    decoder = json.JSONDecoder()
    i = 0
    while (start := text.find("<", i)) != -1:
        end = text.find(">\n", start)
        name = text[start + 1 : end] if end != -1 else ""
        if end == -1 or not name.replace("_", "").isalnum():
            i = start + 1
            continue
        try:
            value, stop = decoder.raw_decode(text, end + 2)
        except json.JSONDecodeError:
            i = start + 1
            continue
        found.setdefault(name, value)
        i = stop
    return found


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    out = []
    for block in content:
        if block.get("type") == "text":
            out.append(block["text"])
        elif block.get("type") == "tool_result":
            out += _texts(block.get("content") or [])
        elif block.get("type") == "tool_use":
            out.append(json.dumps(block.get("input")))
    return out


class FakeAnthropic:
    def __init__(
        self, key: str = KEY, latency_for: Callable[[dict[str, Any]], float] | None = None
    ) -> None:
        self.key = key
        # More keys it accepts (an agency's per-client keys), each by a label.
        self.other_keys: dict[str, str] = {}
        # Seconds to wait before answering a request (its body given): a model's thinking time.
        self.latency_for = latency_for
        # (start, end) of each answered request, time.monotonic(): when a client waited on it.
        self.intervals: list[tuple[float, float]] = []
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.invalid_left = 0
        # Schema-valid answers changed on their way out (an answer that misfits its inputs).
        self.rewrites: list[Callable[[dict[str, Any]], dict[str, Any]]] = []
        # Requests that match fail, every time, until `stop_failing`.
        self.failing: list[tuple[Callable[[dict[str, Any]], bool], Failure]] = []
        self._prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._count = 0
        self._server: ThreadingHTTPServer | None = None

    # What tests tell it ------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        with self._lock:
            self.failures += [Failure(status, retry_after) for _ in range(times)]

    def fail_when(self, matches: Callable[[dict[str, Any]], bool], status: int) -> None:
        """Every request whose body `matches` is answered with `status`."""
        with self._lock:
            self.failing.append((matches, Failure(status)))

    def stop_failing(self) -> None:
        with self._lock:
            self.failing.clear()

    def answer_invalid(self, times: int) -> None:
        with self._lock:
            self.invalid_left = times

    def rewrite_next(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        with self._lock:
            self.rewrites.append(change)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def tools_called(self) -> list[str]:
        return [r.body["tool_choice"]["name"] for r in self.requests if r.status == 200]

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeAnthropic]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                self._reply(*fake.handle(self.path, dict(self.headers), raw))

            def do_GET(self) -> None:
                self._reply(*fake.handle_get(self.path, dict(self.headers)))

            def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: prompts carry (fake) personal data

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(5)

    # The API -----------------------------------------------------------------------
    def handle(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        lower = {k.lower(): v for k, v in headers.items()}
        started = time.monotonic()
        with self._lock:
            self._count += 1
            request_id = f"req_fake_{self._count:04d}"
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        kept = {k: v for k, v in lower.items() if k not in ("authorization", "x-api-key")}
        status, answer, extra = self._answer(path, lower, body, request_id)
        label = self._key_label(lower)
        with self._lock:
            self.requests.append(Recorded(body=body, headers=kept, status=status, key=label))
        wait = self.latency_for(body) if self.latency_for is not None else 0
        if wait:
            time.sleep(wait)
        with self._lock:
            self.intervals.append((started, time.monotonic()))
        return status, answer, {"request-id": request_id, "x-request-id": request_id, **extra}

    def handle_get(
        self, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """`GET /v1/models`: the models it knows, paged by `limit` as the API pages them.
        Not recorded in `requests`, which holds Messages calls only."""
        lower = {k.lower(): v for k, v in headers.items()}
        url = urlsplit(path)
        given = lower.get("x-api-key") or lower.get("authorization", "").removeprefix("Bearer ")
        if url.path.rstrip("/") != "/v1/models":
            return self._error(404, "no such endpoint", "req_fake_models")
        if given != self.key:
            return self._error(401, "invalid x-api-key", "req_fake_models")
        models = [_model_info(m) for m in MODELS]
        page = models[: int(dict(parse_qsl(url.query)).get("limit", "20"))]
        first, last = (page[0]["id"], page[-1]["id"]) if page else (None, None)
        body = {"data": page, "has_more": len(page) < len(models), "first_id": first,
                "last_id": last}  # fmt: skip
        return 200, body, {"request-id": "req_fake_models"}

    def _key_label(self, headers: dict[str, str]) -> str:
        given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        return "default" if given == self.key else self.other_keys.get(given, "")

    def _answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any], request_id: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path.rstrip("/") != "/v1/messages":
            return self._error(404, "no such endpoint", request_id)
        if not self._key_label(headers):
            return self._error(401, "invalid x-api-key", request_id)
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
            failure = failure or next((f for m, f in self.failing if m(body)), None)
        if failure is not None:
            extra = {"retry-after": failure.retry_after} if failure.retry_after else {}
            status, err, _ = self._error(failure.status, failure.message, request_id)
            return status, err, extra
        problem = self._malformed(body)
        if problem:
            return self._error(400, problem, request_id)
        tool = body["tool_choice"]["name"]
        with self._lock:
            invalid = self.invalid_left > 0
            self.invalid_left -= 1 if invalid else 0
            rewrite = self.rewrites.pop(0) if self.rewrites and not invalid else None
        answer = INVALID_INPUT if invalid else self._artifact(tool, body)
        if rewrite is not None:
            answer = rewrite(answer)
        return 200, self._message(body, tool, answer, request_id), {}

    def _malformed(self, body: dict[str, Any]) -> str | None:
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return f"{name}: Field required"
        for name in ("temperature", "top_p", "top_k"):
            if name in body:
                return f"{name}: Extra inputs are not permitted"
        choice = body.get("tool_choice") or {}
        tools = {t["name"] for t in body.get("tools", [])}
        if choice.get("type") != "tool" or choice.get("name") not in tools:
            return "this fake answers forced tool calls only"
        if (body.get("thinking") or {}).get("type") not in (None, "disabled"):
            return "Thinking may not be enabled when tool_choice forces tool use."
        messages = body["messages"]
        for before, after in itertools.pairwise(messages):
            used = [
                b["id"]
                for b in (before["content"] if isinstance(before["content"], list) else [])
                if b.get("type") == "tool_use"
            ]
            if before["role"] == "assistant" and used:
                content = after["content"] if isinstance(after["content"], list) else []
                answered = [b.get("tool_use_id") for b in content if b.get("type") == "tool_result"]
                if answered != used:
                    return "tool_use ids were found without tool_result blocks immediately after"
        return None

    def _error(
        self, status: int, message: str, request_id: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        kind = _ERROR_TYPES.get(status, "api_error")
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return status, {**body, "request_id": request_id}, {}

    def _artifact(self, tool: str, body: dict[str, Any]) -> dict[str, Any]:
        texts = [b["text"] for b in body.get("system", []) if isinstance(b, dict)]
        texts += _texts(body["messages"][0]["content"])
        tags: dict[str, Any] = {}
        for text in texts:
            for name, value in data_tags(text).items():
                tags.setdefault(name, value)
        result = asyncio.run(offline_answer(tool, tags))
        answer: dict[str, Any] = result.artifact.model_dump(mode="json")
        return answer

    def _message(
        self, body: dict[str, Any], tool: str, answer: dict[str, Any], request_id: str
    ) -> dict[str, Any]:
        read, write, prompt = self._cache(body)
        return {
            "id": f"msg_{request_id}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [
                {"type": "tool_use", "id": f"toolu_{request_id}", "name": tool, "input": answer}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt - read - write,
                "output_tokens": _tokens(json.dumps(answer)),
                "cache_read_input_tokens": read,
                "cache_creation_input_tokens": write,
            },
        }

    def _cache(self, body: dict[str, Any]) -> tuple[int, int, int]:
        """(read, written, all prompt tokens): each breakpoint's prefix is read when seen
        before, the longest such wins, and the rest up to the last breakpoint is written."""
        head = body["model"] + json.dumps(body.get("tools", []), sort_keys=True)
        prefix = head
        breakpoints: list[tuple[str, int]] = []
        for block in body.get("system", []):
            prefix += block["text"]
            if block.get("cache_control"):
                key = hashlib.sha256(prefix.encode()).hexdigest()
                breakpoints.append((key, _tokens(prefix) - _tokens(body["model"])))
        rest = "".join(t for m in body["messages"] for t in _texts(m["content"]))
        total = _tokens(prefix) - _tokens(body["model"]) + _tokens(rest)
        with self._lock:
            read = max((n for k, n in breakpoints if k in self._prefixes), default=0)
            last = breakpoints[-1][1] if breakpoints else 0
            self._prefixes.update(k for k, _ in breakpoints)
        return read, max(last - read, 0), total


def _model_info(model: str) -> dict[str, Any]:
    return {"type": "model", "id": model, "display_name": model.replace("-", " ").title(),
            "created_at": "2026-01-15T00:00:00Z", "lifecycle": "active"}  # fmt: skip
