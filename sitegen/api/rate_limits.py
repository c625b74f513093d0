"""Rate limits, counted in Postgres from the rows the requests create (no other store on one
machine): projects a customer orders per hour, revisions asked of a project per day, AI calls
a project made in the last hour, sign-in attempts from one address per minute. Over a
limit the answer is a 429 whose Retry-After says when the oldest counted request leaves the
window."""

from __future__ import annotations

import ipaddress
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.errors import ApiError
from sitegen.db import accounts
from sitegen.db.tables import AICall, Customer, Project, RevisionRequest

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class RateLimited(ApiError):
    def __init__(self, message: str, field: str, retry_after: int) -> None:
        super().__init__(429, message, field)
        self.retry_after = retry_after


async def _window(
    session: AsyncSession, query: Any, window: timedelta
) -> tuple[int, datetime | None]:
    since = datetime.now(UTC) - window
    count, oldest = (await session.execute(query(since))).one()
    return int(count), oldest


def _refuse(what: str, field: str, limit: int, oldest: datetime | None, window: timedelta) -> None:
    wait = (oldest + window - datetime.now(UTC)).total_seconds() if oldest else 60
    raise RateLimited(f"at most {limit} {what}; try again later", field, max(1, math.ceil(wait)))


async def check_new_project(session: AsyncSession, email: str, limit: int) -> None:
    """Projects ordered by one customer (found by email) in the last hour."""

    def query(since: datetime) -> Any:
        return (
            select(func.count(), func.min(col(Project.created_at)))
            .join(Customer, col(Customer.id) == col(Project.customer_id))
            .where(col(Customer.email) == email.lower())
            .where(col(Project.created_at) > since)
        )

    count, oldest = await _window(session, query, HOUR)
    if count >= limit:
        what = "new projects an hour for one customer"
        _refuse(what, "customer.email", limit, oldest, HOUR)


async def check_new_revision(
    session: AsyncSession, project_id: uuid.UUID, revision_id: uuid.UUID, limit: int
) -> None:
    """Revisions asked of one project in the last day; a retry of one already asked passes."""
    known = await session.execute(
        select(col(RevisionRequest.id)).where(col(RevisionRequest.id) == revision_id)
    )
    if known.first() is not None:
        return

    def query(since: datetime) -> Any:
        return select(func.count(), func.min(col(RevisionRequest.created_at))).where(
            col(RevisionRequest.project_id) == project_id,
            col(RevisionRequest.created_at) > since,
        )

    count, oldest = await _window(session, query, DAY)
    if count >= limit:
        _refuse("revisions a day for one project", "message", limit, oldest, DAY)


async def check_ai_allowance(session: AsyncSession, project_id: uuid.UUID, limit: int) -> None:
    """A change that needs the AI, asked while the project has used its hour of AI calls
    (SITEGEN_RATE_AI_CALLS_PER_PROJECT_HOUR): refused now rather than left waiting in the
    worker, which holds every call past the allowance until the hour has room."""

    def query(since: datetime) -> Any:
        return select(func.count(), func.min(col(AICall.created_at))).where(
            col(AICall.project_id) == project_id, col(AICall.created_at) > since
        )

    count, oldest = await _window(session, query, HOUR)
    if count >= limit:
        _refuse("AI calls an hour for one project", "message", limit, oldest, HOUR)


MINUTE = timedelta(minutes=1)


def login_address(host: str) -> str:
    """What the per-address limit counts: an IPv4 address, or the /64 of an IPv6 one (a
    single machine is commonly given a whole /64 to pick addresses from)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


async def check_login(
    session: AsyncSession, address: str, account: str, per_address: int, per_account: int
) -> None:
    """Sign-in attempts from one address in the last minute, failed or not (guessing costs a
    minute per handful, whichever accounts are tried), and failures on one account from
    anywhere (many addresses guessing one password). Takes the counts' lock for the rest of
    the transaction: the caller records its attempt before committing."""
    await accounts.lock_login_counts(session, address, account)
    count, oldest = await accounts.recent_logins(session, MINUTE, address=address)
    if count >= per_address:
        _refuse("sign-in attempts a minute from one address", "email", per_address, oldest, MINUTE)
    count, oldest = await accounts.recent_logins(session, MINUTE, account=account)
    if count >= per_account:
        _refuse("failed sign-ins a minute for one account", "email", per_account, oldest, MINUTE)
