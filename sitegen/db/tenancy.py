"""Whose rows a session may see: set on every transaction from the caller, enforced by
Postgres (the policies of migration 0005), so a query that forgets its filter still sees
only its tenant's rows.

A session's scope lives in `session.info`; each transaction the session begins sets
`sitegen.agency` and `sitegen.customer_id` with SET LOCAL semantics, so a pooled connection
never carries one request's tenant into the next. A session that was given no scope sees no
tenant rows at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

SCOPE_KEY = "sitegen.scope"
_SET = text(
    "SELECT set_config('sitegen.agency', :agency, true),"
    " set_config('sitegen.customer_id', :customer, true)"
)


class ScopeChangeInTransaction(RuntimeError):
    """A scope set while a transaction is open would apply to only part of it."""


@dataclass(frozen=True)
class Scope:
    agency: bool = False
    customer_id: uuid.UUID | None = None


AGENCY = Scope(agency=True)
NOBODY = Scope()


def customer(customer_id: uuid.UUID) -> Scope:
    return Scope(customer_id=customer_id)


def bind(session: AsyncSession, scope: Scope) -> None:
    """From the next transaction on, `session` sees what `scope` may see."""
    if session.in_transaction():
        raise ScopeChangeInTransaction("commit or roll back before changing the scope")
    session.info[SCOPE_KEY] = scope


def scope_of(session: AsyncSession) -> Scope:
    found = session.info.get(SCOPE_KEY, NOBODY)
    assert isinstance(found, Scope)
    return found


@event.listens_for(Session, "after_begin")
def _apply_scope(session: Session, transaction: Any, connection: Any) -> None:
    # Only sessions that carry a scope: the worker and the CLI connect as the owner, whom
    # row-level security does not apply to, and never set one.
    scope = session.info.get(SCOPE_KEY)
    if scope is None:
        return
    connection.execute(
        _SET,
        {
            "agency": "on" if scope.agency else "off",
            "customer": str(scope.customer_id) if scope.customer_id else "",
        },
    )


APP_ROLE = "sitegen_app"


def app_role_url(owner_url: str) -> str:
    """The owner's server and database, as the API's role: no password, as the local stack's
    Postgres trusts local connections (elsewhere, set SITEGEN_API_DATABASE_URL)."""
    url = make_url(owner_url).set(username=APP_ROLE, password=None)
    return url.render_as_string(hide_password=False)


# Every table that holds a tenant's rows: each has a policy (migration 0005), and the API
# refuses to run as a role that any of them would not bind.
TENANT_TABLES = (
    "customer",
    "customer_order",
    "project",
    "onboarding_submission",
    "site_spec",
    "pipeline_step",
    "artifact",
    "revision_request",
    "site_version",
    "notification",
    "ai_call",
    "project_event",
    "conversation",
    "conversation_message",
    "persona_override",
    "version_history",
)
# True when the connected role escapes row-level security on some tenant table: a superuser,
# BYPASSRLS, the tables' owner or a member of it, or a table without security or a policy.
_ESCAPES = """
SELECT r.rolsuper OR r.rolbypassrls OR EXISTS (
  SELECT 1 FROM unnest({tables}) AS t(name)
  LEFT JOIN pg_class c ON c.oid = to_regclass(t.name)
  WHERE c.oid IS NULL OR NOT c.relrowsecurity
     OR pg_has_role(current_user, c.relowner, 'USAGE')
     OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
FROM pg_roles r WHERE r.rolname = current_user
"""


class RoleBypassesTenancy(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "the API's database role escapes row-level security; connect it as "
            f"{APP_ROLE} (see SITEGEN_API_DATABASE_URL), with migrations at head"
        )


async def check_app_role(session: AsyncSession) -> None:
    """At start-up, when Postgres is there: refuse to serve as a role tenancy does not bind."""
    found = await session.execute(
        text(_ESCAPES.format(tables="CAST(:tables AS text[])")), {"tables": list(TENANT_TABLES)}
    )
    escapes = found.scalar()
    await session.rollback()
    if escapes is None or escapes:
        raise RoleBypassesTenancy()


def guard_connections(engine: AsyncEngine) -> None:
    """The same check on every new connection of `engine`: a start-up that met Postgres down
    (and skipped it) still never serves a query as a role that escapes tenancy."""
    sql = _ESCAPES.format(tables="$1::text[]")

    @event.listens_for(engine.sync_engine, "connect")
    def _check(dbapi_connection: Any, _record: Any) -> None:
        escapes = dbapi_connection.run_async(lambda conn: conn.fetchval(sql, list(TENANT_TABLES)))
        if escapes is None or escapes:
            raise RoleBypassesTenancy()
