"""One request's page: who is signed in (cookies), the language, the form token, the API
bridge, and rendering with the headers every portal page carries."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from sitegen.auth.cookies import ACCESS_COOKIE, REFRESH_COOKIE
from sitegen.portal import i18n
from sitegen.portal.bridge import Api, Tokens
from sitegen.settings import Settings

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
CSRF_COOKIE = "sitegen_csrf"
LANG_COOKIE = "sitegen_lang"
_YEAR = 365 * 86400
# Pages are the portal's own: scripts and styles from here only, frames for the previews
# (another host), and no other site may frame a page (clickjacking an approval).
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; frame-src http: https:; "
        "script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Forbidden(Exception):
    """A form posted without this browser's token, or from another site."""


class Page:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.settings: Settings = request.app.state.settings
        self.locale = i18n.pick_locale(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language", ""),
        )
        self.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        self.api = Api(
            request, Tokens(request.cookies.get(ACCESS_COOKIE), request.cookies.get(REFRESH_COOKIE))
        )
        self._sign_in: dict[str, Any] | None = None
        self._sign_out = False

    @property
    def signed_in(self) -> bool:
        return bool(self.api.tokens.access or self.api.tokens.refresh)

    def t(self, key: str, **values: Any) -> str:
        return i18n.text(self.locale, key, **values)

    def label(self, name: str) -> str:
        """A field's label: `services.2.name` is labelled as `services.*.name`."""
        pattern = ".".join("*" if part.isdigit() else part for part in name.split("."))
        return self.t(f"f.{pattern}") if i18n.has(f"f.{pattern}") else name

    def sign_in(self, pair: dict[str, Any]) -> None:
        """Keep a token pair from the API (sign-in, or an account made from a link)."""
        self.api.tokens = Tokens(pair["access_token"], pair["refresh_token"])
        self._sign_in = pair
        self.csrf = secrets.token_urlsafe(24)  # a new sign-in, a new form token

    def sign_out(self) -> None:
        self._sign_out = True

    async def check_form(self) -> FormData:
        """The posted form, if it carries this browser's token and comes from this site."""
        origin = self.request.headers.get("origin")
        if origin and origin.rstrip("/") not in self._own_origins():
            raise Forbidden()
        form = await self.request.form()
        sent = form.get("csrf")
        cookie = self.request.cookies.get(CSRF_COOKIE)
        if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, cookie):
            raise Forbidden()
        return form

    def _own_origins(self) -> set[str]:
        """This site as the browser names it: as the request came, or as the agency
        publishes it (behind a proxy that ends TLS the two differ in scheme)."""
        url = self.request.url
        public = urlsplit(self.settings.public_url)
        return {f"{url.scheme}://{url.netloc}", f"{public.scheme}://{public.netloc}"}

    @property
    def _secure(self) -> bool:
        # Secure whenever the site is served over TLS, even if a proxy ends it before us.
        return self.request.url.scheme == "https" or self.settings.public_url.startswith("https://")

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        response = TEMPLATES.TemplateResponse(
            self.request,
            template,
            {"page": self, "t": self.t, "locale": self.locale, **context},
            status_code=status,
        )
        return self.finish(response)

    def redirect(self, url: str) -> Response:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        response.headers.update(_HEADERS)
        cookie: dict[str, Any] = {"httponly": True, "secure": self._secure, "path": "/"}
        response.set_cookie(CSRF_COOKIE, self.csrf, samesite="strict", **cookie)
        if self.request.query_params.get("lang"):
            response.set_cookie(LANG_COOKIE, self.locale, max_age=_YEAR, samesite="lax", **cookie)
        pair = self._sign_in or self.api.tokens.renewed
        if self._sign_out:
            response.delete_cookie(ACCESS_COOKIE, path="/")
            response.delete_cookie(REFRESH_COOKIE, path="/")
        elif pair is not None:
            # Lax for the access token: the page's own EventSource and links carry it.
            response.set_cookie(
                ACCESS_COOKIE,
                pair["access_token"],
                max_age=int(pair["expires_in"]),
                samesite="lax",
                **cookie,
            )
            response.set_cookie(
                REFRESH_COOKIE,
                pair["refresh_token"],
                max_age=self.settings.refresh_token_days * 86400,
                samesite="strict",
                **cookie,
            )
        return response


def html_error(page: Page, status: int, message_key: str) -> Response:
    return page.render("error.html", status=status, message=page.t(message_key))


def refusal(page: Page, status: int, back_to: str = "/portal/") -> Response:
    """The page for an API refusal: signed out (to sign in again, then back), or why not."""
    if status == 401:
        page.sign_out()
        return page.redirect(f"/portal/sign-in?next={back_to}")
    key = {403: "not_allowed", 404: "not_found"}.get(status, "unavailable")
    return html_error(page, status if status < 500 else 503, key)


def link_refusal(page: Page, status: int) -> Response:
    """The page for an onboarding link the API would not read: not ours, expired, or the
    service down for a moment (then the link still works later)."""
    if status in (404, 422):
        return html_error(page, 404, "link_invalid")
    if status == 410:
        return html_error(page, 410, "link_expired")
    return refusal(page, status)


PageDep = Annotated[Page, Depends(Page)]
__all__ = ["Forbidden", "HTMLResponse", "Page", "PageDep", "html_error"]
