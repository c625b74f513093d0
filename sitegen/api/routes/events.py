"""A project's live progress as server-sent events: every change of a step, of the project's
status and of a revision, in order, each with its id, so a reader that reconnects with
`Last-Event-ID` resumes where it left off. Read from the events Postgres writes (never by
asking Temporal per reader); a stream ends after SITEGEN_EVENTS_STREAM_SECONDS and the
browser's EventSource reconnects by itself."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from sitegen.api.deps import SessionDep, SettingsDep, caller_scope, open_session, project_or_404
from sitegen.db.events import EventCursor, cursor_of, events_after
from sitegen.db.tables import ProjectEvent
from sitegen.db.tenancy import Scope

router = APIRouter(tags=["events"])
KEEP_ALIVE_SECONDS = 15


def _frame(event: ProjectEvent) -> str:
    return f"id: {cursor_of(event)}\nevent: {event.kind}\ndata: {json.dumps(event.data)}\n\n"


async def _stream(
    request: Request,
    scope: Scope,
    project_id: uuid.UUID,
    cursor: EventCursor,
    follow: bool,
    poll: float,
    lifetime: float,
) -> AsyncIterator[str]:
    # Tells EventSource how long to wait before it reconnects when a stream ends.
    yield f"retry: {int(poll * 1000)}\n\n"
    ends = time.monotonic() + lifetime
    quiet = 0.0
    while True:
        async with open_session(request, scope) as session:
            batch = await events_after(session, project_id, cursor)
        for event in batch:
            cursor = cursor_of(event)
            yield _frame(event)
        if batch:
            quiet = 0.0
            continue  # there may be more
        if not follow or time.monotonic() >= ends or await request.is_disconnected():
            return
        await asyncio.sleep(poll)
        quiet += poll
        if quiet >= KEEP_ALIVE_SECONDS:  # a comment, so proxies keep the connection
            quiet = 0.0
            yield ": still here\n\n"


@router.get(
    "/projects/{project_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text/event-stream: `step`, `status` and `revision` events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        404: {"description": "Unknown project"},
        422: {"description": "Invalid input"},
    },
)
async def project_events(
    project_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=41, description="Resume after this event."),
    ] = None,
    after: Annotated[
        str | None, Query(max_length=41, description="Resume after this event's id.")
    ] = None,
    follow: Annotated[
        bool, Query(description="Keep the stream open for new events (false: what is there).")
    ] = True,
) -> StreamingResponse:
    await project_or_404(session, project_id)
    cursor = EventCursor.parse(last_event_id or after)
    return StreamingResponse(
        _stream(
            request,
            caller_scope(request),
            project_id,
            cursor,
            follow,
            settings.events_poll_seconds,
            settings.events_stream_seconds,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
