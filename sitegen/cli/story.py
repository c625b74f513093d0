"""`sitegen demo --story`: a project's life after its first preview, run live.

Three revisions (one in Portuguese), a rollback to an earlier version, then approval until
the project is delivered. Every step goes through the public HTTP API, the way a client's
portal would, and every URL printed has been fetched and shown to serve the change.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.markup import escape

from sitegen.integrations.hosting.probe import get_preview

T = TypeVar("T")
POLL_SECONDS = 0.15  # the API is local: frequent polls cost little and keep the story brisk
SERVE_SECONDS = 15.0
NAVY = "#1b2a4a"  # what the offline AI (and any designer) means by "navy"
DARK_GREEN = "#1f4d2b"


class StoryFailed(Exception):
    """One step of the story did not happen; the message names it and why."""


class TimedOut(StoryFailed):
    pass


@dataclass(frozen=True)
class Change:
    """A revision to ask for, and what its version must serve once it is applied."""

    message: str
    path: str  # the page (or stylesheet) the change shows on
    shows: str  # text that page must contain


def story_changes(form: dict[str, Any]) -> list[Change]:
    """Two English revisions and one Portuguese: the offline AI reads either language on
    any site, and a client's own words are often not in the site's language."""
    primary = str(form.get("design", {}).get("primary_color", "")).lower()
    # Asking for the colour the site already has is refused, so pick one it has not.
    name, colour = ("dark green", DARK_GREEN) if primary == NAVY else ("navy", NAVY)
    english = "Here when you need us"
    portuguese = "Perto de você, todos os dias"
    return [
        Change(f"Change the primary colour to {name}", "css/tokens.css", colour),
        Change(f'Change the headline on the home page to "{english}"', "", english),
        Change(f'mude o título da página inicial para "{portuguese}"', "", portuguese),
    ]


class Story:
    def __init__(
        self,
        api: httpx.Client,
        console: Console,
        project: dict[str, Any],
        business_name: str,
        timeout: float,
    ) -> None:
        self.api = api
        self.console = console
        self.project_id = str(project["id"])
        self.url = f"/api/v1/projects/{self.project_id}"
        self.business_name = business_name
        self.timeout = timeout
        self.started = time.monotonic()

    # --- the story ------------------------------------------------------------------------

    def run(self, changes: list[Change]) -> str:
        """Tell the whole story; the production URL, once it serves the delivered site."""
        versions = self._revisions(changes)
        # Back to the version with the English headline: the Portuguese one is undone.
        target = versions[1]
        rolled = self._rollback(target, changes[1], undone=changes[2])
        return self._deliver(rolled, changes[1], undone=changes[2])

    def _revisions(self, changes: list[Change]) -> list[dict[str, Any]]:
        """Queue every revision at once (the workflow applies them in order), then report
        each as it becomes a version."""
        queued = []
        for n, change in enumerate(changes, 1):
            response = self.api.post(
                f"{self.url}/revisions", json={"message": change.message, "requested_by": "demo"}
            )
            if response.status_code != 202:
                raise StoryFailed(f"revision {n} was not accepted: {_reason(response)}")
            body = response.json()
            queued.append(body["revision_id"])
            self._event(
                f"revision {n} queued (position {body['position']}): {change.message}", "dim"
            )
        versions = []
        for n, (revision_id, change) in enumerate(zip(queued, changes, strict=True), 1):
            revision = self._wait(f"revision {n} to be applied", self._finished(revision_id))
            if revision["status"] == "rejected":
                raise StoryFailed(f"revision {n} was rejected: {revision['rejection_reason']}")
            version = self._wait(
                f"the version of revision {n}", self._revision_version(revision_id)
            )
            self._serves(version["url"], change, f"revision {n}'s version")
            self._event(f"revision {n} applied: {revision['summary']} → {version['url']}", "green")
            versions.append(version)
        return versions

    def _rollback(self, target: dict[str, Any], keeps: Change, undone: Change) -> dict[str, Any]:
        number = target["number"]
        response = self.api.post(
            f"{self.url}/rollback", json={"version": number, "requested_by": "demo"}
        )
        if response.status_code != 202:
            raise StoryFailed(f"the rollback to version {number} was refused: {_reason(response)}")
        self._event(f"rollback to version {number} queued", "dim")
        version = self._wait(
            f"the rollback to version {number}",
            self._version(lambda v: v["kind"] == "rollback" and v["rolled_back_to"] == number),
        )
        page = self._serves(version["url"], keeps, "the rolled-back version")
        if html.escape(undone.shows, quote=False) in page:
            raise StoryFailed(f"{version['url']} still shows {undone.shows!r} after the rollback")
        self._event(
            f"rollback applied: version {version['number']} is version {number} again "
            f"→ {version['url']}",
            "green",
        )
        return version

    def _deliver(self, live: dict[str, Any], shows: Change, undone: Change) -> str:
        response = self.api.post(
            f"{self.url}/approve",
            json={"approved_by": "demo client", "note": "approved from sitegen demo --story"},
        )
        if response.status_code != 202:
            raise StoryFailed(f"the approval was refused: {_reason(response)}")
        self._event("approved by demo client", "dim")
        seen: set[str] = set()

        def delivered() -> dict[str, Any] | None:
            project = self._project()
            if project["status"] not in seen:  # each status the project passes through
                seen.add(project["status"])
                self._event(f"project status: {project['status']}", "dim")
            ready = project["status"] == "delivered" and project.get("production_url")
            return project if ready else None

        project = self._wait("the project to be delivered", delivered)
        production: str = project["production_url"]
        page = self._serves(production, shows, "the production site")
        # Production is the approved (rolled-back) site, under the client's own name.
        if html.escape(undone.shows, quote=False) in page:
            raise StoryFailed(f"{production} shows {undone.shows!r}, which was rolled back")
        if html.escape(self.business_name, quote=False) not in page:
            raise StoryFailed(f"{production} does not show {self.business_name!r}")
        self._event(
            f"delivered: version {live['number']} is in production "
            f"(story took {time.monotonic() - self.started:.1f} s)",
            "bold green",
        )
        return production

    # --- waiting and checking -------------------------------------------------------------

    def _event(self, text: str, style: str) -> None:
        # Summaries and messages are the client's words: never rich markup.
        self.console.print(f"[{style}]{escape(text)}[/]", highlight=False)

    def _project(self) -> dict[str, Any]:
        project: dict[str, Any] = self.api.get(self.url).json()
        if project["status"] in ("needs_attention", "cancelled"):
            raise StoryFailed(self._why_stuck(project))
        return project

    def _why_stuck(self, project: dict[str, Any]) -> str:
        steps = self.api.get(f"{self.url}/pipeline").json()
        failed = [s for s in steps if s["status"] == "failed"]
        if failed:
            return f"step {failed[0]['step_key']} failed: {failed[0]['error_message']}"
        return f"the project is {project['status']}"

    def _wait(self, what: str, check: Callable[[], T | None], timeout: float | None = None) -> T:
        """Poll `check` until it has an answer, noticing a project that got stuck."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self.console.status(f"waiting for {what}..."):
            while True:
                found = check()
                if found is not None:
                    return found
                status = self._project()["status"]
                if time.monotonic() > deadline:
                    raise TimedOut(
                        f"timed out after {timeout:g} s waiting for {what} "
                        f"(project status: {status})"
                    )
                time.sleep(POLL_SECONDS)

    def _finished(self, revision_id: str) -> Callable[[], dict[str, Any] | None]:
        def check() -> dict[str, Any] | None:
            revision: dict[str, Any] = self.api.get(f"{self.url}/revisions/{revision_id}").json()
            return revision if revision["status"] in ("applied", "rejected") else None

        return check

    def _version(
        self, match: Callable[[dict[str, Any]], bool]
    ) -> Callable[[], dict[str, Any] | None]:
        def check() -> dict[str, Any] | None:
            versions: list[dict[str, Any]] = self.api.get(f"{self.url}/versions").json()
            return next((v for v in versions if match(v)), None)

        return check

    def _revision_version(self, revision_id: str) -> Callable[[], dict[str, Any] | None]:
        return self._version(lambda v: v["revision_id"] == revision_id)

    def _serves(self, url: str, change: Change, what: str) -> str:
        """The page at `url` with the change in it, or StoryFailed saying what it served."""
        target = url.rstrip("/") + "/" + change.path
        wanted = html.escape(change.shows, quote=False)
        problem = ""

        def check() -> str | None:
            nonlocal problem
            try:
                response = get_preview(target, timeout=5)
            except httpx.HTTPError as exc:
                problem = f"{target} did not answer: {exc}"
                return None
            if response.status_code != 200:
                problem = f"{target} answered {response.status_code}"
                return None
            if wanted not in response.text:
                problem = f"{target} does not show {change.shows!r}"
                return None
            return response.text

        try:
            # A deployed version serves at once; a few seconds cover a slow first request.
            return self._wait(f"{what} to serve {target}", check, timeout=SERVE_SECONDS)
        except TimedOut:
            raise StoryFailed(f"{what}: {problem}") from None


def _reason(response: httpx.Response) -> str:
    """The API's own words for a refusal (its errors name their field), else the status."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return f"HTTP {response.status_code}: {detail}"


def tell_story(
    api: httpx.Client,
    console: Console,
    project: dict[str, Any],
    form: dict[str, Any],
    timeout: float = 120,
) -> bool:
    """Run the story on a project whose preview is ready. The production URL is the last
    line printed on success; otherwise the last line names what failed."""
    story = Story(api, console, project, form["business"]["name"], timeout)
    try:
        production = story.run(story_changes(form))
    except StoryFailed as exc:
        console.print(f"[bold red]story failed:[/] {escape(str(exc))}", soft_wrap=True)
        return False
    except httpx.HTTPError as exc:
        console.print(f"[bold red]story failed:[/] the API did not answer: {exc}")
        return False
    console.print(production, soft_wrap=True, highlight=False)
    return True
