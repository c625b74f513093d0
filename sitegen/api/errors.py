"""Every error leaves the API as JSON that names the field and the reason; never a trace."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sitegen.db.errors import database_unavailable, statement_timed_out

log = structlog.get_logger()


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class Unauthorized(ApiError):
    """No credentials, or ones that do not hold: always the same words, so a caller learns
    nothing about which part was wrong."""

    def __init__(self, message: str = "sign in: send Authorization: Bearer <token>") -> None:
        super().__init__(401, message)
        self.headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class NotFound(ApiError):
    def __init__(self, what: str) -> None:
        super().__init__(404, f"{what} not found")


class Conflict(ApiError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(409, message, field)


class Unavailable(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(503, message)


def field_errors(errors: Iterable[Any], prefix: Sequence[str | int] = ()) -> list[dict[str, str]]:
    """pydantic error dicts -> [{field: "business.email", reason: "..."}], inputs left out
    so a rejected secret or personal detail is never echoed back."""
    out = []
    for err in errors:
        loc = [*prefix, *err.get("loc", ())]
        if loc and loc[0] == "body":
            loc = loc[1:]
        if err.get("type") == "json_invalid":
            loc = []  # the position in the raw JSON is not a field name
        out.append({"field": ".".join(str(p) for p in loc) or "body", "reason": err.get("msg", "")})
    return out


def validation_response(errors: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": "invalid input", "errors": errors})


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        if exc.status == 422:
            # Every 422 has one shape, whichever check found the problem.
            return validation_response([{"field": exc.field or "body", "reason": exc.message}])
        body: dict[str, Any] = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        wait = getattr(exc, "retry_after", None)
        headers: dict[str, str] = dict(getattr(exc, "headers", {}))
        if wait is not None:
            headers["Retry-After"] = str(wait)
        return JSONResponse(status_code=exc.status, content=body, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(field_errors(exc.errors()))

    @app.exception_handler(ValidationError)
    async def _model_invalid(_: Request, exc: ValidationError) -> JSONResponse:
        return validation_response(field_errors(exc.errors()))

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # A race the route did not see coming: still a conflict, never a 500.
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        log.warning("api.integrity_conflict", constraint=constraint)
        if constraint == "uq_project_subdomain":
            return validation_response(
                [{"field": "subdomain", "reason": "already used by another site; choose another"}]
            )
        return JSONResponse(status_code=409, content={"detail": "conflicts with existing data"})

    async def _dependency_or_bug(_: Request, exc: Exception) -> JSONResponse:
        # Down, not broken: say so, and that a retry will do. A full pool counts here (the
        # request cannot be served now) but not in the worker, where it would be waited
        # out forever instead of reaching an operator. So does a statement Postgres cancelled
        # for running past its time limit (db/engine.py's limit_statement_time).
        if database_unavailable(exc) or isinstance(exc, PoolTimeout) or statement_timed_out(exc):
            log.warning("api.database_unavailable", error_type=type(exc).__name__)
            return JSONResponse(
                status_code=503,
                content={"detail": "the database is unavailable; try again shortly"},
                headers={"Retry-After": "5"},
            )
        return _internal_error(exc)

    # Registered by class (not only as the catch-all), so they are answered here and not
    # re-raised by the server-error middleware.
    for kind in (
        OSError,
        TimeoutError,
        DBAPIError,
        PoolTimeout,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ):
        app.add_exception_handler(kind, _dependency_or_bug)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return await _dependency_or_bug(request, exc)


def _internal_error(exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:12]
    log.error("api.unexpected_error", ref=ref, error_type=type(exc).__name__, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": f"internal error (reference {ref})"})
