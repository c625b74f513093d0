"""ConversationWorkflow: the discovery conversation of one project (seed 001).

Each client message is an update carrying an idempotency key: answered by the interviewer
activity, one turn at a time, and remembered, so the same key is answered once however
often it is sent (Temporal also deduplicates an update id within a run; the recent answers
are carried across continue-as-new; Postgres refuses a second copy of a stored turn). The
conversation waits as long as the client takes; once the client confirms the plan (the API
has stored the onboarding and started generation by then) it records the phase and ends.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.conversation import ConversationActivities
    from sitegen.contracts.conversation import (
        QUERY_STATE,
        UPDATE_CONFIRM,
        UPDATE_MESSAGE,
        WORKFLOW_NAME,
        ChatTurn,
        ConfirmPlan,
        ConfirmResult,
        ConversationInput,
        ConversationPhase,
        ConversationState,
        ConversationStatus,
        MessageRole,
        PhaseInput,
        SendMessage,
        StateQuery,
        TurnInput,
        TurnReply,
        history_with,
        recent_turns,
    )
    from sitegen.workflows import policies

# A client waits on the reply: a few quick retries, then the API answers 503 and the
# client's retry (same key) finds the turn still being answered, or answered.
REPLY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
    non_retryable_error_types=policies.NON_RETRYABLE,
)
REPLY_TIMEOUT = timedelta(minutes=2)
CONFIRMED = (
    "the conversation is in phase 'iteration': the plan is confirmed and the site is being "
    "built; ask for changes as revisions of the preview"
)
NO_PLAN = (
    "the conversation is in phase 'discovery': there is no plan to confirm yet; keep "
    "answering the questions"
)


@workflow.defn(name=WORKFLOW_NAME)
class ConversationWorkflow:
    @workflow.init
    def __init__(self, start: ConversationInput) -> None:
        self.start = start
        self.state = start.state.model_copy(deep=True)
        # One turn at a time, in the order the messages arrived.
        self.turn = asyncio.Lock()
        self.confirmed = False
        self.loaded = asyncio.Event()

    @workflow.run
    async def run(self, start: ConversationInput) -> ConversationState:
        if start.state.turns == 0 and start.state.phase is ConversationPhase.DISCOVERY:
            # A new run of a conversation Postgres already holds (its earlier run ended):
            # pick it up where it was.
            self.state = await workflow.execute_activity_method(
                ConversationActivities.load_state,
                StateQuery(project_id=start.project_id),
                start_to_close_timeout=policies.QUICK.start_to_close,
                retry_policy=policies.QUICK.retry,
            )
        # A run started for a conversation already confirmed only answers and ends.
        self.confirmed = self.state.phase is ConversationPhase.ITERATION
        self.loaded.set()
        self._say_what_it_waits_for()
        while True:
            await workflow.wait_condition(lambda: self.confirmed or self._time_to_continue())
            await workflow.wait_condition(workflow.all_handlers_finished)
            if self.confirmed:
                return self.state
            workflow.continue_as_new(self.start.model_copy(update={"state": self.state}))

    def _time_to_continue(self) -> bool:
        info = workflow.info()
        limit = self.start.history_limit
        return info.is_continue_as_new_suggested() or (
            limit > 0 and info.get_current_history_length() > limit
        )

    @workflow.update(name=UPDATE_MESSAGE)
    async def send_message(self, message: SendMessage) -> TurnReply:
        await self.loaded.wait()
        async with self.turn:
            for earlier in self.state.recent:
                if earlier.idempotency_key == message.idempotency_key:
                    return earlier.model_copy(update={"replayed": True})
            if self.state.phase is ConversationPhase.ITERATION:
                raise ApplicationError(CONFIRMED, type="ValueError", non_retryable=True)
            out = await workflow.execute_activity_method(
                ConversationActivities.converse,
                TurnInput(
                    project_id=self.start.project_id,
                    conversation_workflow_id=workflow.info().workflow_id,
                    idempotency_key=message.idempotency_key,
                    text=message.text,
                    locale=message.locale or self.state.locale,
                    phase=self.state.phase,
                    draft=self.state.draft,
                    template_id=self.start.template_id,
                    history=self.state.history,
                ),
                start_to_close_timeout=REPLY_TIMEOUT,
                retry_policy=REPLY_RETRY,
                summary="discovery conversation: reply",
            )
            if out.replayed:
                # Stored by a run before this one: the same words, the state as it is.
                reply = TurnReply(
                    idempotency_key=message.idempotency_key,
                    reply=out.reply,
                    phase=self.state.phase,
                    plan=self.state.plan,
                    onboarding=self.state.onboarding,
                    replayed=True,
                )
            else:
                self.state.locale = out.locale
                self.state.phase = out.phase
                self.state.draft = out.draft
                if out.plan is not None:
                    self.state.plan, self.state.onboarding = out.plan, out.onboarding
                self.state.turns += 1
                self.state.history = history_with(
                    self.state.history,
                    ChatTurn(role=MessageRole.USER, content=message.text),
                    ChatTurn(role=MessageRole.ASSISTANT, content=out.reply),
                )
                reply = TurnReply(
                    idempotency_key=message.idempotency_key,
                    reply=out.reply,
                    phase=out.phase,
                    plan=self.state.plan,
                    onboarding=self.state.onboarding,
                    missing=out.missing,
                )
            self.state.recent = recent_turns(self.state, reply)
            self._say_what_it_waits_for()
            return reply

    @send_message.validator
    def _check_message(self, message: SendMessage) -> None:
        # Before the state is loaded the handler checks instead, once it is.
        if self.loaded.is_set() and self.state.phase is ConversationPhase.ITERATION:
            # ValueError: the API's sign of a conflict with the conversation's state.
            raise ValueError(CONFIRMED)

    @workflow.update(name=UPDATE_CONFIRM)
    async def confirm_plan(self, confirm: ConfirmPlan) -> ConfirmResult:
        await self.loaded.wait()
        async with self.turn:
            if self.state.phase is ConversationPhase.DISCOVERY:
                raise ApplicationError(NO_PLAN, type="ValueError", non_retryable=True)
            if not self.confirmed or self.state.phase is not ConversationPhase.ITERATION:
                await workflow.execute_activity_method(
                    ConversationActivities.record_phase,
                    PhaseInput(
                        project_id=self.start.project_id,
                        phase=ConversationPhase.ITERATION,
                        status=ConversationStatus.COMPLETED,
                        onboarding=confirm.onboarding,
                    ),
                    start_to_close_timeout=policies.QUICK.start_to_close,
                    retry_policy=policies.QUICK.retry,
                )
                self.state.phase = ConversationPhase.ITERATION
                self.state.onboarding = confirm.onboarding
                self.confirmed = True
                self._say_what_it_waits_for()
            return ConfirmResult(phase=self.state.phase)

    @confirm_plan.validator
    def _check_confirm(self, confirm: ConfirmPlan) -> None:
        if self.loaded.is_set() and self.state.phase is ConversationPhase.DISCOVERY:
            raise ValueError(NO_PLAN)

    def _say_what_it_waits_for(self) -> None:
        # One line for the Temporal UI; no words of the client's (payloads are encrypted,
        # details are not).
        waiting = {
            ConversationPhase.DISCOVERY: "waiting for the client's next answer",
            ConversationPhase.PLANNING: "plan ready, waiting for the client to confirm it",
            ConversationPhase.ITERATION: "plan confirmed",
        }[self.state.phase]
        workflow.set_current_details(
            f"{self.state.phase.value}: {waiting} ({self.state.turns} turns)"
        )

    @workflow.query(name=QUERY_STATE)
    def current(self) -> ConversationState:
        return self.state
