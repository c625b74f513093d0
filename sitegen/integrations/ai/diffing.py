"""Unified diffs that `git apply` accepts: a/ b/ prefixes, /dev/null for new and deleted
files, and the 'No newline at end of file' marker that difflib does not emit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import SequenceMatcher

CONTEXT = 3
NO_EOL = "\\ No newline at end of file\n"
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    # An empty range names the line before it (0 for the top of the file).
    return f"{start if length == 0 else start + 1},{length}"


def _lines(text: str) -> list[str]:
    # str.splitlines also breaks on U+2028, \x0c and friends; git only breaks on '\n'.
    return _LINE.findall(text)


def _emit(prefix: str, line: str) -> str:
    return f"{prefix}{line}" if line.endswith("\n") else f"{prefix}{line}\n{NO_EOL}"


def file_diff(path: str, before: str | None, after: str | None) -> str:
    """Diff of one file; `None` means the file does not exist on that side."""
    if before == after:
        return ""
    old, new = _lines(before or ""), _lines(after or "")
    out = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        out.append("new file mode 100644\n")
    elif after is None:
        out.append("deleted file mode 100644\n")
    out.append("--- /dev/null\n" if before is None else f"--- a/{path}\n")
    out.append("+++ /dev/null\n" if after is None else f"+++ b/{path}\n")
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(_emit(" ", line) for line in old[a1:a2])
                continue
            out.extend(_emit("-", line) for line in old[a1:a2])
            out.extend(_emit("+", line) for line in new[b1:b2])
    return "".join(out)


def tree_diff(
    current: Mapping[str, str], target: Mapping[str, str | None]
) -> tuple[str, list[str]]:
    """Diff that turns `current` into `target` (None = delete); returns diff and paths."""
    parts: list[str] = []
    touched: list[str] = []
    for path in sorted(set(current) | set(target)):
        if path not in target:
            continue  # files we have no opinion about stay as they are
        text = file_diff(path, current.get(path), target[path])
        if text:
            parts.append(text)
            touched.append(path)
    return "".join(parts), touched
