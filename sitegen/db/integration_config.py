"""The `integration_config` table: integration settings kept in Postgres, secrets encrypted.

Listing never decrypts: a secret's value leaves this module only for the overlay a process
runs with (`stored_values`), never for display. Which keys exist and which are secret is
the catalogue's call (sitegen/config_catalogue.py), not the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from sitegen import config_catalogue as catalogue
from sitegen.config_secrets import ConfigCipher, ConfigSecretError
from sitegen.db.engine import Sessions, make_sessionmaker, transaction
from sitegen.db.tables_config import IntegrationConfig
from sitegen.settings import Settings

log = structlog.get_logger()


@dataclass(frozen=True)
class StoredSetting:
    """One row as it may be shown: `value` is None for a secret (never decrypted here)."""

    integration_type: str
    config_key: str
    value: str | None
    is_secret: bool
    is_active: bool
    description: str | None
    last_tested_at: datetime | None
    last_test_success: bool | None
    updated_at: datetime | None


class IntegrationConfigStore:
    def __init__(self, sessions: Sessions, cipher: ConfigCipher) -> None:
        self.sessions = sessions
        self.cipher = cipher

    async def rows(self, integration_type: str | None = None) -> list[StoredSetting]:
        query = select(IntegrationConfig).order_by(
            col(IntegrationConfig.integration_type), col(IntegrationConfig.config_key)
        )
        if integration_type is not None:
            query = query.where(IntegrationConfig.integration_type == integration_type)
        async with self.sessions() as session:
            found = (await session.exec(query)).all()
        return [
            StoredSetting(
                r.integration_type, r.config_key, None if r.is_secret else r.config_value,
                r.is_secret, r.is_active, r.description, r.last_tested_at,
                r.last_test_success, r.updated_at,
            )
            for r in found
        ]  # fmt: skip

    async def set(
        self, integration_type: str, key: str, value: str, description: str | None = None
    ) -> None:
        """Insert or replace one value (active again if it was not). The caller validates
        the value against Settings first; here only the catalogue is checked."""
        catalogue.check_key(integration_type, key)
        secret = catalogue.is_secret(key)
        stored = self.cipher.encrypt(value) if secret else value
        values = {"config_value": stored, "is_secret": secret, "is_active": True,
                  "last_tested_at": None, "last_test_success": None}  # fmt: skip
        if description is not None:
            values["description"] = description
        statement = insert(IntegrationConfig).values(
            integration_type=integration_type, config_key=key, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["integration_type", "config_key"],
            set_={**values, "updated_at": datetime.now(UTC)},
        )
        async with transaction(self.sessions) as session:
            await session.execute(statement)
        log.info("integration_config.set", integration=integration_type, key=key)

    async def unset(self, integration_type: str, key: str) -> bool:
        """Remove one value; True if there was one."""
        catalogue.check_key(integration_type, key)
        async with transaction(self.sessions) as session:
            result = await session.execute(
                delete(IntegrationConfig)
                .where(col(IntegrationConfig.integration_type) == integration_type)
                .where(col(IntegrationConfig.config_key) == key)
                .returning(col(IntegrationConfig.id))
            )
            removed = result.first() is not None
        log.info("integration_config.unset", integration=integration_type, key=key)
        return removed

    async def stored_values(self) -> dict[str, str]:
        """Every active row's value, decrypted: Settings field -> text, for the overlay.
        A row the catalogue does not know (left by an older version) is skipped."""
        query = select(IntegrationConfig).where(col(IntegrationConfig.is_active))
        async with self.sessions() as session:
            found = (await session.exec(query)).all()
        values: dict[str, str] = {}
        for row in found:
            try:
                catalogue.check_key(row.integration_type, row.config_key)
            except catalogue.UnknownSetting:
                log.warning("integration_config.unknown_row", integration=row.integration_type,
                            key=row.config_key)  # fmt: skip
                continue
            values[row.config_key] = (
                self.cipher.decrypt(row.config_value, row.integration_type, row.config_key)
                if row.is_secret
                else row.config_value
            )
        return values

    async def record_test(self, integration_type: str, success: bool) -> int:
        """The probe's outcome on every row of the type; how many rows carry it."""
        async with transaction(self.sessions) as session:
            result = await session.execute(
                update(IntegrationConfig)
                .where(col(IntegrationConfig.integration_type) == integration_type)
                .values(last_tested_at=datetime.now(UTC), last_test_success=success)
                .returning(col(IntegrationConfig.id))
            )
            return len(result.all())

    async def rotate(self) -> int:
        """Every secret re-sealed under the current payload key, all or none (one
        transaction, rows locked); how many. A row no key opens fails the whole rotation,
        naming it."""
        async with transaction(self.sessions) as session:
            query = (
                select(IntegrationConfig).where(col(IntegrationConfig.is_secret)).with_for_update()
            )
            rows = (await session.exec(query)).all()
            for row in rows:
                row.config_value = self.cipher.rotate(
                    row.config_value, row.integration_type, row.config_key
                )
                session.add(row)
        log.info("integration_config.rotated", rows=len(rows), key_id=self.cipher.key_id)
        return len(rows)


class StoredConfigInvalid(SystemExit):
    """The stored configuration cannot be applied: the worker stops, saying which row."""


async def settings_with_stored_config(settings: Settings, engine: AsyncEngine) -> Settings:
    """The worker's settings with the active rows overlaid (env > database > default).
    A row that cannot be decrypted or validated stops the worker at start, not halfway
    through a run."""
    store = IntegrationConfigStore(make_sessionmaker(engine), ConfigCipher.from_settings(settings))
    try:
        stored = await store.stored_values()
        effective = catalogue.overlay(settings, stored)
    except (ConfigSecretError, catalogue.ConfigValueError) as exc:
        raise StoredConfigInvalid(f"integration_config: {exc}") from None
    from_database = sorted(k for k in stored if k not in settings.model_fields_set)
    if from_database:
        # Names only: the values may be secrets.
        log.info("integration_config.applied", keys=from_database)
    return effective
