"""The client's pages: signing in (with a password, or the first time from the onboarding
link), the list of projects, and a project's page with its live progress, preview,
versions, changes, plan sign-off and approval."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from sitegen.contracts.review import WAITING_FOR_PLAN
from sitegen.portal.bridge import ApiFailed
from sitegen.portal.page import Page, PageDep, html_error, link_refusal, refusal
from sitegen.portal.progress import progress

router = APIRouter(prefix="/portal", include_in_schema=False)
_NOTICES = ("revision", "approved", "plan", "sent", "done")


def safe_next(target: str | None, default: str = "/portal/") -> str:
    """Where to go after signing in: a page of ours, never another site."""
    if target and target.startswith(("/portal/", "/console")) and "//" not in target:
        return target
    return default


@router.get("/")
async def home(page: PageDep) -> Response:
    if not page.signed_in:
        return page.redirect("/portal/sign-in")
    me = await page.api.get_json("/auth/me")  # refused: the sign-in page, or why
    if me["role"] != "client":
        return page.redirect("/console/")
    projects = await page.api.get_json("/projects")
    if len(projects) == 1:
        return page.redirect(f"/portal/projects/{projects[0]['id']}")
    return page.render("projects.html", projects=projects)


@router.get("/sign-in")
async def sign_in_form(page: PageDep, next: str | None = None) -> Response:
    return page.render("sign_in.html", next=safe_next(next), error=None, email="")


@router.post("/sign-in")
async def sign_in(page: PageDep) -> Response:
    form = await page.check_form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    answer = await page.api.anonymous(
        "POST", "/auth/login", json={"email": email, "password": password}
    )
    if answer.status_code == 200:
        if page.api.tokens.refresh:  # the sign-in this browser had before ends
            await page.api.anonymous(
                "POST", "/auth/logout", json={"refresh_token": page.api.tokens.refresh}
            )
        page.sign_in(answer.json())
        return page.redirect(target)
    error = {429: "too_many", 401: "sign_in_failed", 422: "sign_in_failed"}.get(
        answer.status_code, "unavailable"
    )
    return page.render(
        "sign_in.html", status=answer.status_code, next=target, error=error, email=email
    )


@router.post("/sign-out")
async def sign_out(page: PageDep) -> Response:
    await page.check_form()
    if page.api.tokens.refresh:
        await page.api.anonymous(
            "POST", "/auth/logout", json={"refresh_token": page.api.tokens.refresh}
        )
    page.sign_out()
    return page.redirect("/portal/sign-in")


@router.get("/start/{token}")
async def start(token: str, page: PageDep) -> Response:
    answer = await page.api.call("GET", f"/onboarding/{quote(token, safe='')}")
    if answer.status_code != 200:
        return link_refusal(page, answer.status_code)
    link = answer.json()
    form_page = f"/portal/start/{quote(token, safe='')}/form"
    if page.signed_in:
        return page.redirect(form_page)
    return page.render("start.html", link=link, token=token, next=form_page, error=None)


@router.post("/start/{token}")
async def start_account(token: str, page: PageDep) -> Response:
    form = await page.check_form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    path = f"/onboarding/{quote(token, safe='')}"
    answer = await page.api.anonymous(
        "POST", f"{path}/account", json={"email": email, "password": password}
    )
    if answer.status_code == 201:
        page.sign_in(answer.json())
        return page.redirect(f"/portal/start/{quote(token, safe='')}/form")
    if answer.status_code not in (409, 422):
        return link_refusal(page, answer.status_code)
    read = await page.api.call("GET", path)
    if read.status_code != 200:
        return link_refusal(page, read.status_code)
    link = read.json()
    errors = {e["field"]: e["reason"] for e in answer.json().get("errors", [])}
    if answer.status_code == 409:
        errors["email"] = answer.json().get("detail", "")
    return page.render(
        "start.html",
        status=answer.status_code,
        link=link,
        token=token,
        next=f"/portal/start/{quote(token, safe='')}/form",
        error=errors,
        email=email,
    )


@router.get("/projects/{project_id}")
async def project_page(project_id: uuid.UUID, page: PageDep, notice: str | None = None) -> Response:
    if not page.signed_in:
        return page.redirect(f"/portal/sign-in?next=/portal/projects/{project_id}")
    try:
        view = await _project_view(page, project_id)
    except ApiFailed as failed:
        return refusal(page, failed.status, f"/portal/projects/{project_id}")
    return page.render("project.html", notice=notice if notice in _NOTICES else None, **view)


@router.get("/projects/{project_id}/progress")
async def progress_fragment(project_id: uuid.UUID, page: PageDep) -> Response:
    """The live part of the project page, fetched again on each event."""
    try:
        view = await _project_view(page, project_id)
    except ApiFailed as failed:
        return refusal(page, failed.status, f"/portal/projects/{project_id}")
    return page.render("_live.html", **view)


async def _project_view(page: Page, project_id: uuid.UUID) -> dict[str, Any]:
    base = f"/projects/{project_id}"
    project, steps, versions, revisions = await asyncio.gather(
        page.api.get_json(base),
        page.api.get_json(f"{base}/pipeline"),
        page.api.get_json(f"{base}/versions"),
        page.api.get_json(f"{base}/revisions"),
    )
    plan = None
    if project["plan_approval"]:
        plan = await page.api.get_json(f"{base}/plan")
    template_pages: list[str] = []
    for template in await page.api.get_json("/templates"):
        if template["id"] == project["template_id"]:
            template_pages = template["pages"]
    return {
        "project": project,
        "progress": progress(project["status"], steps),
        "versions": list(reversed(versions)),
        "revisions": list(reversed(revisions)),
        "plan": plan,
        "pages": template_pages,
        # The revision form's own key: sent twice (a double click), it is queued once.
        "request_id": uuid.uuid4().hex,
        # A preview to approve, and nothing else asked of the client first (the plan).
        "can_approve": page.settings.client_can_approve
        and bool(project["preview_url"])
        and project["status"] in ("preview_ready", "in_review")
        and project["waiting_for"] != WAITING_FOR_PLAN,
    }


async def _act(
    page: Page,
    project_id: uuid.UUID,
    path: str,
    body: dict[str, Any],
    notice: str,
    headers: dict[str, str] | None = None,
) -> Response:
    answer = await page.api.call(
        "POST", f"/projects/{project_id}{path}", json=body, headers=headers
    )
    if answer.status_code in (200, 201, 202):
        return page.redirect(f"/portal/projects/{project_id}?notice={notice}")
    if answer.status_code == 401:
        return refusal(page, 401, f"/portal/projects/{project_id}")
    try:
        view = await _project_view(page, project_id)
    except ApiFailed as failed:
        return refusal(page, failed.status, f"/portal/projects/{project_id}")
    detail = answer.json()
    reasons = [f"{e['field']}: {e['reason']}" for e in detail.get("errors", [])] or [
        str(detail.get("detail", ""))
    ]
    return page.render(
        "project.html", status=answer.status_code, notice=None, refused=reasons, **view
    )


@router.post("/projects/{project_id}/revisions")
async def ask_revision(project_id: uuid.UUID, page: PageDep) -> Response:
    form = await page.check_form()
    body: dict[str, Any] = {"message": str(form.get("message", ""))}
    pages = [str(p) for p in form.getlist("affected_pages")]
    if pages:
        body["affected_pages"] = pages
    # The form's own token: a double click or a resent form queues the change once.
    sent_id = str(form.get("request_id", ""))
    key = {"Idempotency-Key": sent_id if re.fullmatch(r"[0-9a-f]{32}", sent_id) else ""}
    return await _act(
        page,
        project_id,
        "/revisions",
        body,
        "revision",
        headers=key if key["Idempotency-Key"] else None,
    )


@router.post("/projects/{project_id}/approve")
async def approve(project_id: uuid.UUID, page: PageDep) -> Response:
    form = await page.check_form()
    body: dict[str, Any] = {"approved_by": str(form.get("approved_by", ""))}
    if str(form.get("note", "")).strip():
        body["note"] = str(form.get("note"))
    return await _act(page, project_id, "/approve", body, "approved")


@router.post("/projects/{project_id}/plan/{decision}")
async def plan_decision(project_id: uuid.UUID, decision: str, page: PageDep) -> Response:
    form = await page.check_form()
    name = str(form.get("name", ""))
    if decision == "approve":
        return await _act(page, project_id, "/plan/approve", {"approved_by": name}, "plan")
    if decision == "revise":
        body = {"message": str(form.get("message", "")), "requested_by": name or None}
        return await _act(page, project_id, "/plan/revisions", body, "plan")
    return html_error(page, 404, "not_found")
