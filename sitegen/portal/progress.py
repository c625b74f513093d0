"""A project's steps in the client's words, with the share of the first build that is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sitegen.contracts.pipeline import PIPELINE_STEPS, StepKey

_DONE = ("success", "skipped")
# Once a preview exists, the first build is complete whatever its rows say.
_BUILT = ("preview_ready", "in_review", "approved", "delivered")


@dataclass(frozen=True)
class StepLine:
    key: str
    state: str


@dataclass(frozen=True)
class Progress:
    percent: int
    lines: list[StepLine]
    active: bool  # more may happen: the page listens for events


def progress(status: str, steps: list[dict[str, Any]]) -> Progress:
    recorded = {s["step_key"]: s["status"] for s in steps}
    first = [StepLine(k.value, recorded.get(k.value, "queued")) for k in PIPELINE_STEPS]
    later = [
        StepLine(s["step_key"], s["status"])
        for s in steps
        if s["step_key"] in StepKey.__members__.values()
        and StepKey(s["step_key"]) not in PIPELINE_STEPS
    ]
    done = sum(line.state in _DONE for line in first)
    percent = 100 if status in _BUILT else round(100 * done / len(first))
    active = status not in ("delivered", "cancelled")
    return Progress(percent, first + later, active)
