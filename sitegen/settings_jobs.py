"""Settings of scheduled work: orders that start later, and the periodic cleanup. Part of
the one `Settings` (sitegen/settings.py inherits them), kept here so each has its room."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class JobSettings(BaseSettings):
    # An order may ask to start at most this many days ahead (`start_at`).
    start_at_max_days: int = Field(default=90, ge=1, le=366)
    # How often the cleanup schedule runs; 0: no schedule (a worker starting deletes it).
    cleanup_interval_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # Each rule's age in days; 0 turns the rule off.
    # Preview files of projects cancelled this long ago (their preview stopped at once).
    cleanup_cancelled_preview_days: int = Field(default=30, ge=0, le=3650)
    # Build checkouts, deploy staging and browser scratch folders left behind this long.
    cleanup_build_dir_days: int = Field(default=7, ge=0, le=3650)
    # Conversations not finished and untouched this long, with their messages.
    cleanup_conversation_days: int = Field(default=30, ge=0, le=3650)
