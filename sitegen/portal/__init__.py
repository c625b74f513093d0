"""The client portal and the operator console: server-rendered pages over the API.

`install` adds them to the API's application; they reach the API in process
(sitegen/portal/bridge.py) and never the database, so the API's rules are the only rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sitegen.portal import client_pages, console_pages, onboarding_page
from sitegen.portal.bridge import ApiFailed
from sitegen.portal.onboarding_page import NEW_IMAGES
from sitegen.portal.page import Forbidden, Page, html_error, refusal

PAGES = ("/portal/", "/console/")
# The onboarding form sends a logo and up to NEW_IMAGES images at once.
IMAGES_PER_FORM = 1 + NEW_IMAGES


def install(app: FastAPI) -> None:
    app.mount(
        "/portal/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="portal-static",
    )
    for router in (client_pages.router, onboarding_page.router, console_pages.router):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def front_door() -> Response:
        return RedirectResponse("/portal/", status_code=307)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _: Forbidden) -> Response:
        return html_error(Page(request), 403, "forbidden")

    # A page's own address that does not parse (a project id that is not one): a page too.
    api_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PAGES):
            return html_error(Page(request), 404, "not_found")
        answer: Response = await api_invalid(request, exc)  # type: ignore[misc]
        return answer

    # A page address that is none of ours (or asked with the wrong method): a page too.
    api_http_error = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PAGES) and isinstance(exc, StarletteHTTPException):
            return html_error(Page(request), exc.status_code, "not_found")
        answer: Response = await api_http_error(request, exc)  # type: ignore[misc]
        return answer

    # A read the page needed and the API refused (or could not answer: a database down).
    @app.exception_handler(ApiFailed)
    async def _api_failed(request: Request, failed: ApiFailed) -> Response:
        return refusal(Page(request), failed.status)
