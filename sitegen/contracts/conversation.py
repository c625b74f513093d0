"""The discovery conversation (seed 001): a chat that fills in the onboarding for a client
who would rather talk than fill in a form.

One conversation workflow per project; each client message is an update carrying an
idempotency key, answered by an interviewer activity; when the interview has enough it
returns a business plan and a prefilled onboarding, which the client confirms or corrects.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from sitegen.contracts.onboarding import Locale, Tone, storable
from sitegen.contracts.site import AIUsage

WORKFLOW_NAME = "ConversationWorkflow"
UPDATE_MESSAGE = "send_message"
UPDATE_CONFIRM = "confirm_plan"
QUERY_STATE = "state"
# The longest message a client may send; a longer one is refused before it reaches the AI.
MAX_MESSAGE_CHARS = 4000
# Turns remembered across continue-as-new, so a late retry of one is still answered once.
RECENT_TURNS = 20

IdempotencyKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._:-]{1,100}$")
]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
]


def workflow_id_for(project_id: object) -> str:
    """One conversation per project: a second start finds the first."""
    return f"conversation-{project_id}"


class ConversationPhase(StrEnum):
    DISCOVERY = "discovery"  # the interview: learning about the business
    PLANNING = "planning"  # the plan is ready, waiting for the client's confirmation
    ITERATION = "iteration"  # confirmed: the site is built; changes are revisions


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlannedService(_Model):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=500)
    price: str | None = Field(default=None, max_length=40)


class TargetAudience(_Model):
    primary: str = Field(min_length=1, max_length=500)
    pain_points: list[str] = Field(default_factory=list, max_length=8)


class BusinessPlan(_Model):
    """What the interview understood, in the shape seed 001 gives a business plan."""

    name: str = Field(min_length=1, max_length=120)
    tagline: str = Field(max_length=160)
    description: str = Field(min_length=1, max_length=4000)
    audience: TargetAudience
    services: list[PlannedService] = Field(min_length=1, max_length=12)
    tone: Tone
    pages: list[str] = Field(min_length=1, max_length=10)


class InterviewDraft(_Model):
    """What the interview has learnt so far; every field may still be missing."""

    name: str | None = Field(default=None, max_length=120)
    industry: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=4000)
    city: str | None = Field(default=None, max_length=120)
    audience: str | None = Field(default=None, max_length=500)
    pains: list[str] = Field(default_factory=list, max_length=8)
    services: list[PlannedService] = Field(default_factory=list, max_length=12)
    tone: Tone | None = None
    primary_color: str | None = Field(default=None, max_length=7)
    secondary_color: str | None = Field(default=None, max_length=7)
    pages: list[str] = Field(default_factory=list, max_length=10)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    # Topics already asked about: one asked and left unanswered gets a default, not a nag.
    asked: list[str] = Field(default_factory=list, max_length=40)
    # The topics of the question last asked: the answer is read with them in mind.
    last_asked: list[str] = Field(default_factory=list, max_length=2)


class ChatTurn(_Model):
    role: MessageRole
    content: str


class InterviewAsk(_Model):
    """One client message to the interviewer, with what the interview knows already."""

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    locale: Locale
    phase: ConversationPhase
    draft: InterviewDraft
    template_id: str
    # The template's pages a conversation may choose (those needing no extra lists).
    pages_offered: list[str]
    # The last turns, for an interviewer that reads context (the offline one needs none).
    history: list[ChatTurn] = Field(default_factory=list, max_length=40)


class InterviewReply(_Model):
    reply: str = Field(min_length=1, max_length=4000)
    draft: InterviewDraft
    # Both set once the interview has enough; the onboarding is `Onboarding`'s JSON.
    plan: BusinessPlan | None = None
    onboarding: dict[str, Any] | None = None
    # What is still missing, as topic names (for the client and for tests).
    missing: list[str] = Field(default_factory=list)


class InterviewResult(_Model):
    artifact: InterviewReply
    usage: AIUsage


class SendMessage(_Model):
    """The update a client message is: answered once per idempotency key."""

    text: MessageText
    idempotency_key: IdempotencyKey
    # The client's language, when it says so; otherwise read from the first message.
    locale: Locale | None = None

    _storable = field_validator("text", mode="before")(storable)


class TurnReply(_Model):
    idempotency_key: str
    reply: str
    phase: ConversationPhase
    plan: BusinessPlan | None = None
    onboarding: dict[str, Any] | None = None
    missing: list[str] = Field(default_factory=list)
    # True when this key had been answered before: the same answer, nothing stored again.
    replayed: bool = False


class ConfirmPlan(_Model):
    """The client confirmed (and possibly corrected) the plan; the onboarding is stored and
    generation started by the API before the conversation hears of it."""

    onboarding: dict[str, Any]


class ConfirmResult(_Model):
    phase: ConversationPhase


class ConversationState(_Model):
    """The workflow's memory, carried whole across continue-as-new."""

    phase: ConversationPhase = ConversationPhase.DISCOVERY
    locale: Locale | None = None
    draft: InterviewDraft = Field(default_factory=InterviewDraft)
    plan: BusinessPlan | None = None
    onboarding: dict[str, Any] | None = None
    turns: int = 0
    recent: list[TurnReply] = Field(default_factory=list, max_length=RECENT_TURNS)
    history: list[ChatTurn] = Field(default_factory=list, max_length=40)


class ConversationInput(_Model):
    project_id: str
    template_id: str
    # Continue-as-new once the run's history has this many events (0: when Temporal
    # suggests it).
    history_limit: int = Field(default=0, ge=0)
    state: ConversationState = Field(default_factory=ConversationState)


class TurnInput(_Model):
    """The interviewer activity's input: one message, and the interview so far."""

    project_id: str
    conversation_workflow_id: str
    idempotency_key: str
    text: str
    locale: Locale | None
    phase: ConversationPhase
    draft: InterviewDraft
    template_id: str
    history: list[ChatTurn] = Field(default_factory=list)


class TurnOutput(_Model):
    reply: str
    locale: Locale
    phase: ConversationPhase
    draft: InterviewDraft
    plan: BusinessPlan | None = None
    onboarding: dict[str, Any] | None = None
    missing: list[str] = Field(default_factory=list)
    # The key was stored already (an earlier attempt, or a run before continue-as-new).
    replayed: bool = False


class PhaseInput(_Model):
    project_id: str
    phase: ConversationPhase
    status: ConversationStatus
    onboarding: dict[str, Any] | None = None


class PhaseOutput(_Model):
    changed: bool


class StateQuery(_Model):
    project_id: str


def draft_from_onboarding(form: dict[str, Any]) -> InterviewDraft:
    """The draft a prefilled (or stored) onboarding stands for: how a conversation resumed
    from Postgres in the planning phase gets its draft back."""
    business, style = form.get("business", {}), form.get("style", {})
    audience = form.get("audience", {})
    return InterviewDraft(
        name=business.get("name"),
        industry=business.get("industry"),
        description=business.get("description"),
        city=business.get("city"),
        audience=audience.get("description"),
        pains=audience.get("pains", []),
        services=[PlannedService.model_validate(s) for s in form.get("services", [])],
        tone=style.get("tone"),
        primary_color=style.get("primary_color"),
        secondary_color=style.get("secondary_color"),
        pages=form.get("pages", []),
        phone=business.get("phone"),
        email=business.get("email"),
        asked=["business", "place", "audience", "services", "style", "contact", "pages"],
    )


def recent_turns(state: ConversationState, reply: TurnReply) -> list[TurnReply]:
    """The recent answers with `reply` last, the oldest forgotten past RECENT_TURNS."""
    kept = [r for r in state.recent if r.idempotency_key != reply.idempotency_key]
    return [*kept, reply][-RECENT_TURNS:]


def history_with(history: list[ChatTurn], *turns: ChatTurn, keep: int = 12) -> list[ChatTurn]:
    return [*history, *turns][-keep:]
