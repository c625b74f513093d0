"""The gate every AI patch passes before it is stored or applied: only editable files,
only plain text edits (no renames, mode changes, symlinks or binaries)."""

from __future__ import annotations

import re

from sitegen.templates_registry import TemplateManifest, is_editable

_HEADER = re.compile(r"^diff --git a/(\S+) b/(\S+)$")
_FILE = re.compile(r"^(?:---|\+\+\+) (?:[ab]/)?(\S+)")
_FORBIDDEN = (
    "rename from",
    "rename to",
    "copy from",
    "copy to",
    "old mode",
    "new mode 120000",
    "similarity index",
    "GIT binary patch",
    "Binary files",
)


def patch_violations(diff: str, template: TemplateManifest) -> list[str]:
    """Why this diff may not be applied; empty when it is fine."""
    problems: list[str] = []
    paths: set[str] = set()
    for line in diff.splitlines():
        if line.startswith(_FORBIDDEN):
            problems.append(f"'{line.split(' ')[0]} {line.split(' ')[1]}' is not allowed")
        elif m := _HEADER.match(line):
            paths.update(m.groups())
        elif (m := _FILE.match(line)) and m.group(1) != "/dev/null":
            paths.add(m.group(1))
    problems += [
        f"{p} is not an editable file" for p in sorted(paths) if not is_editable(template, p)
    ]
    if not paths and diff.strip():
        problems.append("the patch names no files")
    return problems
