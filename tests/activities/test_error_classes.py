"""What Temporal does with an activity's error: a database that cannot be reached is waited
for; an error that the same input would raise again is final at once."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import OperationalError
from temporalio.exceptions import ApplicationError

from sitegen.activities.support import classify
from sitegen.contracts.activities import DEPENDENCY_DOWN
from sitegen.db.errors import database_unavailable
from sitegen.integrations.git.base import InvalidGitName
from sitegen.integrations.hosting.base import InvalidSiteName, SubdomainTaken, VersionPinned
from sitegen.templates_registry import TemplateNotFoundError


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        ConnectionResetError(104, "reset"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_database_that_cannot_be_reached_is_waited_for(error: Exception) -> None:
    assert database_unavailable(error)
    classified = classify(error)
    assert isinstance(classified, ApplicationError)
    assert classified.type == DEPENDENCY_DOWN and not classified.non_retryable


@pytest.mark.parametrize(
    "error",
    [
        SubdomainTaken("'acme' already points at another site"),
        InvalidSiteName("invalid site name 'A B'"),
        VersionPinned("version 3 is pinned to another deploy"),
        InvalidGitName("invalid branch name '-x'"),
        TemplateNotFoundError("no template 'saas'"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_would_repeat_are_final_at_once(error: Exception) -> None:
    classified = classify(error)
    assert isinstance(classified, ApplicationError)
    assert classified.non_retryable and classified.type == type(error).__name__


def test_anything_else_is_left_to_the_retry_policy() -> None:
    error = RuntimeError("a hiccup")
    assert classify(error) is error
    assert not database_unavailable(ValueError("bad"))
    assert not database_unavailable(FileNotFoundError(2, "missing"))
