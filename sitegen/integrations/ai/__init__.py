"""AI port (`SiteAI`) and its offline, deterministic default (`OfflineAI`)."""

from sitegen.integrations.ai.base import PatchScopeError, SiteAI
from sitegen.integrations.ai.offline import OfflineAI

__all__ = ["OfflineAI", "PatchScopeError", "SiteAI"]
