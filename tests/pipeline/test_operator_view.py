"""What an operator sees in the Temporal UI: a summary and details on the run, a summary on
every activity call, current details that say what the run waits for, search attributes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client

from tests.conftest import unique_onboarding
from tests.pipeline.helpers import order_site, wait_status

pytestmark = pytest.mark.usefixtures("worker")


async def decoded(temporal: Client, payload: Any) -> str:
    """A summary as the UI shows it, through the codec (payloads are encrypted)."""
    return str((await temporal.data_converter.decode([payload], [str]))[0])


async def test_runs_read_well_in_the_temporal_ui(api: httpx.AsyncClient, temporal: Client) -> None:
    form = unique_onboarding("harbour-physio")
    created = await order_site(api, form, name="Harbour Physiotherapy")
    await wait_status(api, created["id"])
    handle = temporal.get_workflow_handle(created["workflow_id"])
    description = await handle.describe()

    summary = await description.static_summary()
    assert summary == f"Harbour Physiotherapy · landing · {created['slug']}"
    details = await description.static_details()
    assert details is not None and created["id"] in details
    assert form["business"]["email"] not in details  # no client's personal data in the UI

    attributes = {p.key.name: p.value for p in description.typed_search_attributes}
    assert attributes["Template"] == "landing"
    assert attributes["ProjectStatus"] == "preview_ready"
    assert attributes["ProjectSlug"] == created["slug"]

    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details == "Waiting for review"

    summaries = [
        await decoded(temporal, event.user_metadata.summary)
        async for event in handle.fetch_history_events()
        if event.HasField("user_metadata") and event.user_metadata.HasField("summary")
    ]
    assert "build_and_test · round 0" in summaries
    assert "apply_patch · round 0" in summaries
    assert "generate_content" in summaries
    await handle.signal("cancel", {"reason": "test"})
    await wait_status(api, created["id"], ("cancelled",))
