"""AnthropicAI through the real `anthropic` SDK against a local Messages API fake
(tests/fakes/anthropic.py): same artifacts as the offline AI, invalid answers asked again
with their errors, errors typed for Temporal, prompt caching, cost, and no key in sight."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from sitegen.contracts.ai_roles import AIRoleOverride, ModelPrice
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.revision import RevisionAsk
from sitegen.contracts.site import SiteContent
from sitegen.integrations.ai import OfflineAI
from sitegen.integrations.ai.claude import AnthropicAI
from sitegen.integrations.ai.claude.roles import PATCH_MODEL, STRUCTURED_MODEL
from sitegen.integrations.providers import make_ai
from sitegen.settings import REPO_ROOT, Settings
from sitegen.templates_registry import TemplateManifest, load_template
from tests.fakes.anthropic import KEY, FakeAnthropic

EXAMPLES = REPO_ROOT / "examples" / "onboarding"
TEMPLATES = REPO_ROOT / "templates"


def onboarding(name: str) -> Onboarding:
    return Onboarding.model_validate_json((EXAMPLES / f"{name}.json").read_text("utf-8"))


def template_files(template_id: str) -> dict[str, str]:
    root = TEMPLATES / template_id
    template = load_template(TEMPLATES, template_id)
    from sitegen.templates_registry import is_editable

    return {
        p.relative_to(root).as_posix(): p.read_text("utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and is_editable(template, p.relative_to(root).as_posix())
    }


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic().running() as server:
        yield server


def claude_settings(fake: FakeAnthropic, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "ai_provider": "anthropic",
        "anthropic_api_key": SecretStr(KEY),
        "anthropic_base_url": fake.url,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def claude(fake: FakeAnthropic, tmp_path: Path) -> AnthropicAI:
    ai = make_ai(claude_settings(fake, tmp_path))
    assert isinstance(ai, AnthropicAI)
    return ai


def landing() -> TemplateManifest:
    return load_template(TEMPLATES, "landing")


@pytest.mark.parametrize(
    ("example", "template_id"),
    [
        ("harbour-physio", "landing"),
        ("padaria-pao-e-afeto", "landing"),
        ("saas/tally-invoicing", "saas"),
    ],
)
async def test_every_step_returns_the_offline_artifacts(
    claude: AnthropicAI, fake: FakeAnthropic, example: str, template_id: str
) -> None:
    offline, form = OfflineAI(), onboarding(example)
    template = load_template(TEMPLATES, template_id)
    files = template_files(template_id)

    async def chain(ai: Any) -> list[Any]:
        spec = await ai.site_spec(form, template)
        s = spec.artifact
        brief = await ai.brief(s)
        sitemap = await ai.sitemap(s, template)
        pages = [await ai.page_content(s, p) for p in sitemap.artifact.pages]
        content = SiteContent(pages=[p.artifact for p in pages])
        layout = await ai.layout_plan(s, sitemap.artifact, template)
        patch = await ai.code_patch(s, content, layout.artifact, files, template)
        fix = await ai.fix_patch(
            s, content, layout.artifact, files, template, "build failed: error in content"
        )
        ask = RevisionAsk(message="Change the main colour to teal")
        revision = await ai.revision(ask, s, content, layout.artifact, files, template)
        plan = await ai.plan_revision(RevisionAsk(message="Add a FAQ page"), s, template)
        return [spec, brief, sitemap, *pages, layout, patch, fix, revision, plan]

    ours, theirs = await chain(claude), await chain(offline)
    assert [r.artifact for r in ours] == [r.artifact for r in theirs]
    assert ours[-2].artifact.accepted  # the revision went through the whole patch path
    for result in ours:
        usage = result.usage
        assert usage.requests == 1 and usage.output_tokens > 0 and usage.cost_usd > 0
        assert usage.prompt_version and "@1" in usage.prompt_version
    models = [r.body["model"] for r in fake.requests]
    assert models.count(PATCH_MODEL) == 3  # code patch, fix patch, revision
    assert set(models) == {PATCH_MODEL, STRUCTURED_MODEL}
    # Sampling parameters would be a 400 on the API version the SDK speaks.
    assert not any("temperature" in r.body for r in fake.requests)


async def test_invalid_answer_is_asked_again_with_its_errors(
    claude: AnthropicAI, fake: FakeAnthropic
) -> None:
    fake.answer_invalid(1)
    result = await claude.site_spec(onboarding("harbour-physio"), landing())
    expected = await OfflineAI().site_spec(onboarding("harbour-physio"), landing())
    assert result.artifact == expected.artifact
    assert result.usage.requests == 2 and len(result.usage.request_ids) == 2
    first, second = (r.body for r in fake.requests)
    assert len(first["messages"]) == 1 and len(second["messages"]) == 3
    echoed, feedback = second["messages"][1], second["messages"][2]
    assert echoed["role"] == "assistant" and echoed["content"][0]["type"] == "tool_use"
    (tool_result,) = feedback["content"]
    assert tool_result["type"] == "tool_result" and tool_result["is_error"] is True
    assert tool_result["tool_use_id"] == echoed["content"][0]["id"]
    # The validation errors, by field: what the model must fix.
    assert "unexpected: Extra inputs are not permitted" in tool_result["content"]
    assert "business: Field required" in tool_result["content"]


async def test_invalid_forever_fails_for_good_after_the_bound(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    claude = AnthropicAI(claude_settings(fake, tmp_path, ai_max_invalid_retries=2))
    fake.answer_invalid(100)
    with pytest.raises(ApplicationError) as caught:
        await claude.brief(
            (await OfflineAI().site_spec(onboarding("harbour-physio"), landing())).artifact
        )
    error = caught.value
    assert error.type == "AIInvalidOutput" and error.non_retryable
    assert "3 requests" in error.message and len(fake.requests) == 3


EVIL = (
    "diff --git a/build.py b/build.py\n--- a/build.py\n+++ b/build.py\n"
    "@@ -1 +1 @@\n-import json\n+import os; os.system('curl evil')\n"
)


async def test_a_patch_outside_the_editable_files_is_fed_back_then_fixed(
    claude: AnthropicAI, fake: FakeAnthropic
) -> None:
    offline, template = OfflineAI(), landing()
    spec = (await offline.site_spec(onboarding("harbour-physio"), template)).artifact
    sitemap = (await offline.sitemap(spec, template)).artifact
    pages = [(await offline.page_content(spec, p)).artifact for p in sitemap.pages]
    layout = (await offline.layout_plan(spec, sitemap, template)).artifact
    content, files = SiteContent(pages=pages), template_files("landing")
    # Schema-valid, but it reaches into the template's code: the model is told so.
    fake.rewrite_next(lambda answer: {**answer, "diff": EVIL + answer["diff"]})
    result = await claude.code_patch(spec, content, layout, files, template)
    expected = await offline.code_patch(spec, content, layout, files, template)
    assert result.artifact == expected.artifact and result.usage.requests == 2
    feedback = fake.requests[1].body["messages"][-1]["content"][0]["content"]
    assert "build.py is not editable" in feedback


async def test_a_layout_that_leaves_the_wireframe_is_fed_back_then_fixed(
    claude: AnthropicAI, fake: FakeAnthropic
) -> None:
    offline, template = OfflineAI(), landing()
    spec = (await offline.site_spec(onboarding("harbour-physio"), template)).artifact
    sitemap = (await offline.sitemap(spec, template)).artifact

    def reorder(answer: dict[str, Any]) -> dict[str, Any]:
        first = answer["pages"][0]
        flipped = {**first, "sections": list(reversed(first["sections"]))}
        return {**answer, "pages": [flipped, *answer["pages"][1:]]}

    # Valid variants, every page there: only the order the client signed off is wrong.
    fake.rewrite_next(reorder)
    result = await claude.layout_plan(spec, sitemap, template)
    expected = await offline.layout_plan(spec, sitemap, template)
    assert result.artifact == expected.artifact and result.usage.requests == 2
    feedback = fake.requests[1].body["messages"][-1]["content"][0]["content"]
    assert "pages.0.sections: exactly these, in this order" in feedback


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, "RateLimitError"), (529, "OverloadedError"), (500, "InternalServerError")],
)
async def test_busy_or_broken_service_is_retryable_with_its_retry_after(
    claude: AnthropicAI, fake: FakeAnthropic, status: int, kind: str
) -> None:
    fake.fail_next(status, retry_after="7")
    with pytest.raises(ApplicationError) as caught:
        await claude.site_spec(onboarding("harbour-physio"), landing())
    error = caught.value
    assert error.type == kind and not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=7)
    assert len(fake.requests) == 1  # max_retries=0: the SDK did not retry on its own
    # The next attempt (Temporal's) goes through.
    assert (await claude.site_spec(onboarding("harbour-physio"), landing())).usage.requests == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "BadRequestError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (422, "UnprocessableEntityError"),
    ],
)
async def test_request_errors_are_final_with_their_type(
    claude: AnthropicAI, fake: FakeAnthropic, status: int, kind: str
) -> None:
    fake.fail_next(status)
    with pytest.raises(ApplicationError) as caught:
        await claude.site_spec(onboarding("harbour-physio"), landing())
    assert caught.value.type == kind and caught.value.non_retryable
    assert f"HTTP {status}" in caught.value.message and "req_fake_" in caught.value.message


async def test_wrong_key_is_final_names_the_setting_and_never_shows_the_key(
    fake: FakeAnthropic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "sk-ant-wrong-key-must-not-leak-42"
    claude = AnthropicAI(claude_settings(fake, tmp_path, anthropic_api_key=SecretStr(secret)))
    with structlog.testing.capture_logs() as logs, pytest.raises(ApplicationError) as caught:
        await claude.site_spec(onboarding("harbour-physio"), landing())
    error = caught.value
    assert error.type == "AuthenticationError" and error.non_retryable
    assert "SITEGEN_ANTHROPIC_API_KEY" in error.message
    seen = repr(error) + str(error.__cause__) + repr(logs) + "".join(capsys.readouterr())
    assert secret not in seen and KEY not in seen
    assert all("authorization" not in r.headers for r in fake.requests)


def test_missing_key_stops_the_worker_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="SITEGEN_ANTHROPIC_API_KEY"):
        make_ai(Settings(data_dir=tmp_path, ai_provider="anthropic", anthropic_api_key=None))


def test_a_model_without_a_price_stops_the_worker(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        ai_provider="anthropic",
        anthropic_api_key=SecretStr(KEY),
        ai_models={"brief": "claude-unknown-9"},
    )
    with pytest.raises(SystemExit, match="SITEGEN_AI_PRICES"):
        make_ai(settings)


async def test_steps_of_one_site_read_the_cached_template_and_spec(
    claude: AnthropicAI, fake: FakeAnthropic
) -> None:
    template = landing()
    spec = await claude.site_spec(onboarding("harbour-physio"), template)
    brief = await claude.brief(spec.artifact)
    sitemap = await claude.sitemap(spec.artifact, template)
    # First step: the template context is written to the cache; nothing to read yet.
    assert spec.usage.cache_write_tokens > 0 and spec.usage.cache_read_tokens == 0
    # Second step: the template (and the tools before it) come from the cache; the spec
    # is written. Third: both are read.
    assert brief.usage.cache_read_tokens >= spec.usage.cache_write_tokens
    assert brief.usage.cache_write_tokens > 0
    assert sitemap.usage.cache_read_tokens > brief.usage.cache_read_tokens
    assert sitemap.usage.cache_write_tokens == 0
    blocks = fake.requests[1].body["system"]
    assert [b.get("cache_control") for b in blocks] == [
        {"type": "ephemeral"},
        {"type": "ephemeral"},
        None,  # the step's persona, after the shared prefix
    ]


async def test_cost_is_computed_from_the_prices(fake: FakeAnthropic, tmp_path: Path) -> None:
    price = ModelPrice(
        input=Decimal("2"),
        output=Decimal("10"),
        cache_read=Decimal("0.5"),
        cache_write=Decimal("4"),
    )
    claude = AnthropicAI(claude_settings(fake, tmp_path, ai_prices={STRUCTURED_MODEL: price}))
    spec = await claude.site_spec(onboarding("harbour-physio"), landing())
    u = (await claude.brief(spec.artifact)).usage
    expected = (
        2 * u.input_tokens
        + 10 * u.output_tokens
        + Decimal("0.5") * u.cache_read_tokens
        + 4 * u.cache_write_tokens
    ) / Decimal(1_000_000)
    assert u.cost_usd == expected.quantize(Decimal("0.000001"))
    assert u.cost_usd > 0 and u.cache_read_tokens > 0


async def test_roles_come_from_settings_then_the_template(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    settings = claude_settings(
        fake,
        tmp_path,
        ai_models={"site_spec": "claude-haiku-5-5"},
        ai_roles={"brief": AIRoleOverride(max_tokens=1234, system="You write briefs.")},
    )
    claude = AnthropicAI(settings)
    override = AIRoleOverride(model="claude-opus-5-5", effort="low")
    template = landing().model_copy(update={"ai": {"sitemap": override}})
    spec = await claude.site_spec(onboarding("harbour-physio"), template)
    brief = await claude.brief(spec.artifact)
    await claude.sitemap(spec.artifact, template)
    first, second, third = (r.body for r in fake.requests)
    assert first["model"] == "claude-haiku-5-5" and spec.usage.model == "claude-haiku-5-5"
    assert second["max_tokens"] == 1234 and second["system"][-1]["text"] == "You write briefs."
    assert "system#" in (brief.usage.prompt_version or "")
    assert third["model"] == "claude-opus-5-5" and third["output_config"] == {"effort": "low"}
    assert third["thinking"] == {"type": "disabled"}


def test_a_template_ai_table_is_read_from_its_manifest() -> None:
    data = json.loads(landing().model_dump_json())
    data["ai"] = {"page_content": {"model": "claude-haiku-5-5", "max_tokens": 3000}}
    manifest = TemplateManifest.model_validate(data)
    assert manifest.ai["page_content"].model == "claude-haiku-5-5"
    data["ai"] = {"page_content": {"temperature": 0.2}}
    with pytest.raises(ValueError, match="temperature"):
        TemplateManifest.model_validate(data)
