"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from temporalio.client import Client, WorkflowExecutionStatus


@pytest.fixture
async def started(temporal: Client) -> AsyncIterator[Callable[[str], None]]:
    """Remembers workflow ids a test started; terminates them afterwards."""
    ids: list[str] = []
    yield ids.append
    for workflow_id in ids:
        handle = temporal.get_workflow_handle(workflow_id)
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate(reason="test over")
