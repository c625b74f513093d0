"""Users, refresh tokens, API keys and login attempts: the queries the API's auth routes and
`sitegen users` share. Hashing is the caller's (sitegen/auth); these only store and find."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables import ApiKey, AppUser, Customer, LoginAttempt, RefreshToken, UserRole


class EmailTaken(Exception):
    pass


async def create_user(
    session: AsyncSession,
    email: str,
    password_hash: str,
    role: UserRole,
    customer_id: uuid.UUID | None = None,
) -> AppUser:
    email = email.strip().lower()
    taken = await session.execute(select(col(AppUser.id)).where(col(AppUser.email) == email))
    if taken.first() is not None:
        raise EmailTaken(email)
    user = AppUser(email=email, password_hash=password_hash, role=role, customer_id=customer_id)
    session.add(user)
    await session.flush()
    return user


async def lock_customer_accounts(session: AsyncSession, customer_id: uuid.UUID) -> bool:
    """Serialises account creation for one customer (until the transaction ends) and says
    whether the customer already has a client account."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"client-account:{customer_id}"},
    )
    return await customer_has_account(session, customer_id)


async def customer_has_account(session: AsyncSession, customer_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(col(AppUser.id)).where(col(AppUser.customer_id) == customer_id).limit(1)
    )
    return found.first() is not None


async def user_by_email(session: AsyncSession, email: str) -> AppUser | None:
    found = await session.execute(
        select(AppUser).where(col(AppUser.email) == email.strip().lower())
    )
    return found.scalars().first()


async def active_user(session: AsyncSession, user_id: uuid.UUID) -> AppUser | None:
    user = await session.get(AppUser, user_id)
    return user if user is not None and user.disabled_at is None else None


async def customer_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    found = await session.execute(
        select(col(Customer.id)).where(col(Customer.email) == email.strip().lower())
    )
    return found.scalars().first()


async def list_users(session: AsyncSession) -> list[AppUser]:
    found = await session.execute(select(AppUser).order_by(col(AppUser.created_at)))
    return list(found.scalars())


async def set_password(session: AsyncSession, user: AppUser, password_hash: str) -> None:
    user.password_hash = password_hash
    session.add(user)
    await revoke_user_tokens(session, user.id)


async def disable_user(session: AsyncSession, user: AppUser) -> None:
    user.disabled_at = datetime.now(UTC)
    session.add(user)
    await revoke_user_tokens(session, user.id)


# -- refresh tokens -------------------------------------------------------------------------


async def store_refresh(
    session: AsyncSession,
    token_id: uuid.UUID,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    secret_hash: str,
    lifetime: timedelta,
    family_expires_at: datetime,
) -> None:
    session.add(
        RefreshToken(
            id=token_id,
            user_id=user_id,
            family_id=family_id,
            secret_hash=secret_hash,
            expires_at=min(datetime.now(UTC) + lifetime, family_expires_at),
            family_expires_at=family_expires_at,
        )
    )
    # Tokens a day past their end prove nothing any more (a replay of one is refused as
    # unknown): sweep them as new ones are made.
    await session.execute(
        delete(RefreshToken).where(
            col(RefreshToken.expires_at) < datetime.now(UTC) - timedelta(days=1)
        )
    )
    await session.flush()


async def refresh_for_update(session: AsyncSession, token_id: uuid.UUID) -> RefreshToken | None:
    """Locked, so two refreshes racing with one token cannot both spend it."""
    found = await session.execute(
        select(RefreshToken).where(col(RefreshToken.id) == token_id).with_for_update()
    )
    return found.scalars().first()


async def spend_refresh(session: AsyncSession, token: RefreshToken) -> None:
    token.spent_at = datetime.now(UTC)
    session.add(token)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=func.now())
    )


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=func.now())
    )


# -- API keys -------------------------------------------------------------------------------


async def create_api_key(
    session: AsyncSession,
    prefix: str,
    secret_hash: str,
    name: str,
    role: UserRole,
    created_by: uuid.UUID | None,
) -> ApiKey:
    key = ApiKey(
        prefix=prefix, secret_hash=secret_hash, name=name, role=role, created_by=created_by
    )
    session.add(key)
    await session.flush()
    return key


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    found = await session.execute(select(ApiKey).where(col(ApiKey.prefix) == prefix))
    return found.scalars().first()


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    found = await session.execute(select(ApiKey).order_by(col(ApiKey.created_at)))
    return list(found.scalars())


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID) -> bool:
    done = await session.execute(
        update(ApiKey)
        .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=func.now())
        .returning(col(ApiKey.id))
    )
    return done.first() is not None


async def revoke_api_keys_named(session: AsyncSession, name: str) -> None:
    await session.execute(
        update(ApiKey)
        .where(col(ApiKey.name) == name, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=func.now())
    )


# -- login attempts -------------------------------------------------------------------------


async def lock_login_counts(session: AsyncSession, address: str, account: str) -> None:
    """Until the transaction ends: the count and the new attempt of one address (and one
    account) are one step, so a burst cannot all pass the count before any is recorded."""
    for key in (f"login:{address}", f"login-account:{account}"):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def recent_logins(
    session: AsyncSession,
    window: timedelta,
    *,
    address: str | None = None,
    account: str | None = None,
) -> tuple[int, datetime | None]:
    """Attempts from `address`, or failed attempts on `account`, within `window`."""
    since = datetime.now(UTC) - window
    query = select(func.count(), func.min(col(LoginAttempt.created_at))).where(
        col(LoginAttempt.created_at) > since
    )
    if address is not None:
        query = query.where(col(LoginAttempt.address) == address)
    if account is not None:
        query = query.where(col(LoginAttempt.account) == account, ~col(LoginAttempt.succeeded))
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest


async def record_login(session: AsyncSession, address: str, account: str) -> LoginAttempt:
    """Recorded as failed before the password is checked (a burst counts at once); a right
    password marks it with `login_succeeded`."""
    attempt = LoginAttempt(address=address, account=account, succeeded=False)
    session.add(attempt)
    # Old attempts count for nothing: sweep them as new ones come in.
    await session.execute(
        delete(LoginAttempt).where(
            col(LoginAttempt.created_at) < datetime.now(UTC) - timedelta(days=1)
        )
    )
    await session.flush()
    return attempt


async def login_succeeded(session: AsyncSession, attempt_id: uuid.UUID) -> None:
    await session.execute(
        update(LoginAttempt).where(col(LoginAttempt.id) == attempt_id).values(succeeded=True)
    )
