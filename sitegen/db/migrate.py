"""Run Alembic to head, and keep the template catalogue in step with templates/."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, make_url, select, text
from sqlalchemy.dialects.postgresql import insert

from sitegen.db.engine import make_engine
from sitegen.db.tables import TemplateRegistry
from sitegen.db.tenancy import APP_ROLE
from sitegen.settings import REPO_ROOT

ALEMBIC_INI = REPO_ROOT / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


async def sync_templates(database_url: str, templates_dir: Path) -> list[str]:
    """Upsert every template found on disk; the catalogue the API serves comes from here."""
    from sitegen.templates_registry import list_templates

    engine = make_engine(database_url, pool_size=1)
    ids = []
    try:
        async with engine.begin() as conn:
            for manifest in list_templates(templates_dir):
                row = {
                    "id": manifest.id,
                    "name": manifest.name,
                    "description": manifest.description,
                    "repo_url": (templates_dir / manifest.id).resolve().as_uri(),
                    "config": manifest.model_dump(mode="json"),
                    "is_active": True,
                }
                stmt = insert(TemplateRegistry).values(**row)
                await conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["id"],
                        set_={k: stmt.excluded[k] for k in row if k != "id"},
                    )
                )
                ids.append(manifest.id)
    finally:
        await engine.dispose()
    return ids


async def set_app_role_password(database_url: str, api_database_url: str) -> None:
    """The API's role (made by migration 0005 without one) gets the password the API's URL
    names, so a deployment keeps that secret in one setting, SITEGEN_API_DATABASE_URL."""
    api = make_url(api_database_url)
    if api.username != APP_ROLE or not api.password:
        return
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            # ALTER ROLE takes no bind parameters; quote_literal quotes it server-side.
            literal = (await conn.execute(select(func.quote_literal(str(api.password))))).scalar()
            await conn.execute(text(f"ALTER ROLE {APP_ROLE} PASSWORD {literal}"))
    finally:
        await engine.dispose()


def prepare_database(
    database_url: str, templates_dir: Path, api_database_url: str | None = None
) -> list[str]:
    upgrade(database_url)
    if api_database_url:
        asyncio.run(set_app_role_password(database_url, api_database_url))
    return asyncio.run(sync_templates(database_url, templates_dir))
