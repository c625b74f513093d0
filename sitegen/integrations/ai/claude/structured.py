"""One structured answer from Claude: ask, validate, and ask again with the errors.

The answer comes as the input of a tool whose `input_schema` is the artifact model's JSON
schema, with `tool_choice` forcing that tool: the robust way to get JSON of a given shape
from Claude. It is validated by the same pydantic model the offline AI returns, plus the
step's own checks (pages the template has, a patch only on editable files...). An invalid
answer is sent back as the tool's error result, so the model sees exactly what to fix,
at most `max_invalid` times; then the step fails for good.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anthropic
import structlog
from pydantic import BaseModel, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from sitegen.contracts.ai_roles import ModelPrice
from sitegen.contracts.conversation import InterviewReply
from sitegen.contracts.revision import SiteRevision
from sitegen.contracts.site import (
    AIUsage,
    Brief,
    CodePatch,
    LayoutPlan,
    PageContent,
    Sitemap,
    SiteSpec,
)
from sitegen.integrations.ai.claude.errors import REFUSED, UNPRICED, invalid_output
from sitegen.integrations.ai.claude.metered import Answer, send
from sitegen.integrations.ai.claude.prompts import Prompt
from sitegen.integrations.ai.claude.roles import Role, cost_usd
from sitegen.integrations.ai.ledger import AILedger

log = structlog.get_logger()

M = TypeVar("M", bound=BaseModel)
# Extra checks of a valid artifact against its inputs; each string is one problem.
Check = Callable[[M], list[str]]

# Every request offers every tool, in this order, and forces the step's one. Tools lead
# the cached prefix, so the same list everywhere lets all steps of a site share the
# cache of the template and the spec (a different tool list would start a new prefix).
ARTIFACT_TOOLS: dict[str, tuple[type[BaseModel], str]] = {
    "submit_site_spec": (SiteSpec, "Submit the normalised site spec."),
    "submit_brief": (Brief, "Submit the creative brief."),
    "submit_sitemap": (Sitemap, "Submit the sitemap."),
    "submit_page_content": (PageContent, "Submit one page's copy."),
    "submit_layout_plan": (LayoutPlan, "Submit the layout plan."),
    "submit_code_patch": (CodePatch, "Submit the patch, as a `git diff` of editable files."),
    "submit_site_revision": (SiteRevision, "Submit the revised site, or a refusal."),
    "submit_interview_reply": (InterviewReply, "Submit the interview's reply and draft."),
}


def _tools() -> list[dict[str, Any]]:
    return [
        {"name": name, "description": text, "input_schema": model.model_json_schema()}
        for name, (model, text) in ARTIFACT_TOOLS.items()
    ]


TOOLS = _tools()


@dataclass
class Tally:
    """Usage summed over the requests of one answer."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    requests: int = 0
    latency_ms: int = 0
    request_ids: list[str] = field(default_factory=list)

    def add(self, message: anthropic.types.Message, latency_ms: int) -> None:
        u = message.usage
        self.input_tokens += u.input_tokens
        self.output_tokens += u.output_tokens
        self.cache_read += u.cache_read_input_tokens or 0
        self.cache_write += u.cache_creation_input_tokens or 0
        self.requests += 1
        self.latency_ms += latency_ms
        request_id = getattr(message, "_request_id", None)
        if request_id and len(self.request_ids) < 20:
            self.request_ids.append(str(request_id)[:80])

    def usage(self, price: ModelPrice, prompt_version: str) -> AIUsage:
        return AIUsage(
            model=self.model,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=cost_usd(
                price, self.input_tokens, self.output_tokens, self.cache_read, self.cache_write
            ),
            cache_read_tokens=self.cache_read,
            cache_write_tokens=self.cache_write,
            prompt_version=prompt_version,
            requests=self.requests,
            latency_ms=self.latency_ms,
            request_ids=self.request_ids,
        )


def problems_of(error: ValidationError) -> list[str]:
    """Where and what, never the offending value: these lines reach logs and histories."""
    out = []
    for e in error.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        out.append(f"{where}: {e['msg']}")
    return out


def _echo(message: anthropic.types.Message) -> list[dict[str, Any]]:
    """The assistant turn as request content, so the error result can refer to it."""
    blocks: list[dict[str, Any]] = []
    for b in message.content:
        if b.type == "text":
            blocks.append({"type": "text", "text": b.text})
        elif b.type == "tool_use":
            blocks.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
    return blocks


def _feedback(message: anthropic.types.Message, tool: str, problems: list[str]) -> dict[str, Any]:
    text = (
        "That answer was not accepted. Fix these problems and call "
        f"{tool} again with the whole corrected answer:\n"
        + "\n".join(f"- {p}" for p in problems[:40])
    )
    call = next((b for b in message.content if b.type == "tool_use"), None)
    if call is None:
        return {"role": "user", "content": text}
    result = {"type": "tool_result", "tool_use_id": call.id, "is_error": True, "content": text}
    return {"role": "user", "content": [result]}


def _judge(
    message: anthropic.types.Message, tool: str, model_cls: type[M], check: Check[M] | None
) -> M | list[str]:
    call = next((b for b in message.content if b.type == "tool_use" and b.name == tool), None)
    problems: list[str] = []
    if message.stop_reason == "max_tokens":
        problems.append("the answer was cut off at the output limit: be more concise")
    if call is None:
        return [*problems, f"no {tool} call in the answer"]
    try:
        artifact = model_cls.model_validate_json(json.dumps(call.input))
    except ValidationError as exc:
        return [*problems, *problems_of(exc)]
    problems = check(artifact) if check is not None else []
    return problems or artifact


async def ask(
    client: anthropic.AsyncAnthropic,
    role: Role,
    price: ModelPrice | None,
    prompt: Prompt,
    tool: str,
    model_cls: type[M],
    max_invalid: int,
    check: Check[M] | None = None,
    *,
    ledger: AILedger | None = None,
) -> tuple[M, AIUsage]:
    if price is None:
        raise ApplicationError(
            f"no price for model {role.model!r} (step {role.step}): set SITEGEN_AI_PRICES",
            type=UNPRICED,
            non_retryable=True,
        )
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt.user}]
    tally = Tally(role.model)
    extra: dict[str, Any] = {}
    if role.effort is not None:
        extra["output_config"] = {"effort": role.effort}
    problems: list[str] = []
    for round_ in range(1 + max_invalid):
        request: dict[str, Any] = {
            "model": role.model,
            "max_tokens": role.max_tokens,
            "system": prompt.system,
            "messages": messages,
            "tools": TOOLS,
            "tool_choice": {"type": "tool", "name": tool, "disable_parallel_tool_use": True},
            # A forced tool cannot be combined with thinking, and newer models think
            # unless told not to.
            "thinking": {"type": "disabled"},
            **extra,
        }
        answer = await send(client, ledger, role, price, request)
        message = answer.message
        tally.add(message, answer.latency_ms)
        _log(role, message, answer.latency_ms, round_, answer.replayed)
        if message.stop_reason == "refusal":
            await _reject(ledger, answer)
            raise ApplicationError(
                f"Claude {role.step} ({role.model}) declined to answer",
                type=REFUSED,
                non_retryable=True,
            )
        judged = _judge(message, tool, model_cls, check)
        if not isinstance(judged, list):
            return judged, tally.usage(price, prompt.version)
        problems = judged
        # Paid and counted, but never read back: asked again, the question gets a new answer.
        await _reject(ledger, answer)
        log.warning("ai.invalid_answer", step=role.step, model=role.model, problems=len(problems))
        messages += [{"role": "assistant", "content": _echo(message)}]
        messages.append(_feedback(message, tool, problems))
    raise invalid_output(role.step, role.model, tally.requests, "; ".join(problems[:10]))


async def _reject(ledger: AILedger | None, answer: Answer) -> None:
    if ledger is not None and answer.row_id is not None:
        await ledger.reject(answer.row_id)


def _log(
    role: Role, message: anthropic.types.Message, latency_ms: int, round_: int, replayed: bool
) -> None:
    # Sizes and timings only: prompts and answers carry the client's personal data. (Keys
    # named "token" would be redacted by sitegen.logging, hence usage_*.)
    u = message.usage
    log.info(
        "ai.request",
        step=role.step,
        model=role.model,
        usage_in=u.input_tokens,
        usage_out=u.output_tokens,
        cache_read=u.cache_read_input_tokens or 0,
        cache_write=u.cache_creation_input_tokens or 0,
        latency_ms=latency_ms,
        stop_reason=message.stop_reason,
        invalid_round=round_,
        # Paid for on an earlier attempt and read back from the ledger, not sent again.
        replayed=replayed,
        activity_attempt=activity.info().attempt if activity.in_activity() else None,
        request_id=getattr(message, "_request_id", None),
    )
