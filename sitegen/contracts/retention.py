"""Input and output of the retention sweep (activities/ai_retention.py), run by the outbox
sender (workflows/outbox.py)."""

from __future__ import annotations

from pydantic import BaseModel


class SweepInput(BaseModel):
    """How long one sweep may take before it hands back (a local activity: short)."""

    time_budget_seconds: float = 5.0


class SweepOutcome(BaseModel):
    ai_responses_erased: int = 0
    # False: rows are still due (a first sweep after a long time); sweep again soon.
    done: bool = True
