"""Response bodies of the operators' views of the machinery: workers and cleanup runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class WorkerPublic(BaseModel):
    identity: str = Field(description="The worker's identity as Temporal knows it (pid@host).")
    task_queue: str
    task_types: list[str] = Field(description="What it polls for: `workflow`, `activity`.")
    last_access_time: datetime | None = Field(
        default=None, description="Its last poll of this queue: a live worker polls always."
    )
    build_id: str | None = Field(default=None, description="Its build id, when it sends one.")


class WorkersPublic(BaseModel):
    task_queues: list[str] = Field(description="The deployment's task queues, as asked.")
    workers: list[WorkerPublic]


class CleanupRunPublic(BaseModel):
    id: uuid.UUID
    run_key: str = Field(description="The run's workflow id.")
    rules: dict[str, Any] = Field(description="Each rule's age in days for this run (0: off).")
    counts: dict[str, Any] = Field(description="What each rule removed.")
    errors: dict[str, Any] = Field(description="Why a rule failed, for those that did.")
    started_at: datetime | None
    finished_at: datetime | None = Field(description="None while the run is going (or died).")
