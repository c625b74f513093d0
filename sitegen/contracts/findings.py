"""A quality gate's finding: the file, the line, the rule and what is wrong, so the fix loop
and an operator can act on it. Every gate (the HTML checks, the rendered-contrast check in
a browser) reports in this one shape."""

from __future__ import annotations

from pydantic import BaseModel


class Finding(BaseModel):
    file: str
    line: int = 0
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message} [{self.rule}]"
