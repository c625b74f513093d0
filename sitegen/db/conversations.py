"""Queries of the discovery conversation: one conversation per project, its messages in
order, and each client turn stored once per idempotency key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.contracts.conversation import ConversationPhase, ConversationStatus, MessageRole
from sitegen.db.tables import Conversation, ConversationMessage


@dataclass(frozen=True)
class StoredTurn:
    user: ConversationMessage
    assistant: ConversationMessage


@dataclass(frozen=True)
class NewTurn:
    idempotency_key: str
    text: str
    text_tokens: int
    reply: str
    reply_tokens: int
    model: str


async def get_conversation(session: AsyncSession, project_id: uuid.UUID) -> Conversation | None:
    found = await session.exec(select(Conversation).where(Conversation.project_id == project_id))
    return found.first()


async def lock_conversation(
    session: AsyncSession, project_id: uuid.UUID, locale: str
) -> Conversation:
    """The project's conversation, made if it is the first turn, locked for this transaction
    so two attempts of one turn store it once."""
    await session.execute(
        insert(Conversation)
        .values(
            project_id=project_id,
            phase=ConversationPhase.DISCOVERY.value,
            status=ConversationStatus.ACTIVE.value,
            locale=locale,
        )
        .on_conflict_do_nothing(index_elements=["project_id"])
    )
    found = await session.exec(
        select(Conversation).where(Conversation.project_id == project_id).with_for_update()
    )
    return found.one()


async def find_turn(
    session: AsyncSession, conversation_id: uuid.UUID, key: str
) -> StoredTurn | None:
    found = await session.exec(
        select(ConversationMessage).where(
            ConversationMessage.conversation_id == conversation_id,
            ConversationMessage.idempotency_key == key,
        )
    )
    rows = {m.role: m for m in found.all()}
    user, assistant = rows.get(MessageRole.USER.value), rows.get(MessageRole.ASSISTANT.value)
    if user is None or assistant is None:
        return None
    return StoredTurn(user=user, assistant=assistant)


async def last_seq(session: AsyncSession, conversation_id: uuid.UUID) -> int:
    last = await session.exec(
        select(func.coalesce(func.max(ConversationMessage.seq), 0)).where(
            ConversationMessage.conversation_id == conversation_id
        )
    )
    return int(last.one())


async def add_turn(session: AsyncSession, conversation: Conversation, turn: NewTurn) -> StoredTurn:
    """The client's message and the reply, one after the other, at the end."""
    seq = await last_seq(session, conversation.id)
    user = ConversationMessage(
        conversation_id=conversation.id,
        project_id=conversation.project_id,
        seq=seq + 1,
        role=MessageRole.USER.value,
        content=turn.text,
        token_count=turn.text_tokens,
        idempotency_key=turn.idempotency_key,
    )
    assistant = ConversationMessage(
        conversation_id=conversation.id,
        project_id=conversation.project_id,
        seq=seq + 2,
        role=MessageRole.ASSISTANT.value,
        content=turn.reply,
        token_count=turn.reply_tokens,
        model=turn.model,
        idempotency_key=turn.idempotency_key,
    )
    session.add_all([user, assistant])
    await session.flush()
    return StoredTurn(user=user, assistant=assistant)


def update_state(
    conversation: Conversation,
    *,
    phase: ConversationPhase,
    status: ConversationStatus,
    locale: str | None = None,
    plan: dict[str, Any] | None = None,
    onboarding: dict[str, Any] | None = None,
) -> None:
    conversation.phase = phase.value
    conversation.status = status.value
    if locale is not None:
        conversation.locale = locale
    if plan is not None:
        conversation.plan = plan
    if onboarding is not None:
        conversation.onboarding = onboarding


async def messages(
    session: AsyncSession, conversation_id: uuid.UUID, limit: int = 500
) -> list[ConversationMessage]:
    """The last `limit` messages, oldest first."""
    found = await session.exec(
        select(ConversationMessage)
        .where(ConversationMessage.conversation_id == conversation_id)
        .order_by(col(ConversationMessage.seq).desc())
        .limit(limit)
    )
    return list(reversed(found.all()))


async def count_turns(session: AsyncSession, conversation_id: uuid.UUID) -> int:
    found = await session.exec(
        select(func.count()).where(
            ConversationMessage.conversation_id == conversation_id,
            ConversationMessage.role == MessageRole.USER.value,
        )
    )
    return int(found.one())
