"""The discovery conversation's side effects: one client turn answered by the interviewer
and stored (the message and the reply, once per idempotency key), and the phase recorded
when the client confirms. The workflow decides the flow; these only do and record."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from sitegen.activities.support import Sessions, bad_input, classify, template_for
from sitegen.contracts.conversation import (
    BusinessPlan,
    ChatTurn,
    ConversationPhase,
    ConversationState,
    ConversationStatus,
    InterviewAsk,
    InterviewDraft,
    MessageRole,
    PhaseInput,
    PhaseOutput,
    StateQuery,
    TurnInput,
    TurnOutput,
    draft_from_onboarding,
)
from sitegen.contracts.onboarding import Locale
from sitegen.db import conversations, queries
from sitegen.db.conversations import StoredTurn
from sitegen.db.tables import Conversation, Customer
from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.ai.interview_parse import guess_locale
from sitegen.integrations.ai.ledger import CallScope, call_scope
from sitegen.templates_registry import TemplateManifest

# The cost ledger's step name for the conversation's AI calls.
LEDGER_STEP = "conversation"


def offered_pages(template: TemplateManifest) -> list[str]:
    """Pages a conversation may choose: those that need no lists the interview never asks
    for (a pricing page needs price plans; a portfolio needs projects)."""
    return [p.id for p in template.pages if not p.needs]


class ConversationActivities:
    def __init__(self, sessions: Sessions, ai: SiteAI, templates_dir: Path) -> None:
        self.sessions = sessions
        self.ai = ai
        self.templates_dir = templates_dir

    @activity.defn
    async def converse(self, turn: TurnInput) -> TurnOutput:
        try:
            return await self._converse(turn)
        except Exception as exc:
            raise classify(exc) from exc

    async def _converse(self, turn: TurnInput) -> TurnOutput:
        project_id = uuid.UUID(turn.project_id)
        async with self.sessions() as session:
            project = await queries.get_project(session, project_id)
            if project is None:
                raise bad_input("ProjectNotFound", f"no project {project_id}")
            customer = await session.get(Customer, project.customer_id)
            conversation = await conversations.get_conversation(session, project_id)
            if conversation is not None:
                stored = await conversations.find_turn(
                    session, conversation.id, turn.idempotency_key
                )
                if stored is not None:
                    return await _answered(session, conversation, stored, turn)
        locale = turn.locale or guess_locale(turn.text)
        draft = _with_contacts(turn.draft, customer)
        template = await template_for(self.templates_dir, turn.template_id)
        ask = InterviewAsk(
            message=turn.text,
            locale=locale,
            phase=turn.phase,
            draft=draft,
            template_id=turn.template_id,
            pages_offered=offered_pages(template),
            history=turn.history,
        )
        with call_scope(_ledger_scope(project_id, turn)):
            result = await self.ai.interview(ask)
        reply = result.artifact
        phase = ConversationPhase.PLANNING if reply.plan is not None else turn.phase
        async with self.sessions() as session, session.begin():
            conversation = await conversations.lock_conversation(session, project_id, locale)
            stored = await conversations.find_turn(session, conversation.id, turn.idempotency_key)
            if stored is not None:
                # Another attempt stored this turn meanwhile: its answer is the answer.
                return await _answered(session, conversation, stored, turn)
            await conversations.add_turn(
                session,
                conversation,
                conversations.NewTurn(
                    idempotency_key=turn.idempotency_key,
                    text=turn.text,
                    # The message's own size (the request's tokens include the context).
                    text_tokens=math.ceil(len(turn.text) / 4),
                    reply=reply.reply,
                    reply_tokens=result.usage.output_tokens,
                    model=result.usage.model,
                ),
            )
            conversations.update_state(
                conversation,
                phase=phase,
                status=ConversationStatus.ACTIVE,
                locale=locale.value,
                plan=reply.plan.model_dump(mode="json") if reply.plan else None,
                onboarding=_stored_form(phase, reply.onboarding, reply.draft),
            )
            session.add(conversation)
        return TurnOutput(
            reply=reply.reply,
            locale=locale,
            phase=phase,
            draft=reply.draft,
            plan=reply.plan,
            onboarding=reply.onboarding,
            missing=reply.missing,
        )

    @activity.defn
    async def load_state(self, query: StateQuery) -> ConversationState:
        """What Postgres holds of the conversation: how a new run picks up one that ended
        (terminated by an operator, say) without losing a message."""
        project_id = uuid.UUID(query.project_id)
        try:
            async with self.sessions() as session:
                conversation = await conversations.get_conversation(session, project_id)
                if conversation is None:
                    return ConversationState()
                turns = await conversations.count_turns(session, conversation.id)
                recent = await conversations.messages(session, conversation.id, limit=12)
        except Exception as exc:
            raise classify(exc) from exc
        phase, draft, plan, onboarding = _row_state(conversation)
        return ConversationState(
            phase=phase,
            locale=Locale(conversation.locale),
            draft=draft,
            plan=plan,
            onboarding=onboarding,
            turns=turns,
            history=[ChatTurn(role=MessageRole(m.role), content=m.content) for m in recent],
        )

    @activity.defn
    async def record_phase(self, change: PhaseInput) -> PhaseOutput:
        """The conversation's phase and status; the same change twice changes nothing."""
        project_id = uuid.UUID(change.project_id)
        try:
            async with self.sessions() as session, session.begin():
                conversation = await conversations.get_conversation(session, project_id)
                if conversation is None:
                    return PhaseOutput(changed=False)
                same = (conversation.phase, conversation.status) == (
                    change.phase.value,
                    change.status.value,
                )
                conversations.update_state(
                    conversation,
                    phase=change.phase,
                    status=change.status,
                    onboarding=change.onboarding,
                )
                session.add(conversation)
                return PhaseOutput(changed=not same)
        except Exception as exc:
            raise classify(exc) from exc


def _row_state(
    conversation: Conversation,
) -> tuple[ConversationPhase, InterviewDraft, BusinessPlan | None, dict[str, Any] | None]:
    """The interview as the row holds it: the draft while it runs, the form once planned."""
    phase = ConversationPhase(conversation.phase)
    stored = conversation.onboarding or {}
    plan = BusinessPlan.model_validate(conversation.plan) if conversation.plan else None
    if phase is ConversationPhase.DISCOVERY:
        return (
            phase,
            InterviewDraft.model_validate(stored) if stored else InterviewDraft(),
            plan,
            None,
        )
    return phase, draft_from_onboarding(stored), plan, stored


async def _answered(
    session: AsyncSession, conversation: Conversation, stored: StoredTurn, turn: TurnInput
) -> TurnOutput:
    """A turn Postgres holds already. The conversation's last one is an attempt whose result
    was lost (its worker died after storing it): answered with the state it left, so the
    workflow takes it up. An older one is a late retry: the same words, nothing changed."""
    if await conversations.last_seq(session, conversation.id) != stored.assistant.seq:
        return TurnOutput(
            reply=stored.assistant.content,
            locale=Locale(conversation.locale),
            phase=ConversationPhase(conversation.phase),
            draft=turn.draft,
            replayed=True,
        )
    phase, draft, plan, onboarding = _row_state(conversation)
    return TurnOutput(
        reply=stored.assistant.content,
        locale=Locale(conversation.locale),
        phase=phase,
        draft=draft,
        plan=plan,
        onboarding=onboarding,
    )


def _stored_form(
    phase: ConversationPhase, form: dict[str, object] | None, draft: InterviewDraft
) -> dict[str, object] | None:
    """What the row keeps as `onboarding`: the draft while the interview runs, then the
    prefilled form; a correction the form refused (no new form) leaves the last one."""
    if form is not None:
        return form
    return draft.model_dump(mode="json") if phase is ConversationPhase.DISCOVERY else None


def _with_contacts(draft: InterviewDraft, customer: Customer | None) -> InterviewDraft:
    """The order's own phone and e-mail, until the client gives the site's."""
    if customer is None:
        return draft
    return draft.model_copy(
        update={"phone": draft.phone or customer.phone, "email": draft.email or customer.email}
    )


def _ledger_scope(project_id: uuid.UUID, turn: TurnInput) -> CallScope:
    # Keyed by the conversation and the turn's idempotency key, not the run: a turn retried
    # after continue-as-new is paid for once.
    attempt = activity.info().attempt if activity.in_activity() else 1
    prefix = f"{turn.conversation_workflow_id}/{turn.idempotency_key}"
    return CallScope(project_id, LEDGER_STEP, attempt, prefix)
