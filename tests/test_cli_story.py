"""`sitegen demo --story` as a user runs it: a real subprocess on free ports and its own data
dir, from the order to a delivered site; and the story's failure messages, against a fake API."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from sitegen.cli.story import tell_story
from tests.test_cli_dev import SITEGEN, dev_env, free_ports, stack_processes

FORM = {"business": {"name": "Harbour Physiotherapy"}, "design": {"primary_color": "#0F5E7A"}}


# Slow (the whole stack, or Temporal restarted): run by `make chaos`, in CI too.
@pytest.mark.chaos
def test_story_runs_a_project_to_delivery(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ports = free_ports()
    done = subprocess.run(
        [str(SITEGEN), "demo", "--story"],
        env=dev_env(data_dir, ports),
        cwd=tmp_path,  # no stray .env from the repo
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    output = done.stdout
    assert done.returncode == 0, output
    assert "Traceback" not in output
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    host = ports["SITEGEN_HOSTING_PORT"]
    applied = [line for line in lines if re.match(r"revision \d applied: .+ → http://", line)]
    assert [line.split()[1] for line in applied] == ["1", "2", "3"], output
    # Each revision is its own version, with its own immutable address.
    for n, line in enumerate(applied, 2):
        assert re.search(rf"→ http://[a-z0-9-]+--v{n}\.localhost:{host}/$", line), line
    assert any(re.match(r"revision \d queued .+: mude o título", line) for line in lines)
    assert any(re.match(rf"rollback applied: .+--v5\.localhost:{host}/$", line) for line in lines)
    assert any("delivered" in line for line in lines), output
    assert re.fullmatch(rf"http://[a-z0-9-]+\.live\.localhost:{host}/", lines[-1]), output
    # The story implies --once: it exits, and the stack it started is gone.
    assert stack_processes(data_dir, ports) == []


class FakeApi:
    """Just enough of the review API for the story to meet a refusal or a stuck project."""

    def __init__(self, reject: int | None = None, status: str = "in_review") -> None:
        self.reject = reject  # this revision (1-based) is rejected by the AI
        self.status = status
        self.revisions: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/revisions"):
            self.revisions.append(str(uuid.uuid4()))
            body = {"revision_id": self.revisions[-1], "position": len(self.revisions)}
            return httpx.Response(202, json={**body, "status": "pending"})
        if "/revisions/" in path:
            n = self.revisions.index(path.rsplit("/", 1)[-1]) + 1
            if n == self.reject:
                reason = "I can't delete the website."
                return httpx.Response(200, json={"status": "rejected", "rejection_reason": reason})
            return httpx.Response(200, json={"status": "processing"})
        if path.endswith("/pipeline"):
            step = {"step_key": "build_and_test", "status": "failed", "error_message": "boom"}
            return httpx.Response(200, json=[step])
        return httpx.Response(200, json={"status": self.status})


def told(fake: FakeApi, timeout: float = 5) -> tuple[bool, list[str]]:
    console = Console(record=True, width=200, force_terminal=False)
    with httpx.Client(transport=httpx.MockTransport(fake), base_url="http://api") as api:
        ok = tell_story(api, console, {"id": "p1"}, json.loads(json.dumps(FORM)), timeout)
    return ok, [line for line in console.export_text().splitlines() if line.strip()]


def test_a_rejected_revision_fails_the_story_with_its_reason() -> None:
    ok, lines = told(FakeApi(reject=1))
    assert not ok
    assert lines[-1] == "story failed: revision 1 was rejected: I can't delete the website."


def test_a_stuck_project_names_the_failed_step() -> None:
    ok, lines = told(FakeApi(status="needs_attention"))
    assert not ok
    assert lines[-1] == "story failed: step build_and_test failed: boom"


def test_waiting_too_long_says_what_for() -> None:
    ok, lines = told(FakeApi(), timeout=0.3)
    assert not ok
    assert lines[-1] == (
        "story failed: timed out after 0.3 s waiting for revision 1 to be applied "
        "(project status: in_review)"
    )
