"""The conversation's activities on the session's Postgres: a turn stored once per key; an
attempt whose result was lost (its worker died after storing) answered with the state it
left; an older key a late retry that changes nothing; a run picked up from the rows."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from sitegen.activities.conversation import ConversationActivities
from sitegen.contracts.conversation import (
    ConversationPhase,
    InterviewDraft,
    StateQuery,
    TurnInput,
    TurnOutput,
)
from sitegen.contracts.onboarding import Locale
from sitegen.integrations.ai import OfflineAI
from sitegen.settings import Settings
from tests.api.support import create
from tests.conversation.scripts import EN


def _turn(project_id: str, key: str, text: str, out: TurnOutput | None) -> TurnInput:
    return TurnInput(
        project_id=project_id,
        conversation_workflow_id=f"conversation-{project_id}",
        idempotency_key=key,
        text=text,
        locale=out.locale if out else None,
        phase=out.phase if out else ConversationPhase.DISCOVERY,
        draft=out.draft if out else InterviewDraft(),
        template_id="landing",
    )


async def test_turns_are_stored_once_and_a_lost_result_is_recovered(
    api: httpx.AsyncClient, sessions: Any, settings: Settings
) -> None:
    project = (await create(api))["id"]
    acts = ConversationActivities(sessions, OfflineAI(), settings.templates_dir)
    first = await acts.converse(_turn(project, "k1", EN[0], None))
    assert first.locale is Locale.EN and not first.replayed and first.draft.name
    second = await acts.converse(_turn(project, "k2", EN[1], first))
    # The same turn again, as a retried attempt would: the last one stored, so its state.
    lost = await acts.converse(_turn(project, "k2", EN[1], first))
    assert not lost.replayed and lost.reply == second.reply
    assert (
        lost.draft.audience
        == second.draft.audience
        == "locals, families and visitors to the seafront"
    )
    # An older key: the same words, and no state to take up.
    late = await acts.converse(_turn(project, "k1", EN[0], second))
    assert late.replayed and late.reply == first.reply and late.draft == second.draft
    state = await acts.load_state(StateQuery(project_id=project))
    assert state.turns == 2 and state.phase is ConversationPhase.DISCOVERY
    assert state.draft.audience == second.draft.audience
    assert [t.content for t in state.history] == [EN[0], first.reply, EN[1], second.reply]
    # Nothing of another project's: a fresh one starts empty.
    other = (await create(api))["id"]
    assert (await acts.load_state(StateQuery(project_id=other))).turns == 0
    unknown = str(uuid.uuid4())
    assert (await acts.load_state(StateQuery(project_id=unknown))).turns == 0
