"""Personal data is never in clear on the Temporal server: a whole project's history, read
raw from the server with no codec, holds none of the form's fields, the customer's name and
email, nor a revision message; through the codec the same history opens and shows them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from sitegen.payload_codec import ENCODING
from sitegen.settings import Settings
from sitegen.temporal_client import data_converter
from sitegen.workflows.site_generation import SiteGenerationWorkflow
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import order_site, wait_status
from tests.pipeline.histories import NOT_OURS, payloads_in, raw_history

pytestmark = pytest.mark.usefixtures("worker")


async def test_history_holds_no_personal_data_in_clear(
    api: httpx.AsyncClient, temporal: Client, settings: Settings
) -> None:
    form = unique_onboarding("harbour-physio")
    business: dict[str, Any] = form["business"]
    customer = {
        "name": "Imogen Featherstonehaugh",
        "email": f"imogen+{uuid.uuid4().hex[:8]}@example.com",
    }
    created = await order_site(api, form, name="Harbour Physiotherapy", customer=customer)
    await wait_status(api, created["id"], ("preview_ready",))
    phrase = f"Mention that Dr Olusegun Adeyemi-{uuid.uuid4().hex[:6]} now sees patients"
    revision = await api.post(
        f"/api/v1/projects/{created['id']}/revisions", json={"message": phrase}
    )
    assert revision.status_code == 202, revision.text
    revision_url = f"/api/v1/projects/{created['id']}/revisions/{revision.json()['revision_id']}"

    async def revision_settled() -> bool:
        status = (await api.get(revision_url)).json()["status"]
        return status in ("applied", "rejected")

    await wait_for(revision_settled, 60)
    handle = temporal.get_workflow_handle(created["workflow_id"])
    await handle.signal("cancel", {"reason": "test over"})
    await wait_status(api, created["id"], ("cancelled",))

    personal = {
        "business name": business["name"],
        "phone": business["phone"],
        "email": business["email"],
        "address": business["address"],
        "service description": form["services"][0]["description"],
        "customer name": customer["name"],
        "customer email": customer["email"],
        "revision message": phrase,
    }
    # Read straight from the server by a client that has no codec at all.
    assert settings.temporal_address is not None
    bare = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)
    stored = b"".join(await raw_history(bare, created["workflow_id"]))
    assert len(stored) > 10_000  # a whole project's life, not an empty answer
    in_clear = [what for what, text in personal.items() if text.encode() in stored]
    assert not in_clear, f"in clear on the Temporal server: {in_clear}"

    # Every payload of the run's data is sealed (search attributes stay readable: the server
    # indexes them, and they hold ids, a status and a slug, not personal data).
    history = await handle.fetch_history()
    found = [
        (where, payload)
        for event in history.events
        for where, payload in payloads_in(event)
        if not any(part in where for part in NOT_OURS)
    ]
    assert len(found) > 50
    unsealed = {where for where, payload in found if payload.metadata.get("encoding") != ENCODING}
    assert not unsealed, f"payloads not encrypted: {sorted(unsealed)}"

    # Through the codec, the same history opens.
    codec = temporal.data_converter.payload_codec
    assert codec is not None
    opened = await codec.decode([payload for _, payload in found])
    readable = b"".join(payload.SerializeToString() for payload in opened)
    # The run carries ids, not the form (the steps read it from the database), so what crosses
    # Temporal in words is the name (the run's summary) and the client's revision message.
    for what in ("business name", "revision message"):
        assert personal[what].encode() in readable, f"{what} not found once decoded"

    # And it replays on today's code with the converter every process uses, as the
    # histories recorded from now on (tests/histories) will.
    replayer = Replayer(
        workflows=[SiteGenerationWorkflow], data_converter=data_converter(Settings())
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert replayed.replay_failure is None
