"""A whole order on the real dev server and Postgres with ai_provider="anthropic": every AI
step goes through AnthropicAI and the real SDK to the local Messages API fake."""

from __future__ import annotations

from decimal import Decimal

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


async def test_an_order_becomes_a_preview_through_claude(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    form = unique_onboarding("harbour-physio")
    created = await order_site(api, form, template_id="landing")
    project = await wait_status(api, created["id"], seconds=120)
    assert project["status"] == "preview_ready", project

    tools = fake_anthropic.tools_called()
    assert tools[0] == "submit_site_spec" and "submit_code_patch" in tools
    # One request per page, each for a different page.
    pages = [
        data_tags(r.body["messages"][0]["content"])["page"]["id"]
        for r in fake_anthropic.requests
        if r.body["tool_choice"]["name"] == "submit_page_content"
    ]
    assert len(pages) == len(set(pages)) >= 2
    steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    usage = {
        s["step_key"]: s["details"]["ai_usage"] for s in steps if "ai_usage" in (s["details"] or {})
    }
    assert set(usage) >= {
        "create_site_spec",
        "generate_brief",
        "generate_sitemap",
        "generate_content",
        "generate_layout_plan",
        "generate_code_patch",
    }
    assert usage["create_site_spec"]["model"].startswith("claude-")
    assert usage["create_site_spec"]["prompt_version"].startswith("site_spec@")
    assert float(usage["generate_code_patch"]["cost_usd"]) > 0
    # The layout plan runs after the spec's first readers: it reads the template and spec.
    assert usage["generate_layout_plan"]["cache_read_tokens"] > 0

    # The cost ledger: one paid row per request the fake answered, totalled per step; the
    # steps' own usage says the same.
    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    answered = [r for r in fake_anthropic.requests if r.status == 200]
    assert costs["calls"] == len(answered) and costs["failed_calls"] == 0
    by_step = {line["key"]: line for line in costs["by_step"]}
    assert set(by_step) == set(usage)
    for step, line in by_step.items():
        assert Decimal(line["cost_usd"]) == Decimal(usage[step]["cost_usd"]), step
        assert line["input_tokens"] == usage[step]["input_tokens"], step
    assert by_step["generate_content"]["calls"] == len(pages)
    assert by_step["generate_layout_plan"]["cache_read_tokens"] > 0
    spent = sum(Decimal(line["cost_usd"]) for line in costs["by_step"])
    assert Decimal(costs["spent_usd"]) == spent > 0
    assert Decimal(costs["reserved_usd"]) == 0  # nothing in flight, nothing lost
    assert Decimal(costs["remaining_usd"]) == Decimal(costs["budget_usd"]) - spent
    assert [line["key"] for line in costs["by_revision"]] == [None]
