"""When and how urgently an order runs: its priority and an optional later start."""

from __future__ import annotations

from enum import StrEnum


class OrderPriority(StrEnum):
    NORMAL = "normal"
    RUSH = "rush"


# Temporal's task priority: 1 is the most urgent, 5 the least, unset reads as 3. Activities
# and workflow tasks inherit their run's key, so a rush run is served first all the way
# through whenever the workers have a backlog.
RUSH_PRIORITY_KEY = 1


def priority_key(priority: str) -> int | None:
    """The key a run of this priority starts with; None leaves Temporal's default."""
    return RUSH_PRIORITY_KEY if priority == OrderPriority.RUSH else None
