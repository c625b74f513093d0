"""Fault injection for the chaos suite.

With `SITEGEN_FAILPOINT=<name>` in its environment, a worker process kills itself (SIGKILL:
no cleanup, no goodbye) the first time it passes the point of that name: right after a side
effect, before the activity can report it. That is the moment a retry must find its own
earlier work instead of doing it again. Unset (always, outside the chaos suite), every point
is a no-op costing one string comparison.
"""

from __future__ import annotations

import os
import signal

# Read once: the point a process is armed with never changes while it runs.
_ARMED = os.environ.get("SITEGEN_FAILPOINT", "")

# The points, and where they are: after a commit, in the middle of a build, after a deploy
# went live, after a notification was queued, after the merge to main.
AFTER_COMMIT = "after_commit"
DURING_BUILD = "during_build"
AFTER_DEPLOY = "after_deploy"
AFTER_NOTIFICATION = "after_notification"
AFTER_MERGE = "after_merge"
POINTS = (AFTER_COMMIT, DURING_BUILD, AFTER_DEPLOY, AFTER_NOTIFICATION, AFTER_MERGE)
# After the outbox sender handed a message to its channel, before sent_at is committed (the
# receiver gets it again: same Message-ID). Not in POINTS: the chaos scenario does not
# wait for mail, so it would never pass it.
AFTER_SEND = "after_send"
# After a paid AI call was recorded in the cost ledger, before the activity returns (the
# retry must read the stored answer, not pay again). Not in POINTS: chaos runs offline.
AFTER_AI_CALL = "after_ai_call"


def failpoint(name: str) -> None:
    if name == _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
