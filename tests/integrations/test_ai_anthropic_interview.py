"""The discovery interview on Claude, through the real `anthropic` SDK against the local
Messages API fake: the same turns as the offline interviewer, its own prompt and tool, and
an answer whose form the onboarding rules refuse asked again with the reasons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.contracts.conversation import ConversationPhase, InterviewAsk, InterviewDraft
from sitegen.contracts.onboarding import Locale
from sitegen.integrations.ai import OfflineAI
from sitegen.integrations.ai.claude import AnthropicAI
from sitegen.integrations.ai.claude.roles import STRUCTURED_MODEL
from sitegen.integrations.providers import make_ai
from tests.conversation.scripts import EN, PT
from tests.fakes.anthropic import FakeAnthropic
from tests.integrations.test_ai_anthropic import claude_settings

OFFERED = ["home", "about", "services", "faq", "contact"]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic().running() as server:
        yield server


@pytest.fixture
def claude(fake: FakeAnthropic, tmp_path: Path) -> AnthropicAI:
    ai = make_ai(claude_settings(fake, tmp_path))
    assert isinstance(ai, AnthropicAI)
    return ai


def ask(message: str, draft: InterviewDraft, locale: Locale) -> InterviewAsk:
    return InterviewAsk(
        message=message,
        locale=locale,
        phase=ConversationPhase.DISCOVERY,
        draft=draft,
        template_id="landing",
        pages_offered=OFFERED,
    )


@pytest.mark.parametrize(("script", "locale"), [(EN, Locale.EN), (PT, Locale.PT_BR)])
async def test_interview_turns_match_the_offline_interviewer(
    claude: AnthropicAI, fake: FakeAnthropic, script: list[str], locale: Locale
) -> None:
    ours, theirs = InterviewDraft(), InterviewDraft()
    for message in script:
        got = await claude.interview(ask(message, ours, locale))
        expected = await OfflineAI().interview(ask(message, theirs, locale))
        assert got.artifact == expected.artifact
        assert got.usage.requests == 1 and got.usage.cost_usd > 0
        assert got.usage.prompt_version and got.usage.prompt_version.startswith("interview@1")
        ours, theirs = got.artifact.draft, expected.artifact.draft
    assert got.artifact.plan is not None and got.artifact.onboarding is not None
    assert fake.tools_called() == ["submit_interview_reply"] * len(script)
    assert {r.body["model"] for r in fake.requests} == {STRUCTURED_MODEL}
    # The client's words reach the model as data, in the interview's own prompt.
    assert script[0] in fake.requests[0].body["messages"][0]["content"]


async def test_a_form_the_onboarding_rules_refuse_is_sent_back(
    claude: AnthropicAI, fake: FakeAnthropic
) -> None:
    draft = InterviewDraft()
    for message in EN[:-1]:
        draft = (await OfflineAI().interview(ask(message, draft, Locale.EN))).artifact.draft

    def broken(answer: dict[str, object]) -> dict[str, object]:
        form = dict(answer["onboarding"])  # type: ignore[call-overload]
        return {**answer, "onboarding": {**form, "pages": ["home", "pricing"]}}

    fake.rewrite_next(broken)
    result = await claude.interview(ask(EN[-1], draft, Locale.EN))
    assert result.artifact.onboarding is not None and result.usage.requests == 2
    assert result.artifact.onboarding["pages"] == ["home", "about", "services", "contact"]
    feedback = fake.requests[1].body["messages"][-1]["content"][0]["content"]
    assert "onboarding.pages: ['pricing'] are not pages this site may have" in feedback
