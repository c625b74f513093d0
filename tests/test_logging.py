"""What reaches the logs: no credential and no e-mail address, in a message, a field, an
exception's text or a traceback, whether it comes through structlog or a library's stdlib
logging."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import structlog

from sitegen.logging import ScrubFilter, configure_logging, library_json_formatter, scrub
from sitegen.settings import Settings

SECRETS = [
    "sk-ant-api03-AbCdEf0123456789",
    "ghp_0123456789abcdefABCDEF0123456789",
    "whsec_0123456789abcdef",
    "sk_live_0123456789abcdef",
    "AKIAIOSFODNN7EXAMPLE",
    "s3cr3t-pa55",
    "ana.souza+bakery@example.com",
]


def _failure() -> str:
    return (
        f"refused key {SECRETS[0]} for {SECRETS[6]} via "
        f"postgresql://sitegen:{SECRETS[5]}@db/sitegen, then {SECRETS[1]} {SECRETS[2]} "
        f"{SECRETS[3]} {SECRETS[4]}; header Authorization: Bearer eyJhbGciOi.payload.sig"
    )


def test_structlog_messages_fields_and_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(data_dir=tmp_path))
    log = structlog.get_logger("test")
    try:
        raise RuntimeError(_failure())
    except RuntimeError:
        log.exception("step.failed", detail=_failure(), api_key=SECRETS[0])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "step.failed" in text and "RuntimeError" in text and "Traceback" in text
    for secret in [*SECRETS, "eyJhbGciOi.payload.sig"]:
        assert secret not in text, secret


def test_stdlib_records_of_libraries(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging(Settings(data_dir=tmp_path))
    library = logging.getLogger("temporalio.activity")
    try:
        raise ValueError(_failure())
    except ValueError:
        library.warning("Completing activity as failed: %s", _failure(), exc_info=True)
    text = caplog.text
    assert "Completing activity as failed" in text and "ValueError" in text
    for secret in SECRETS:
        assert secret not in text, secret


def test_ordinary_text_is_left_alone() -> None:
    plain = "build_and_test finished in 0.21 s for harbour-physio (attempt 2)"
    assert scrub(plain) == plain


def test_library_records_are_json_lines_with_the_bound_ids() -> None:
    """SITEGEN_LOG_JSON: a library's record (Temporal's SDK failing an activity) is a JSON
    line like ours, carrying the activity's bound ids and a scrubbed traceback."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(library_json_formatter())
    library = logging.getLogger("temporalio.activity.test")
    library.addHandler(handler)
    library.propagate = False
    try:
        with structlog.contextvars.bound_contextvars(project_id="p-1", step="build_and_test"):
            try:
                raise ValueError(_failure())
            except ValueError:
                library.warning("Completing activity as failed", exc_info=True)
        library.warning("after the activity")
    finally:
        library.removeHandler(handler)
    failed, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert failed["event"] == "Completing activity as failed"
    assert (failed["project_id"], failed["step"]) == ("p-1", "build_and_test")
    assert (failed["level"], failed["logger"]) == ("warning", "temporalio.activity.test")
    assert "ValueError" in failed["exception"] and "Traceback" in failed["exception"]
    assert "project_id" not in after
    for secret in SECRETS:
        assert secret not in stream.getvalue(), secret
