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


class RoleBypassesTenancy(RuntimeError):
    pass


async def check_app_role(session: AsyncSession) -> None:
    """Refuse to serve as a role that row-level security does not bind: a superuser, one with
    BYPASSRLS, or the tables' owner."""
    row = (
        await session.execute(
            text(
                "SELECT r.rolsuper OR r.rolbypassrls OR c.relowner = r.oid"
                " FROM pg_roles r, pg_class c"
                " WHERE r.rolname = current_user AND c.oid = 'project'::regclass"
            )
        )
    ).first()
    await session.rollback()
    if row is None or row[0]:
        raise RoleBypassesTenancy(
            "the API's database role bypasses row-level security; connect it as "
            f"{APP_ROLE} (see SITEGEN_API_DATABASE_URL)"
        )
