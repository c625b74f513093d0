"""Signing in: passwords, access tokens, refresh rotation and theft, sign-out, disabled users,
API keys, roles, and the login rate limit."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import httpx
import jwt
import pytest
from pydantic import SecretStr
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from sitegen.auth import access_tokens
from sitegen.auth.credentials import read_refresh_token
from sitegen.db.tables import RefreshToken
from sitegen.payload_codec import derived_key, payload_keys
from sitegen.settings import Settings
from tests.api.accounts_support import PASSWORD, bearer, make_user, tenant
from tests.api.support import PROJECTS
from tests.conftest import app_client

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"


async def test_no_credential_is_401_with_a_challenge(api: httpx.AsyncClient) -> None:
    for headers in ({"Authorization": ""}, bearer("nonsense"), bearer("sgk_" + "a" * 12 + "_x")):
        response = await api.get(PROJECTS, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_client_signs_in_refreshes_and_signs_out(api: httpx.AsyncClient) -> None:
    a = await tenant(api)
    me = (await api.get(ME, headers=a.headers)).json()
    assert me["role"] == "client" and me["customer_id"] == a.project["customer_id"]

    renewed = await api.post(REFRESH, json={"refresh_token": a.refresh_token})
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["refresh_token"] != a.refresh_token
    assert (await api.get(ME, headers=bearer(second["access_token"]))).status_code == 200

    out = await api.post("/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert out.status_code == 204
    again = await api.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 401


async def _age_spent_tokens(engine: AsyncEngine, seconds: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(RefreshToken)
            .where(col(RefreshToken.spent_at).is_not(None))
            .values(spent_at=func.now() - timedelta(seconds=seconds))
        )


async def test_a_refresh_token_shown_again_later_revokes_its_family(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A spent token used again, past the grace of a second tab, means a copy was stolen: the
    thief's and the owner's next tokens both stop working."""
    a = await tenant(api)
    first = await api.post(REFRESH, json={"refresh_token": a.refresh_token})
    assert first.status_code == 200
    await _age_spent_tokens(engine, 60)
    replayed = await api.post(REFRESH, json={"refresh_token": a.refresh_token})
    assert replayed.status_code == 401
    owner_next = await api.post(REFRESH, json={"refresh_token": first.json()["refresh_token"]})
    assert owner_next.status_code == 401


async def test_two_tabs_refreshing_at_once_both_stay_signed_in(api: httpx.AsyncClient) -> None:
    a = await tenant(api)
    both = await asyncio.gather(
        *(api.post(REFRESH, json={"refresh_token": a.refresh_token}) for _ in range(2))
    )
    assert [r.status_code for r in both] == [200, 200]
    for answer in both:
        again = await api.post(REFRESH, json={"refresh_token": answer.json()["refresh_token"]})
        assert again.status_code == 200


async def test_a_sign_in_ends_however_often_it_is_refreshed(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    a = await tenant(api)
    refreshed = await api.post(REFRESH, json={"refresh_token": a.refresh_token})
    latest = read_refresh_token(refreshed.json()["refresh_token"])
    assert latest is not None
    async with engine.begin() as conn:  # the sign-in's end reached, the token's own not
        await conn.execute(
            update(RefreshToken)
            .where(col(RefreshToken.id) == latest.token_id)
            .values(family_expires_at=func.now() - timedelta(seconds=1))
        )
    again = await api.post(REFRESH, json={"refresh_token": latest.full})
    assert again.status_code == 401


async def test_a_forged_or_altered_refresh_token_is_refused(api: httpx.AsyncClient) -> None:
    a = await tenant(api)
    altered = a.refresh_token[:-2] + ("AA" if not a.refresh_token.endswith("AA") else "BB")
    for token in (altered, "sgr_" + uuid.uuid4().hex + "_" + "x" * 43, "garbage"):
        assert (await api.post(REFRESH, json={"refresh_token": token})).status_code == 401
    # The real one still works: a wrong guess does not burn it.
    assert (await api.post(REFRESH, json={"refresh_token": a.refresh_token})).status_code == 200


async def test_wrong_password_and_unknown_email_read_the_same(api: httpx.AsyncClient) -> None:
    a = await tenant(api)
    wrong = await api.post(LOGIN, json={"email": a.email, "password": "not the password"})
    nobody = await api.post(LOGIN, json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json()


async def test_access_tokens_expire_and_cannot_be_forged(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    a = await tenant(api)
    me = (await api.get(ME, headers=a.headers)).json()
    user_id = uuid.UUID(me["id"])
    customer = uuid.UUID(me["customer_id"])
    expired, _ = access_tokens.issue(settings, user_id, "client", customer, now=time.time() - 3600)
    assert (await api.get(ME, headers=bearer(expired))).status_code == 401
    # A client promoting itself: the same claims signed with another key, or with none.
    claims = jwt.decode(a.headers["Authorization"][7:], options={"verify_signature": False})
    claims["role"] = "admin"
    for forged in (
        jwt.encode(
            claims, "a guessed key of thirty-two bytes", algorithm="HS256", headers={"kid": "test"}
        ),
        jwt.encode(claims, "", algorithm="none"),
    ):
        assert (await api.get(ME, headers=bearer(forged))).status_code == 401
    # Even validly signed, the role is read from the user's row, not from the token.
    key = derived_key(payload_keys(settings).current, access_tokens.HKDF_INFO)
    signed = jwt.encode(claims, key, algorithm="HS256", headers={"kid": "test"})
    promoted = await api.get(ME, headers=bearer(signed))
    assert promoted.status_code == 200 and promoted.json()["role"] == "client"
    # Nor does a right signature make a token last longer than tokens are issued for.
    forever = claims | {"exp": int(time.time()) + 10 * 365 * 86400}
    long_lived = jwt.encode(forever, key, algorithm="HS256", headers={"kid": "test"})
    assert (await api.get(ME, headers=bearer(long_lived))).status_code == 401


async def test_a_payload_key_rotated_out_signs_nothing_more(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    """Old keys still open old histories; a token signed with one is refused all the same."""
    a = await tenant(api)
    old_key = "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleS0"
    before = settings.model_copy(update={"payload_key": SecretStr(old_key), "payload_key_id": "k0"})
    me = (await api.get(ME, headers=a.headers)).json()
    token, _ = access_tokens.issue(
        before, uuid.UUID(me["id"]), "client", uuid.UUID(me["customer_id"])
    )
    after = settings.model_copy(update={"payload_old_keys": {"k0": SecretStr(old_key)}})
    with pytest.raises(access_tokens.TokenInvalid):
        access_tokens.verify(after, token)


async def test_a_disabled_user_is_signed_out_everywhere(api: httpx.AsyncClient) -> None:
    a = await tenant(api)
    me = (await api.get(ME, headers=a.headers)).json()
    assert (await api.post(f"/api/v1/users/{me['id']}/disable")).status_code == 200
    assert (await api.get(ME, headers=a.headers)).status_code == 401
    assert (await api.post(REFRESH, json={"refresh_token": a.refresh_token})).status_code == 401
    assert (await api.post(LOGIN, json={"email": a.email, "password": PASSWORD})).status_code == 401


async def test_roles_decide_who_makes_users_and_keys(api: httpx.AsyncClient) -> None:
    operator = await make_user(api, "operator")
    a = await tenant(api)
    body = {"email": "x-" + uuid.uuid4().hex[:6] + "@example.com", "password": PASSWORD}
    # An operator makes clients, not operators; a client makes nobody.
    assert (
        await api.post("/api/v1/users", json=body | {"role": "operator"}, headers=operator)
    ).status_code == 403
    client_body = body | {"role": "client", "customer_id": a.project["customer_id"]}
    assert (await api.post("/api/v1/users", json=client_body, headers=a.headers)).status_code == 403
    assert (await api.post("/api/v1/users", json=client_body, headers=operator)).status_code == 201
    # A client needs a customer; nobody else has one.
    orphan = body | {"email": "y-" + body["email"], "role": "client"}
    assert (await api.post("/api/v1/users", json=orphan)).status_code == 422
    # Keys are an admin's to make; shown once; revoked, refused.
    assert (
        await api.post("/api/v1/api-keys", json={"name": "crm"}, headers=operator)
    ).status_code == 403
    made = await api.post("/api/v1/api-keys", json={"name": "crm"})
    assert made.status_code == 201
    key = made.json()
    assert key["key"].startswith(key["prefix"] + "_")
    listed = (await api.get("/api/v1/api-keys")).json()
    assert all("key" not in k for k in listed)
    assert (await api.get(PROJECTS, headers=bearer(key["key"]))).status_code == 200
    assert (await api.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 204
    assert (await api.get(PROJECTS, headers=bearer(key["key"]))).status_code == 401


async def test_a_short_password_is_refused_naming_the_field(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/users",
        json={"email": "short@example.com", "password": "short", "role": "operator"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"


@pytest.fixture
def few_logins(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_logins_per_address_minute": 3, "rate_login_failures_per_account_minute": 3}
    )


def api_from(settings: Settings, host: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return app_client(settings, client=(host, 1234))


def _somewhere() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


async def test_logins_from_one_address_are_rate_limited(few_logins: Settings) -> None:
    async with api_from(few_logins, _somewhere()) as api:
        a = await tenant(api)  # one sign-in
        for _ in range(2):
            wrong = await api.post(LOGIN, json={"email": a.email, "password": "guess guess"})
            assert wrong.status_code == 401
        limited = await api.post(LOGIN, json={"email": a.email, "password": PASSWORD})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Signed-in callers are not held up by it.
        assert (await api.get(ME, headers=a.headers)).status_code == 200


async def test_a_burst_of_logins_is_counted_as_it_arrives(few_logins: Settings) -> None:
    """Twenty at once from one address: three are heard, whatever the pool's size."""
    async with api_from(few_logins, _somewhere()) as api:
        tries = [
            api.post(LOGIN, json={"email": f"n{n}@example.com", "password": "guess guess"})
            for n in range(20)
        ]
        statuses = sorted(r.status_code for r in await asyncio.gather(*tries))
        assert statuses == [401] * 3 + [429] * 17


async def test_an_ipv6_caller_cannot_step_around_the_limit(few_logins: Settings) -> None:
    prefix = f"2001:db8:{uuid.uuid4().int % 65000:x}:1"
    for n in range(3):
        async with api_from(few_logins, f"{prefix}::{n + 1}") as api:
            wrong = await api.post(LOGIN, json={"email": "v6@example.com", "password": "guess"})
            assert wrong.status_code == 401
    async with api_from(few_logins, f"{prefix}::beef") as api:
        assert (
            await api.post(LOGIN, json={"email": "x@example.com", "password": "x"})
        ).status_code == 429


async def test_one_account_guessed_from_many_addresses_is_limited(
    api: httpx.AsyncClient, few_logins: Settings
) -> None:
    a = await tenant(api)
    for _ in range(3):
        async with api_from(few_logins, _somewhere()) as elsewhere:
            wrong = await elsewhere.post(LOGIN, json={"email": a.email, "password": "guess"})
            assert wrong.status_code == 401
    async with api_from(few_logins, _somewhere()) as elsewhere:
        right = await elsewhere.post(LOGIN, json={"email": a.email, "password": PASSWORD})
        assert right.status_code == 429
        # Another account from the same place is not held up.
        b = await tenant(api)
        assert (
            await elsewhere.post(LOGIN, json={"email": b.email, "password": PASSWORD})
        ).status_code == 200
