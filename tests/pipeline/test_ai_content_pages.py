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
    # Only the outcome: right after the retry the project may still read needs_attention.
    project = await wait_status(api, created["id"], ("preview_ready",), seconds=120)
    assert project["status"] == "preview_ready", project

    answered = Counter(_page(r.body) for r in fake_anthropic.requests if r.status == 200)
    del answered[None]
    # Each page answered (and paid) exactly once: the retry asked for the contact page only.
    assert answered == Counter({**first, "contact": 1})
    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    content = next(line for line in costs["by_step"] if line["key"] == "generate_content")
    assert content["calls"] == len(answered)
    assert costs["failed_calls"] == 1  # the refused request: recorded, not billed


async def test_a_page_retried_at_once_does_not_ask_again_for_pages_in_flight(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    """One page is overloaded (529, retried by Temporal at once) while the others are still
    being written: the retry waits for them and reads them back instead of asking again."""
    failed: list[str] = []

    def overloaded_once(body: dict[str, Any]) -> bool:
        if _page(body) == "contact" and not failed:
            failed.append("contact")
            return True
        return False

    fake_anthropic.fail_when(overloaded_once, 529)
    fake_anthropic.latency_for = lambda body: 1.5 if _page(body) not in (None, "contact") else 0
    created = await order_site(api, unique_onboarding("harbour-physio"), template_id="landing")
    project = await wait_status(api, created["id"], seconds=120)
    assert project["status"] == "preview_ready", project
    answered = Counter(_page(r.body) for r in fake_anthropic.requests if r.status == 200)
    del answered[None]
    assert failed == ["contact"] and len(answered) >= 2
    assert set(answered.values()) == {1}, answered  # every page paid for once


async def test_an_operator_retry_after_invalid_answers_asks_afresh(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    """Invalid answers are paid for but never read back: the retry gets new ones."""
    fake_anthropic.answer_invalid(3)  # the first ask and both asks again: the step fails
    created = await order_site(api, unique_onboarding("harbour-physio"), template_id="landing")
    project = await wait_status(api, created["id"], ("needs_attention", "preview_ready"))
    assert project["status"] == "needs_attention"
    assert fake_anthropic.tools_called() == ["submit_site_spec"] * 3
    retried = await api.post(f"/api/v1/projects/{created['id']}/steps/create_site_spec/retry")
    assert retried.status_code == 200, retried.text
    # Only the outcome: right after the retry the project may still read needs_attention.
    project = await wait_status(api, created["id"], ("preview_ready",), seconds=120)
    assert project["status"] == "preview_ready", project
    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    spec = next(line for line in costs["by_step"] if line["key"] == "create_site_spec")
    assert spec["calls"] == 4  # three refused answers, paid, and the good one
