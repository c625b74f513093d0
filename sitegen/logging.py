"""structlog set-up, with a processor that keeps secrets and personal data out of logs.

Two nets: values under a sensitive key are dropped whole, and every text (messages,
exception text and tracebacks included, ours and the libraries' through stdlib logging) has
credentials in URLs, known token shapes and e-mail addresses masked."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

from sitegen.settings import Settings

_SENSITIVE_KEYS = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|authorization|cookie|email|phone|dsn|database_url)",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]+):[^@/\s]+@")
# Shapes of the credentials sitegen handles, wherever they appear in a text.
_TOKENS = re.compile(
    r"\b(?:sk-ant-[\w-]{8,}|gh[pousr]_\w{20,}|github_pat_\w{20,}|whsec_\w{8,}"
    r"|[rs]k_(?:live|test)_\w{8,}|AKIA[0-9A-Z]{16})"
    r"|(?<=[Bb]earer )[\w.~+/=-]{8,}"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def scrub(text: str) -> str:
    text = _URL_CREDENTIALS.sub(r"\1:[redacted]@", text)
    text = _TOKENS.sub("[redacted]", text)
    return _EMAIL.sub("[email]", text)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SENSITIVE_KEYS.search(key):
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = scrub(value)
    return event


class ScrubFilter(logging.Filter):
    """The same for records of the libraries that log through stdlib (Temporal's SDK logs an
    activity's failure with its message and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = scrub(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


class _RootHandler(logging.StreamHandler):
    """The root handler sitegen adds, so a later call can find it and follow the settings."""


def _stdlib_exception(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A library record's traceback, made text (and scrubbed) by ScrubFilter already."""
    record = event.get("_record")
    if record is not None and record.exc_text:
        event["exception"] = record.exc_text
    return event


def library_json_formatter() -> logging.Formatter:
    """Library records (Temporal's SDK, uvicorn's errors) as the same JSON lines, with the
    same bound context: an activity's failure logged by the SDK names its project too."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            _stdlib_exception,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            # Tracebacks become text first, so the redaction sees them too.
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            level if isinstance(level, int) else 20
        ),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(_RootHandler())
    for handler in root.handlers:
        if isinstance(handler, _RootHandler):
            handler.setFormatter(library_json_formatter() if settings.log_json else None)
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
