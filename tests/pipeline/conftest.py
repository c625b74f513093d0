"""Fixtures some pipeline tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.anthropic import FakeAnthropic


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A local Messages API; only the tests that switch Claude on ask for it."""
    with FakeAnthropic().running() as fake:
        yield fake
