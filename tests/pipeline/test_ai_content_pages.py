"""The content step asks for every page side by side, and a page that fails does not cost
the others: they run to their end, are paid once, and the retry asks only for the failed
page (the others are read back from the cost ledger)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from sitegen.settings import Settings
from tests.conftest import unique_onboarding
from tests.fakes.anthropic import FakeAnthropic, data_tags
from tests.pipeline.claude import with_claude
from tests.pipeline.helpers import order_site, wait_status

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
def settings(settings: Settings, fake_anthropic: FakeAnthropic) -> Settings:
    return with_claude(settings, fake_anthropic)


def _page(body: dict[str, Any]) -> str | None:
    if body.get("tool_choice", {}).get("name") != "submit_page_content":
        return None
    page: str = data_tags(body["messages"][0]["content"])["page"]["id"]
    return page


async def test_a_failed_page_is_asked_again_alone(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    # A request the API refuses for good (400): the step fails and waits for an operator.
    fake_anthropic.fail_when(lambda body: _page(body) == "contact", 400)
    created = await order_site(api, unique_onboarding("harbour-physio"), template_id="landing")
    project = await wait_status(api, created["id"], ("needs_attention", "preview_ready"))
    assert project["status"] == "needs_attention"
    first = Counter(_page(r.body) for r in fake_anthropic.requests if r.status == 200)
    del first[None]
    assert len(first) >= 2 and "contact" not in first  # every other page was answered

    fake_anthropic.stop_failing()
    retried = await api.post(f"/api/v1/projects/{created['id']}/steps/generate_content/retry")
    assert retried.status_code == 200, retried.text
    project = await wait_status(api, created["id"], seconds=120)
    assert project["status"] == "preview_ready", project

    answered = Counter(_page(r.body) for r in fake_anthropic.requests if r.status == 200)
    del answered[None]
    # Each page answered (and paid) exactly once: the retry asked for the contact page only.
    assert answered == Counter({**first, "contact": 1})
    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    content = next(line for line in costs["by_step"] if line["key"] == "generate_content")
    assert content["calls"] == len(answered)
    assert costs["failed_calls"] == 1  # the refused request: recorded, not billed
