"""Runs inside the build sandbox: Chromium over the DevTools protocol on a pipe, each page at
each viewport, the measuring script (contrast.js) in an isolated world, results as JSON.

Standard library only, and no import of sitegen: the sandbox sees this file and the Python
install, nothing else. Usage: ``python -I -S contrast_driver.py job.json result.json``, where
the job names the browser's command line, the pages (file names under ``site/``), the
viewports and the script, and which page to photograph at each viewport (as loaded, before
the script moves the focus about) and where to write the PNG. Chromium reads commands on fd 3 and writes replies on fd 4, each
one JSON message ended by a NUL byte, so no port is opened, not even on loopback. The
sandbox's wall-clock timeout bounds every wait here; nothing in this file needs its own.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import mimetypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# Each viewport's result past this is dropped: the Python side caps what it reads anyway.
_MAX_FINDINGS = 200
# The site is served from this made-up origin, by the driver itself (the Fetch domain), so
# that root-relative links (a 404 page's /css/site.css) resolve as on the real host.
ORIGIN = "http://site.invalid"
_TYPES = {".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
          ".woff2": "font/woff2", ".webp": "image/webp", ".png": "image/png",
          ".jpg": "image/jpeg", ".js": "text/javascript"}  # fmt: skip


class Cdp:
    """A blocking DevTools client on two pipes. Events that arrive while waiting for a
    reply are kept, so a wait for an event sees one that came early."""

    def __init__(self, argv: list[str], site: Path) -> None:
        self.site = site.resolve()
        # The browser expects its ends as fds 3 and 4: every end goes above them first, so
        # that putting the browser's there cannot clobber one of ours.
        ends = []
        for fd in (*os.pipe(), *os.pipe()):
            ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
            os.close(fd)
        to_browser_r, to_browser_w, from_browser_r, from_browser_w = ends
        os.dup2(to_browser_r, 3)
        os.dup2(from_browser_w, 4)
        self.proc = subprocess.Popen(
            argv, pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        for fd in (3, 4, to_browser_r, from_browser_w):
            os.close(fd)
        self.out = os.fdopen(to_browser_w, "wb", buffering=0)
        self.inp = os.fdopen(from_browser_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            chunk = self.inp.read(1 << 16)
            if not chunk:
                raise self._gone()
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        if parsed.get("method") == "Fetch.requestPaused":  # answered at once, whatever waits
            self._serve(parsed["params"], parsed.get("sessionId"))
        return parsed

    def _gone(self) -> RuntimeError:
        """Chromium ended (a crash, a bad flag): said with its exit status."""
        try:
            code: int | None = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        return RuntimeError(f"chromium closed the pipe (exit {code})")

    def _send(self, method: str, session: str | None, params: dict[str, Any]) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        try:
            self.out.write(json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise self._gone() from None
        return self.next_id

    def _serve(self, paused: dict[str, Any], session: str | None) -> None:
        """A file of the site for a request to ORIGIN; any other request fails (offline)."""
        request_id = paused["requestId"]
        url = urlsplit(paused["request"]["url"])
        if f"{url.scheme}://{url.netloc}" != ORIGIN:
            self._send("Fetch.failRequest", session,
                       {"requestId": request_id, "errorReason": "BlockedByClient"})  # fmt: skip
            return
        path = unquote(url.path)
        target = (self.site / (path.lstrip("/") or "index.html")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.site) or not target.is_file():
            self._send("Fetch.fulfillRequest", session, {"requestId": request_id,
                       "responseCode": 404, "body": ""})  # fmt: skip
            return
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        headers = [{"name": "Content-Type", "value": kind or "application/octet-stream"}]
        body = base64.b64encode(target.read_bytes()).decode()
        self._send("Fetch.fulfillRequest", session, {"requestId": request_id,
                   "responseCode": 200, "responseHeaders": headers, "body": body})  # fmt: skip

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, session, params)
        while True:
            reply = self._read()  # replies to the fire-and-forget _serve are dropped here
            if reply.get("id") == wanted:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message', reply)}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply and reply["method"] != "Fetch.requestPaused":
                self.events.append(reply)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            event = self._read()
            if "method" in event and event["method"] != "Fetch.requestPaused":
                self.events.append(event)

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):  # it may be gone already
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def measure(cdp: Cdp, job: dict[str, Any]) -> list[dict[str, Any]]:
    script = Path(job["script"]).read_text(encoding="utf-8")
    target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
    session = cdp.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    cdp.call("Page.enable", session)
    cdp.call("Fetch.enable", session, patterns=[{"urlPattern": "*"}])
    # The page's own scripts stay off: the templates have none, and a script could repaint
    # the page after the measurement or tamper with it. The focus emulation makes :focus
    # match though the headless window never has the system's focus.
    cdp.call("Emulation.setScriptExecutionDisabled", session, value=True)
    cdp.call("Emulation.setFocusEmulationEnabled", session, enabled=True)
    results: list[dict[str, Any]] = []
    for viewport in job["viewports"]:
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=viewport["width"],
            height=viewport["height"],
            deviceScaleFactor=1,
            mobile=viewport["mobile"],
        )
        for page in job["pages"]:
            cdp.call("Page.navigate", session, url=f"{ORIGIN}/{quote(page)}")
            cdp.wait_event("Page.loadEventFired", session)
            if page == job.get("screenshot_page") and viewport.get("screenshot"):
                # The page as a visitor sees it: before the script focuses anything.
                png = cdp.call("Page.captureScreenshot", session, format="png")["data"]
                Path(viewport["screenshot"]).write_bytes(base64.b64decode(png))
            frame = cdp.call("Page.getFrameTree", session)["frameTree"]["frame"]["id"]
            # A world of its own: the page's globals (even if a script did run) cannot
            # change the builtins the measurement relies on.
            world = cdp.call(
                "Page.createIsolatedWorld", session, frameId=frame, worldName="sitegen-contrast"
            )["executionContextId"]
            reply = cdp.call(
                "Runtime.evaluate",
                session,
                expression=script,
                contextId=world,
                returnByValue=True,
                awaitPromise=True,
            )
            if "exceptionDetails" in reply:
                detail = reply["exceptionDetails"]
                text = detail.get("exception", {}).get("description") or detail.get("text")
                raise RuntimeError(f"the contrast script failed on {page}: {text}")
            value = reply["result"].get("value") or {}
            value["failures"] = value.get("failures", [])[:_MAX_FINDINGS]
            results.append({"page": page, "viewport": viewport["name"], **value})
    return results


def main() -> int:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    cdp = Cdp(job["argv"], Path(job["site"]))
    try:
        results = measure(cdp, job)
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        # The last line of the output is the reason the build report shows.
        print(f"{type(exc).__name__}: {exc}"[:300], file=sys.stderr)
        return 1
    finally:
        cdp.close()
    Path(sys.argv[2]).write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
