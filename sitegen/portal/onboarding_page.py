"""The onboarding form in the browser, from the link in the e-mail: every field of the
onboarding contract, images uploaded on the way, and the API's 422 shown beside each field
it names. Sent, it starts the build, and the client lands on the project's live page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from sitegen.contracts.onboarding import Tone
from sitegen.portal.onboarding_form import (
    GROUPS,
    SINGLE_FIELDS,
    FieldErrors,
    row_count,
    to_fields,
    to_onboarding,
)
from sitegen.portal.page import Page, PageDep, link_refusal

router = APIRouter(prefix="/portal", include_in_schema=False)
NEW_IMAGES = 3


def _shown(data: dict[str, Any]) -> set[str]:
    """Every field name the form shows for `data`: where an error can be put."""
    names = {*SINGLE_FIELDS, "pages", "new_logo", *(f"new_image.{i}" for i in range(NEW_IMAGES))}
    for group, (fields, _) in GROUPS.items():
        for i in range(row_count(group, data)):
            names.update(f"{group}.{i}.{f}" for f in fields)
    return names


async def _link(page: Page, token: str) -> tuple[dict[str, Any] | None, Response | None]:
    answer = await page.api.call("GET", f"/onboarding/{quote(token, safe='')}")
    if answer.status_code == 200:
        return answer.json(), None
    return None, link_refusal(page, answer.status_code)


async def _template_pages(page: Page, template_id: str) -> list[str]:
    answer = await page.api.call("GET", "/templates")
    if answer.status_code != 200:
        return ["home"]
    return next((t["pages"] for t in answer.json() if t["id"] == template_id), ["home"])


def _render(
    page: Page,
    token: str,
    link: dict[str, Any],
    pages: list[str],
    data: dict[str, Any],
    errors: FieldErrors,
    status: int = 200,
    message: str | None = None,
    posted: bool = True,
) -> Response:
    return page.render(
        "onboarding.html",
        status=status,
        token=token,
        link=link,
        template_pages=pages,
        values=to_fields(data),
        chosen_pages=set(data.get("pages", ["home"])),
        rows={group: row_count(group, data) for group in GROUPS},
        errors=errors,
        tones=[t.value for t in Tone],
        new_images=NEW_IMAGES,
        message=message,
        # Shown again after sending: what was sent is on the form. Opened afresh (perhaps to
        # correct a form the checks refused), the browser's draft fills it in.
        posted=posted,
        # The folded parts open when they hold answers or errors.
        open_contact=_touches(data, errors, ("business.social", "business.opening_hours")),
        open_content=_touches(data, errors, ("testimonials", "faq", "plans", "projects")),
    )


def _touches(data: dict[str, Any], errors: FieldErrors, prefixes: tuple[str, ...]) -> bool:
    names = [*to_fields(data), *errors.by_field]
    return any(name.startswith(prefixes) for name in names)


@router.get("/start/{token}/form")
async def form_page(token: str, page: PageDep) -> Response:
    if not page.signed_in:
        return page.redirect(f"/portal/start/{quote(token, safe='')}")
    link, failed = await _link(page, token)
    if link is None:
        assert failed is not None
        return failed
    if not link["open"]:  # sent and being built: the project's page is where to be
        return page.redirect(f"/portal/projects/{link['project_id']}")
    pages = await _template_pages(page, link["template_id"])
    earlier = link["validation_errors"]  # a form sent before that the checks refused
    shown = _shown({})
    errors = FieldErrors.from_api(
        [{"field": e.get("field", ""), "reason": e.get("reason", "")} for e in earlier], shown
    )
    return _render(page, token, link, pages, {"locale": page.locale}, errors, posted=False)


async def _upload(page: Page, project_id: str, file: UploadFile) -> tuple[str | None, str | None]:
    """(storage key, None) or (None, the API's reason)."""
    data = await file.read()
    answer = await page.api.call(
        "POST",
        f"/projects/{project_id}/assets",
        files={"file": (file.filename or "image", data, file.content_type or "")},
    )
    if answer.status_code == 201:
        return answer.json()["storage_key"], None
    body = answer.json()
    reasons = [e.get("reason", "") for e in body.get("errors", [])]
    return None, reasons[0] if reasons else str(body.get("detail", answer.status_code))


async def _uploads(
    page: Page, project_id: str, form: FormData, data: dict[str, Any]
) -> list[dict[str, str]]:
    """New images into storage and onto the form's assets; a refused one is a field error."""
    errors: list[dict[str, str]] = []
    chosen = [("new_logo", "logo", "new_logo_alt")] + [
        (f"new_image.{i}", "image", f"new_image_alt.{i}") for i in range(NEW_IMAGES)
    ]
    for name, kind, alt_name in chosen:
        file = form.get(name)
        if not isinstance(file, UploadFile) or not file.filename:
            continue
        key, reason = await _upload(page, project_id, file)
        if key is None:
            errors.append({"field": name, "reason": reason or ""})
            continue
        alt = str(form.get(alt_name, "")).strip() or file.filename[:120]
        data.setdefault("assets", []).append({"kind": kind, "storage_key": key, "alt": alt})
    return errors


@router.post("/start/{token}/form")
async def send_form(token: str, page: PageDep) -> Response:
    form = await page.check_form()
    link, failed = await _link(page, token)
    if link is None:
        assert failed is not None
        return failed
    pages = await _template_pages(page, link["template_id"])
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    data = to_onboarding(fields)
    upload_errors = await _uploads(page, str(link["project_id"]), form, data)
    if upload_errors:
        errors = FieldErrors.from_api(upload_errors, _shown(data))
        return _render(page, token, link, pages, data, errors, status=422)
    answer = await page.api.call("POST", f"/onboarding/{quote(token, safe='')}", json=data)
    if answer.status_code == 201:
        return page.redirect(f"/portal/projects/{link['project_id']}?notice=sent")
    body = answer.json()
    if answer.status_code == 422:
        errors = FieldErrors.from_api(body.get("errors", []), _shown(data))
        return _render(page, token, link, pages, data, errors, status=422)
    if answer.status_code in (404, 410):
        return link_refusal(page, answer.status_code)
    message = page.t("form_closed") if answer.status_code == 409 else page.t("unavailable")
    return _render(page, token, link, pages, data, FieldErrors({}, []), answer.status_code, message)
