"""A message in the conversation's 'iteration' phase, while the preview is being reviewed:
it becomes a revision request through the same path as POST /projects/{id}/revisions (the
same id for the same key, so a retry by either route is one revision), and the exchange is
kept in the conversation."""

from __future__ import annotations

import math
import uuid

from fastapi import Request
from temporalio.client import Client

from sitegen.api.client_view import revision_source
from sitegen.api.deps import caller_scope, open_session
from sitegen.api.errors import ApiError, Conflict
from sitegen.api.messages import send_update
from sitegen.api.principal import Principal
from sitegen.api.rate_limits import check_ai_allowance, check_new_revision
from sitegen.contracts.conversation import ConversationPhase, TurnReply
from sitegen.contracts.onboarding import Locale
from sitegen.contracts.review import ChangeQueued, RevisionRequested
from sitegen.contracts.revision import MESSAGE_MAX
from sitegen.contracts.status import ProjectStatus, RevisionSource
from sitegen.db import conversations
from sitegen.db.tables import Project
from sitegen.integrations.ai.interview import bank
from sitegen.settings import Settings

# Where a change can still be made: a preview is up and not yet approved.
REVIEWING = (ProjectStatus.PREVIEW_READY, ProjectStatus.IN_REVIEW)
# The model named on replies that are the revision queue's, not an AI's.
QUEUE_MODEL = "revision-queue"


def check_reviewable(project: Project) -> None:
    if project.status not in REVIEWING:
        raise Conflict(
            f"the conversation is in phase 'iteration' and the project is {project.status}: "
            "changes can be asked for while its preview is in review",
            "phase",
        )


def revision_id_for(project_id: uuid.UUID, key: str) -> uuid.UUID:
    # The revisions route's own rule, so both paths name one change the same way.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"sitegen:{project_id}:{key}")


async def ask_for_revision(
    request: Request,
    caller: Principal,
    client: Client,
    settings: Settings,
    project: Project,
    text: str,
    key: str,
) -> TurnReply:
    check_reviewable(project)
    if len(text) > MESSAGE_MAX:
        raise ApiError(422, f"a change request is at most {MESSAGE_MAX} characters", "text")
    async with open_session(request, caller_scope(request)) as session:
        conversation = await conversations.get_conversation(session, project.id)
        stored = (
            await conversations.find_turn(session, conversation.id, key) if conversation else None
        )
        if conversation is None:
            raise Conflict("the project has no conversation", "phase")
        locale = Locale(conversation.locale)
        if stored is not None:
            return _reply(key, stored.assistant.content, replayed=True)
        revision_id = revision_id_for(project.id, key)
        await check_new_revision(
            session, project.id, revision_id, settings.rate_revisions_per_project_day
        )
        await check_ai_allowance(session, project.id, settings.rate_ai_calls_per_project_hour)
        await session.commit()  # the read's transaction ends before waiting on Temporal
    queued = await send_update(
        client,
        project,
        "request_revision",
        RevisionRequested(
            revision_id=revision_id,
            source=revision_source(caller, RevisionSource.CLIENT),
            message=text,
        ),
        ChangeQueued,
        update_id=f"revision-{revision_id}",
    )
    reply = str(bank(locale).MESSAGES["revision_queued"]).format(position=queued.position)
    async with open_session(request, caller_scope(request)) as session, session.begin():
        locked = await conversations.lock_conversation(session, project.id, locale.value)
        stored = await conversations.find_turn(session, locked.id, key)
        if stored is not None:
            return _reply(key, stored.assistant.content, replayed=True)
        await conversations.add_turn(
            session,
            locked,
            conversations.NewTurn(
                idempotency_key=key,
                text=text,
                text_tokens=math.ceil(len(text) / 4),
                reply=reply,
                reply_tokens=0,
                model=QUEUE_MODEL,
            ),
        )
    return _reply(key, reply, replayed=False)


def _reply(key: str, text: str, *, replayed: bool) -> TurnReply:
    return TurnReply(
        idempotency_key=key, reply=text, phase=ConversationPhase.ITERATION, replayed=replayed
    )
