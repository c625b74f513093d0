"""The AI budget on a whole order through Claude (the local Messages API fake): a call whose
most possible cost would pass the project's budget is not made, the project waits for an
operator, and raising the budget and retrying the step finishes the site."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from sitegen.settings import Settings
from tests.conftest import order_body, unique_onboarding, wait_for
from tests.fakes.anthropic import FakeAnthropic
from tests.pipeline.claude import with_claude
from tests.pipeline.helpers import wait_status

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
def settings(settings: Settings, fake_anthropic: FakeAnthropic) -> Settings:
    return with_claude(settings, fake_anthropic)


async def test_over_budget_call_is_not_made_until_an_operator_raises_it(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    body = order_body(unique_onboarding("harbour-physio"), start_generation=True)
    # A cent: less than the first call (the site spec) may cost.
    body["order"]["ai_budget_usd"] = "0.01"
    created = (await api.post("/api/v1/projects", json=body)).json()
    assert created["ai_budget_usd"] == "0.01"
    project = await wait_status(api, created["id"], ("needs_attention", "preview_ready"))
    assert project["status"] == "needs_attention"

    steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    spec = next(s for s in steps if s["step_key"] == "create_site_spec")
    assert spec["status"] == "failed" and "budget of 0.01 USD" in spec["error_message"]
    assert fake_anthropic.requests == []  # refused before it was sent: nothing was paid
    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    assert (costs["calls"], Decimal(costs["spent_usd"]), costs["budget_is_default"]) == (
        0,
        0,
        False,
    )

    raised = await api.put(
        f"/api/v1/projects/{created['id']}/budget",
        json={"ai_budget_usd": "25", "decided_by": "Olu"},
    )
    assert raised.status_code == 200, raised.text
    assert Decimal(raised.json()["budget_usd"]) == 25
    retried = await api.post(f"/api/v1/projects/{created['id']}/steps/create_site_spec/retry")
    assert retried.status_code == 200, retried.text
    # Only the outcome: right after the retry the project may still read needs_attention.
    project = await wait_status(api, created["id"], ("preview_ready",), seconds=120)
    assert project["status"] == "preview_ready", project

    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    assert costs["calls"] == len(fake_anthropic.requests) > 0
    assert 0 < Decimal(costs["spent_usd"]) <= 25


async def test_a_budget_that_is_not_a_positive_amount_is_refused_by_name(
    api: httpx.AsyncClient,
) -> None:
    body = order_body(unique_onboarding("harbour-physio"))
    body["order"]["ai_budget_usd"] = "-3"
    refused = await api.post("/api/v1/projects", json=body)
    assert refused.status_code == 422
    assert "order.ai_budget_usd" in refused.text
    created = (await api.post("/api/v1/projects", json=order_body())).json()
    for bad in ("0", "abc", "1.234", None):
        answer = await api.put(
            f"/api/v1/projects/{created['id']}/budget", json={"ai_budget_usd": bad}
        )
        assert answer.status_code == 422, (bad, answer.text)
        assert "ai_budget_usd" in answer.text
    unknown = await api.put(
        "/api/v1/projects/00000000-0000-0000-0000-000000000000/budget",
        json={"ai_budget_usd": "5"},
    )
    assert unknown.status_code == 404


async def test_a_revision_over_budget_waits_for_the_operator(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    body = order_body(unique_onboarding("harbour-physio"), start_generation=True)
    created = (await api.post("/api/v1/projects", json=body)).json()
    pid = created["id"]
    assert (await wait_status(api, pid, seconds=120))["status"] == "preview_ready"
    spent = Decimal((await api.get(f"/api/v1/projects/{pid}/costs")).json()["spent_usd"])
    lowered = await api.put(
        f"/api/v1/projects/{pid}/budget",
        json={"ai_budget_usd": str((spent + Decimal("0.01")).quantize(Decimal("0.01")))},
    )
    assert lowered.status_code == 200, lowered.text
    asked = len(fake_anthropic.requests)
    queued = await api.post(
        f"/api/v1/projects/{pid}/revisions", json={"message": "Change the primary colour to navy"}
    )
    assert queued.status_code == 202, queued.text
    project = await wait_status(api, pid, ("needs_attention",))
    assert len(fake_anthropic.requests) == asked  # the revision's call was not made
    assert project["waiting_for"] == "operator decision on generate_revision_patch"

    await api.put(f"/api/v1/projects/{pid}/budget", json={"ai_budget_usd": "20"})
    retried = await api.post(f"/api/v1/projects/{pid}/steps/generate_revision_patch/retry")
    assert retried.status_code == 200, retried.text
    revision_url = f"/api/v1/projects/{pid}/revisions/{queued.json()['revision_id']}"

    async def applied() -> bool:
        return bool((await api.get(revision_url)).json()["status"] == "applied")

    await wait_for(applied, 60)
    costs = (await api.get(f"/api/v1/projects/{pid}/costs")).json()
    revisions = {line["key"]: line for line in costs["by_revision"]}
    assert revisions[queued.json()["revision_id"]]["calls"] == 1
