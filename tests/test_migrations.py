"""Alembic on a fresh database of the session's Postgres: up, no drift, down, up again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

import sitegen.db.tables  # noqa: F401  (every table on the metadata)
from sitegen.db.engine import make_engine
from sitegen.db.migrate import downgrade, upgrade

TABLES = {
    "customer",
    "customer_order",
    "project",
    "onboarding_submission",
    "site_spec",
    "pipeline_step",
    "artifact",
    "revision_request",
    "integration_config",
    "template_registry",
    "notification",
    "site_version",
    # Not in seed 000: the AI cost ledger.
    "ai_call",
    # Not in seed 000: who may call the API.
    "app_user",
    "refresh_token",
    "api_key",
    "login_attempt",
    # Not in seed 000: what happened to a project, for live progress.
    "project_event",
    # Not in seed 000 (seed 001): the discovery conversation.
    "conversation",
    "conversation_message",
    # Not in seed 000 (seed 003): personas and the provider configurations they run on.
    "llm_provider_config",
    "persona",
    "persona_override",
    # Not in seed 000: what each run of the periodic cleanup removed.
    "cleanup_run",
    # Not in seed 000 (seed 004): who changed which artifact, how, and why.
    "version_history",
}
ENUMS = {
    "step_status": ["queued", "running", "success", "failed", "skipped", "manual"],
    "artifact_type": [
        "brief",
        "sitemap",
        "content",
        "layout_plan",
        "code_patch",
        "build_report",
        "preview_screenshot",
        "wireframe",
        "style_guide",
    ],
    "revision_source": ["client", "human", "ai"],
    "revision_status": ["pending", "processing", "applied", "rejected"],
}
# Issue 2's uniqueness rules (table, columns), whether a constraint or a unique index.
UNIQUE = {
    ("project", ("slug",)),
    ("site_spec", ("project_id", "version")),
    ("pipeline_step", ("project_id", "step_key")),
    ("artifact", ("project_id", "type", "version")),
    ("integration_config", ("integration_type", "config_key")),
    ("customer_order", ("external_ref",)),
    ("onboarding_submission", ("project_id",)),
    ("site_version", ("project_id", "number")),
    ("version_history", ("project_id", "version")),
    ("version_history", ("project_id", "artifact", "artifact_version")),
}


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """A new, empty database on the session's server; dropped afterwards."""
    name = f"mig_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _catalog(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        enums: dict[str, list[str]] = {}
        for r in await conn.fetch(
            """SELECT t.typname, e.enumlabel FROM pg_type t
               JOIN pg_enum e ON e.enumtypid = t.oid
               JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = 'public' ORDER BY t.typname, e.enumsortorder"""
        ):
            enums.setdefault(r["typname"], []).append(r["enumlabel"])
        unique = {
            (r["table"], tuple(r["columns"]))
            for r in await conn.fetch(
                """SELECT t.relname AS table, array_agg(a.attname ORDER BY k.ord) AS columns
                   FROM pg_index i
                   JOIN pg_class t ON t.oid = i.indrelid
                   JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                   WHERE i.indisunique AND NOT i.indisprimary
                     AND t.relnamespace = 'public'::regnamespace
                   GROUP BY i.indexrelid, t.relname"""
            )
        }
        constraint_names = {
            r["conname"]
            for r in await conn.fetch(
                "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
            )
        }
        foreign_keys = {
            (r["table"], r["column"], r["target"], r["on_delete"])
            for r in await conn.fetch(
                """SELECT c.conrelid::regclass::text AS table, a.attname AS column,
                          c.confrelid::regclass::text AS target, c.confdeltype::text AS on_delete
                   FROM pg_constraint c
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                   WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"""
            )
        }
    finally:
        await conn.close()
    return {
        "tables": tables,
        "enums": enums,
        "unique": unique,
        "constraint_names": constraint_names,
        "foreign_keys": foreign_keys,
    }


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def _diff_against_models(url: str) -> list[Any]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_drift)
    finally:
        await engine.dispose()


async def test_upgrade_no_drift_downgrade(fresh_database: str) -> None:
    # Alembic's env.py runs its own event loop: give it a thread.
    await asyncio.to_thread(upgrade, fresh_database)
    catalog = await _catalog(fresh_database)
    assert catalog["tables"] == TABLES | {"alembic_version"}
    assert catalog["enums"] == ENUMS
    assert catalog["unique"] >= UNIQUE
    assert {
        "uq_site_spec_project_id_version",
        "uq_pipeline_step_project_id_step_key",
        "uq_artifact_project_id_type_version",
        "uq_integration_config_integration_type_config_key",
        "ck_project_status",
    } <= catalog["constraint_names"]
    # A few foreign keys that matter: 'r' = restrict, 'c' = cascade.
    assert {
        ("customer_order", "customer_id", "customer", "r"),
        ("project", "customer_id", "customer", "r"),
        ("project", "order_id", "customer_order", "r"),
        ("onboarding_submission", "project_id", "project", "c"),
        ("pipeline_step", "project_id", "project", "c"),
        ("artifact", "project_id", "project", "c"),
    } <= catalog["foreign_keys"]

    assert await _diff_against_models(fresh_database) == []

    await asyncio.to_thread(downgrade, fresh_database)
    catalog = await _catalog(fresh_database)
    assert catalog["tables"] <= {"alembic_version"}
    assert catalog["enums"] == {}

    # And back up again: the downgrade left nothing that gets in the way.
    await asyncio.to_thread(upgrade, fresh_database)
    assert (await _catalog(fresh_database))["tables"] == TABLES | {"alembic_version"}


async def test_project_status_is_checked_by_the_database(fresh_database: str) -> None:
    await asyncio.to_thread(upgrade, fresh_database)
    conn = await asyncpg.connect(_asyncpg_dsn(fresh_database))
    try:
        customer = await conn.fetchval(
            "INSERT INTO customer (name, email) VALUES ('A', 'a@example.com') RETURNING id"
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO project (customer_id, name, slug, template_id, status) "
                "VALUES ($1, 'P', 'p', 'landing', 'exploded')",
                customer,
            )
    finally:
        await conn.close()
