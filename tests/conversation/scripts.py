"""Scripted client messages for the discovery conversation, in English and Portuguese: the
same in the interviewer's unit tests, the end-to-end tests and `sitegen demo --chat`."""

from __future__ import annotations

from sitegen.cli.chat_script import SCRIPTS

EN = SCRIPTS["en"]
PT = SCRIPTS["pt-BR"]
