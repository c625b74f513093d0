"""Every table, importable from one place (Alembic's env.py imports this)."""

from sitegen.db.tables_auth import ApiKey, AppUser, LoginAttempt, RefreshToken, UserRole
from sitegen.db.tables_cleanup import CleanupRun
from sitegen.db.tables_config import IntegrationConfig, TemplateRegistry
from sitegen.db.tables_conversation import Conversation, ConversationMessage
from sitegen.db.tables_core import Customer, CustomerOrder, OnboardingSubmission, Project
from sitegen.db.tables_events import ProjectEvent
from sitegen.db.tables_history import VersionHistory
from sitegen.db.tables_ledger import AICall
from sitegen.db.tables_personas import LLMProviderConfig, Persona, PersonaOverride
from sitegen.db.tables_pipeline import (
    Artifact,
    Notification,
    PipelineStep,
    RevisionRequest,
    SiteSpecRecord,
    SiteVersion,
)

__all__ = [
    "AICall",
    "ApiKey",
    "AppUser",
    "Artifact",
    "CleanupRun",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "CustomerOrder",
    "IntegrationConfig",
    "LLMProviderConfig",
    "LoginAttempt",
    "Notification",
    "OnboardingSubmission",
    "Persona",
    "PersonaOverride",
    "PipelineStep",
    "Project",
    "ProjectEvent",
    "RefreshToken",
    "RevisionRequest",
    "SiteSpecRecord",
    "SiteVersion",
    "TemplateRegistry",
    "UserRole",
    "VersionHistory",
]
