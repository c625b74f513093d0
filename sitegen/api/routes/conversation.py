"""The discovery conversation (`/projects/{id}/conversation`): a client who would rather talk
than fill in the onboarding form chats with the interviewer, gets a business plan and a
prefilled onboarding, and confirms it, which submits the onboarding and starts generation
as the form does.

A message is answered as server-sent events when the client asks for `text/event-stream`
(`text` chunks of the reply, `plan_ready` once there is a plan, then `done`; `error` if
the answer could not be had), else as one JSON body. The reply is whole when the
conversation's update returns, so the chunks follow one another at once: the stream is
the shape a streaming model would fill, not a slower answer.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from temporalio.service import RPCError

from sitegen.api import conversation_client
from sitegen.api.conversation_revisions import ask_for_revision, check_reviewable
from sitegen.api.conversation_schemas import (
    ConfirmIn,
    ConfirmOut,
    ConversationPublic,
    MessageIn,
    MessagePublic,
)
from sitegen.api.deps import (
    SessionDep,
    SettingsDep,
    TemporalDep,
    caller_scope,
    get_temporal,
    project_or_404,
)
from sitegen.api.errors import ApiError, Conflict, Unavailable
from sitegen.api.generation import start_generation
from sitegen.api.onboarding_forms import ONBOARDING_OPEN, store_onboarding
from sitegen.api.principal import CallerDep
from sitegen.api.rate_limits import check_ai_allowance
from sitegen.contracts.conversation import (
    BusinessPlan,
    ConfirmPlan,
    ConversationPhase,
    ConversationStatus,
    MessageRole,
    SendMessage,
    TurnReply,
)
from sitegen.contracts.onboarding import Locale
from sitegen.contracts.status import ProjectStatus
from sitegen.db import conversations, queries
from sitegen.db.tables import Project

router = APIRouter(tags=["conversation"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "The conversation's phase (or the project's) does not allow it"},
    422: {"description": "Invalid input: each error names its field and reason"},
    429: {"description": "The project used its hour of AI calls; see Retry-After"},
    503: {"description": "Temporal unreachable, or the reply could not be had: send it again"},
}
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_STREAM = "text/event-stream"
# A sentence and the space after it; a stop inside a number ("£8.50") ends nothing.
_PIECE = re.compile(r"(?:[^.!?\n]|[.!?]+(?=[^\s.!?]))*(?:[.!?]+(?:\s+|$)|\n+|$)")


class _BadKey(ApiError):
    def __init__(self) -> None:
        super().__init__(
            422, "1 to 100 letters, digits or . _ : - (a UUID will do)", "Idempotency-Key"
        )


async def _project(project_id: uuid.UUID, session: SessionDep) -> Project:
    # A dependency, so a project the caller cannot see is a 404 before the body is read:
    # what is sent to another customer's project never says more than that it is not there.
    return await project_or_404(session, project_id)


ProjectDep = Annotated[Project, Depends(_project)]


def _open_for_talk(project: Project) -> None:
    if project.status != ProjectStatus.PENDING:
        raise Conflict(
            f"the project is {project.status}: its onboarding was already submitted, so the "
            "conversation is closed",
            "phase",
        )


@router.post(
    "/projects/{project_id}/conversation/messages",
    response_model=TurnReply,
    responses={**_ERRORS, 200: {"content": {_STREAM: {}}}},
)
async def send_message(
    project_id: uuid.UUID,
    project: ProjectDep,
    body: MessageIn,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Send the same key again (a retry) and the message is answered once.",
        ),
    ] = None,
) -> Any:
    """Send the client's message; the interviewer answers with questions, and with the
    business plan once it has enough. Once the plan is confirmed and the preview is up
    (phase 'iteration'), a message is a change request to the preview."""
    key = idempotency_key.strip() if idempotency_key is not None else str(uuid.uuid4())
    if not _KEY.match(key):
        raise _BadKey()
    conversation = await conversations.get_conversation(session, project_id)
    iterating = conversation is not None and conversation.phase == ConversationPhase.ITERATION
    if iterating:
        check_reviewable(project)
    else:
        _open_for_talk(project)
        await check_ai_allowance(session, project_id, settings.rate_ai_calls_per_project_hour)
    await session.commit()  # the read's transaction ends before waiting on Temporal
    message = SendMessage(text=body.text, idempotency_key=key, locale=body.locale)
    client = await get_temporal(request)

    async def answer() -> TurnReply:
        if iterating:
            return await ask_for_revision(
                request, caller, client, settings, project, body.text, key
            )
        return await conversation_client.send_message(client, settings, project, message)

    if _STREAM not in request.headers.get("accept", ""):
        return await answer()

    async def events() -> AsyncIterator[str]:
        try:
            reply = await answer()
        except ApiError as exc:
            yield _event("error", {"error": exc.message, "status": exc.status})
            return
        for chunk in _chunks(reply.reply):
            yield _event("text", {"content": chunk})
        if reply.plan is not None:
            yield _event(
                "plan_ready",
                {"plan": reply.plan.model_dump(mode="json"), "onboarding": reply.onboarding},
            )
        yield _event(
            "done",
            {
                "idempotency_key": reply.idempotency_key,
                "phase": reply.phase.value,
                "missing": reply.missing,
                "replayed": reply.replayed,
            },
        )

    return StreamingResponse(
        events(),
        media_type=_STREAM,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _chunks(text: str) -> list[str]:
    """The reply in sentence-sized pieces, each with its trailing space or line break, so
    the pieces joined are the reply."""
    return [c for c in _PIECE.findall(text) if c] or [text]


@router.get(
    "/projects/{project_id}/conversation", response_model=ConversationPublic, responses=_ERRORS
)
async def get_conversation(
    project_id: uuid.UUID, project: ProjectDep, session: SessionDep
) -> ConversationPublic:
    """The conversation: its phase, every message in order, and the plan and prefilled
    onboarding once there is one. A project nobody has talked about yet has none."""
    conversation = await conversations.get_conversation(session, project_id)
    if conversation is None:
        return ConversationPublic(
            project_id=project_id,
            phase=ConversationPhase.DISCOVERY,
            status=ConversationStatus.ACTIVE,
            locale=None,
            messages=[],
        )
    phase = ConversationPhase(conversation.phase)
    rows = await conversations.messages(session, conversation.id)
    return ConversationPublic(
        project_id=project_id,
        phase=phase,
        status=ConversationStatus(conversation.status),
        locale=Locale(conversation.locale),
        messages=[
            MessagePublic(
                seq=m.seq,
                role=MessageRole(m.role),
                content=m.content,
                token_count=m.token_count,
                model=m.model,
                created_at=m.created_at,
            )
            for m in rows
        ],
        plan=BusinessPlan.model_validate(conversation.plan) if conversation.plan else None,
        # While the interview runs the row holds its draft, which is not a form yet.
        onboarding=conversation.onboarding if phase is not ConversationPhase.DISCOVERY else None,
    )


@router.post(
    "/projects/{project_id}/conversation/confirm",
    response_model=ConfirmOut,
    responses=_ERRORS,
)
async def confirm(
    project_id: uuid.UUID,
    project: ProjectDep,
    body: ConfirmIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalDep,
) -> ConfirmOut:
    """Confirm the plan with the prefilled onboarding, or the client's corrected one: it is
    checked and stored as the onboarding form is (a 422 names every problem), generation
    starts, and the conversation moves to its 'iteration' phase. Sent again, it changes
    nothing twice."""
    conversation = await conversations.get_conversation(session, project_id)
    if conversation is None or conversation.phase == ConversationPhase.DISCOVERY:
        raise Conflict(
            "the conversation is in phase 'discovery': there is no plan to confirm yet",
            "phase",
        )
    if conversation.phase == ConversationPhase.ITERATION:
        return ConfirmOut(
            project_id=project_id,
            phase=ConversationPhase.ITERATION,
            submission_id=None,
            generation_started=False,
        )
    form = body.onboarding if body.onboarding is not None else conversation.onboarding
    await session.commit()
    submission_id, started = None, False
    # A confirmation cut short after the form was stored and the run started: only the
    # conversation is left to tell.
    if project.status in ONBOARDING_OPEN:
        try:
            accepted, project = await store_onboarding(
                request, caller_scope(request), project_id, form
            )
        except RequestValidationError as exc:
            raise _under_onboarding(exc) if body.onboarding is not None else exc from None
        submission_id = accepted.submission_id
        started = await _start_generation(session, project, client, settings)
    stored = await queries.get_onboarding(session, project_id)
    await session.commit()
    if stored is None:
        raise Conflict(f"the project is {project.status}: it takes no onboarding now", "phase")
    done = await conversation_client.confirm(
        client, settings, project, ConfirmPlan(onboarding=stored.raw_data)
    )
    return ConfirmOut(
        project_id=project_id,
        phase=done.phase,
        submission_id=submission_id or stored.id,
        generation_started=started,
    )


def _under_onboarding(exc: RequestValidationError) -> RequestValidationError:
    """The form's problems named where the client put the form: `onboarding.business.email`."""
    return RequestValidationError(
        [{**e, "loc": ("body", "onboarding", *e["loc"][1:])} for e in exc.errors()]
    )


async def _start_generation(
    session: SessionDep, project: Project, client: TemporalDep, settings: SettingsDep
) -> bool:
    """Generation starts as it does from the onboarding link: under the project's row lock
    (a cancel waits), once; a 503 if it cannot start now (the form stays stored)."""
    if project.status != ProjectStatus.PENDING:
        return False
    locked = await queries.get_project_for_update(session, project.id)
    try:
        if locked is None or locked.status == ProjectStatus.CANCELLED:
            raise Conflict("the project is cancelled")
        first_version = await queries.next_version_number(session, project.id)
        started = await start_generation(client, locked, settings, first_version)
        return not started.already_running
    except RPCError:
        raise Unavailable(
            "the onboarding is stored, but building could not start just now: confirm again"
        ) from None
    finally:
        await session.rollback()  # nothing written here: the lock goes
