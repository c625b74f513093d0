"""The operator console: projects by status with a search, the queue of what needs a person
(each failed step's error, findings and logs, with retry / skip / abort), a project's steps
and costs, and a link from each project to its run in the Temporal UI. What an operator may
do is the API's to decide: a client who finds these pages is refused there."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.status import ProjectStatus
from sitegen.portal.bridge import ApiFailed
from sitegen.portal.page import Page, PageDep, html_error, refusal
from sitegen.temporal_ui import temporal_ui_url

router = APIRouter(prefix="/console", include_in_schema=False)
STATUSES = [s.value for s in ProjectStatus]


async def _not_agency(page: Page, here: str) -> Response | None:
    """The page to show instead when the caller is not the agency's (a client's token
    would read its own projects here: the console is not for clients)."""
    if not page.signed_in:
        return page.redirect(f"/portal/sign-in?next={here}")
    try:
        me = await page.api.get_json("/auth/me")
    except ApiFailed as failed:
        return refusal(page, failed.status, "/console/")
    return html_error(page, 403, "not_allowed") if me["role"] == "client" else None


def _run_link(page: Page, project: dict[str, Any]) -> str | None:
    workflow_id = project.get("workflow_id")
    return temporal_ui_url(page.settings, workflow_id) if workflow_id else None


@router.get("/")
async def projects(
    page: PageDep,
    status: ProjectStatus | None = None,
    q: str | None = Query(default=None, max_length=100),
) -> Response:
    if (instead := await _not_agency(page, "/console/")) is not None:
        return instead
    params: dict[str, Any] = {"limit": 200}
    if status is not None:
        params["status"] = status.value
    if q:
        params["q"] = q
    try:
        found = await page.api.get_json("/projects", params=params)
    except ApiFailed as failed:
        return refusal(page, failed.status, "/console/")
    rows = [{**p, "run_link": _run_link(page, p)} for p in found]
    return page.render(
        "console/projects.html", projects=rows, statuses=STATUSES, chosen=status, q=q or ""
    )


@router.get("/attention")
async def attention(page: PageDep) -> Response:
    """Every project stopped for a person, with each failed step and what it said."""
    if (instead := await _not_agency(page, "/console/attention")) is not None:
        return instead
    try:
        stuck = await page.api.get_json("/projects", params={"status": "needs_attention"})
        pipelines = await asyncio.gather(
            *(page.api.get_json(f"/projects/{p['id']}/pipeline") for p in stuck)
        )
    except ApiFailed as failed:
        return refusal(page, failed.status, "/console/")
    items = [
        {
            "project": {**p, "run_link": _run_link(page, p)},
            "failed": await _with_logs(page, p["id"], steps),
        }
        for p, steps in zip(stuck, pipelines, strict=True)
    ]
    return page.render("console/attention.html", items=items)


async def _with_logs(
    page: Page, project_id: str, steps: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each failed step with what it logged (the end of a build's output, its AI calls)."""
    failed = [s for s in steps if s["status"] in ("failed", "manual")]
    logs = await asyncio.gather(
        *(
            page.api.call("GET", f"/projects/{project_id}/pipeline/{s['step_key']}/logs")
            for s in failed
        )
    )
    return [
        {**step, "logs": answer.json() if answer.status_code == 200 else None}
        for step, answer in zip(failed, logs, strict=True)
    ]


@router.get("/projects/{project_id}")
async def project(project_id: uuid.UUID, page: PageDep, done: str | None = None) -> Response:
    if (instead := await _not_agency(page, f"/console/projects/{project_id}")) is not None:
        return instead
    base = f"/projects/{project_id}"
    try:
        found, steps, revisions, versions, costs = await asyncio.gather(
            page.api.get_json(base),
            page.api.get_json(f"{base}/pipeline"),
            page.api.get_json(f"{base}/revisions"),
            page.api.get_json(f"{base}/versions"),
            page.api.get_json(f"{base}/costs"),
        )
    except ApiFailed as failed:
        return refusal(page, failed.status, "/console/")
    return page.render(
        "console/project.html",
        project={**found, "run_link": _run_link(page, found)},
        steps=steps,
        failed=await _with_logs(page, str(project_id), steps)
        if found["status"] == "needs_attention"
        else [],
        revisions=revisions,
        versions=versions,
        costs=costs,
        done=done if done in ("retry", "skip", "abort") else None,
    )


@router.post("/projects/{project_id}/steps/{step}/{action}")
async def decide(
    project_id: uuid.UUID,
    step: StepKey,
    action: Literal["retry", "skip", "abort"],
    page: PageDep,
) -> Response:
    form = await page.check_form()
    body: dict[str, Any] = {}
    if str(form.get("note", "")).strip():
        body["note"] = str(form.get("note"))
    answer = await page.api.call("POST", f"/projects/{project_id}/steps/{step}/{action}", json=body)
    if answer.status_code == 200:
        return page.redirect(f"/console/projects/{project_id}?done={action}")
    if answer.status_code == 401:
        return refusal(page, 401, "/console/attention")
    detail = str(answer.json().get("detail", answer.status_code))
    return page.render(
        "error.html", status=answer.status_code, message=f"{action} {step.value}: {detail}"
    )
