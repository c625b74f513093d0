"""The portal's way into the API: the same application, called in process with the signed-in
person's token. Every rule (who may see what, tenancy, validation, rate limits) stays the
API's alone; the portal only turns pages into requests and answers into pages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request

# No request leaves the process: the transport calls the application directly.
_BASE = "http://portal.internal"


@dataclass
class Tokens:
    access: str | None
    refresh: str | None
    # A new pair from a refresh during this request: the page sets them as cookies.
    renewed: dict[str, Any] | None = field(default=None)


class Api:
    def __init__(self, request: Request, tokens: Tokens) -> None:
        # The caller's own address, so the API's per-address limits (sign-in) count the
        # person and not the portal.
        client = (request.client.host, request.client.port) if request.client else None
        self._transport = httpx.ASGITransport(app=request.app, client=client or ("127.0.0.1", 0))
        self.tokens = tokens
        self._renewing = asyncio.Lock()

    async def _send(
        self, method: str, path: str, *, as_caller: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if as_caller and self.tokens.access:
            headers["Authorization"] = f"Bearer {self.tokens.access}"
        async with httpx.AsyncClient(transport=self._transport, base_url=_BASE) as client:
            return await client.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call; an expired access token is renewed once with the refresh token.
        A page's reads run side by side: the first to find the token expired renews it, the
        others wait and use the new one (each renewing would spend the refresh token again)."""
        sent_with = self.tokens.access
        answer = await self._send(method, path, **kwargs)
        if answer.status_code != 401 or not self.tokens.refresh:
            return answer
        async with self._renewing:
            renewed = self.tokens.access != sent_with and self.tokens.access is not None
            if not renewed and not await self._renew():
                return answer
        return await self._send(method, path, **kwargs)

    async def _renew(self) -> bool:
        refresh = self.tokens.refresh
        self.tokens.access = None
        answer = await self.anonymous("POST", "/auth/refresh", json={"refresh_token": refresh})
        if answer.status_code != 200:
            self.tokens.refresh = None
            return False
        pair = answer.json()
        self.tokens.access, self.tokens.refresh = pair["access_token"], pair["refresh_token"]
        self.tokens.renewed = pair
        return True

    async def anonymous(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call that is nobody's (signing in, a link's own routes): no token is sent, and
        its 401 (a wrong password) is an answer, not an expired sign-in to renew."""
        return await self._send(method, path, as_caller=False, **kwargs)

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        """A read that must succeed; anything else is the page's error (ApiFailed)."""
        answer = await self.call("GET", path, **kwargs)
        if answer.status_code != 200:
            raise ApiFailed(answer)
        return answer.json()


class ApiFailed(Exception):
    """The API said no; the portal shows its status as a page (sitegen/portal/__init__.py)."""

    def __init__(self, answer: httpx.Response) -> None:
        super().__init__(answer.status_code)
        self.status = answer.status_code
        try:
            self.detail = str(answer.json().get("detail", ""))
        except ValueError:
            self.detail = ""
