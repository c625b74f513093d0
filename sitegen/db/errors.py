"""Telling "the database is down" apart from every other error: a down database is waited
for (the workflow) or answered with a 503 (the API), never treated as a verdict."""

from __future__ import annotations

import errno

import asyncpg
from sqlalchemy import exc as sa_exc

_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}
_ASYNCPG_DOWN = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # 57P01-03: shutting down, starting up
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,  # "connection is closed", and friends
)


def database_unavailable(error: BaseException) -> bool:
    """True when the error means Postgres cannot be reached right now (down, restarting,
    the connection dropped), at any depth of the exception chain."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ConnectionError, *_ASYNCPG_DOWN)):
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.orig is not None:
            current = current.orig
            continue
        current = current.__cause__ or current.__context__
    return False


# SQLSTATE 57014: the statement was cancelled (its statement_timeout, or an administrator).
_QUERY_CANCELED = "57014"


def statement_timed_out(error: BaseException) -> bool:
    """True when Postgres cancelled the statement (see engine.limit_statement_time): the
    database is too slow to answer now, which is no verdict on the request either."""
    if isinstance(error, asyncpg.exceptions.QueryCanceledError):
        return True
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) == _QUERY_CANCELED or isinstance(
        getattr(orig, "__cause__", None), asyncpg.exceptions.QueryCanceledError
    )
