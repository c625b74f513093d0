"""Repository paths, path globs and unified diffs: the one safe-path check, the one glob
matcher and the one diff parser, shared by the templates, git and the patch gate.

The parser is strict on purpose. `git apply` strips the first path component of every
`---`/`+++` line, so a patch whose text says `content/x.json` without an `a/` or `b/` prefix
writes `x.json`: any text check that accepts loose headers judges a different file than the
one git writes. Every file section must therefore start with `diff --git a/P b/P`, name the
same P on both sides and in its `---`/`+++` lines, and anything else is a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_repo_path(path: str) -> bool:
    """A file path inside a repository: relative, POSIX, normalised, printable, never `..`,
    never inside `.git`."""
    if not path or path.startswith("/") or "\\" in path or _CONTROL.search(path):
        return False
    if _WINDOWS_DRIVE.match(path):
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") for p in parts) and all(p.lower() != ".git" for p in parts)


@lru_cache(maxsize=512)
def glob_regex(glob: str) -> re.Pattern[str]:
    """A path glob as a regex: `*` and `?` stay within one segment (unlike fnmatch, so
    `content/*.json` does not match nested paths), `**/` spans directories, `[...]` is a
    class (`[!...]` negated)."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := glob.find("]", i + 2)) != -1:
            body = glob[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def matches_any(path: str, globs: list[str]) -> bool:
    return any(glob_regex(glob).fullmatch(path) for glob in globs)


# --- unified diffs ---------------------------------------------------------------------------

_DIFF_GIT = re.compile(r"^diff --git a/(\S+) b/(\S+)$")
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_OLD = re.compile(r"^--- (.*)$")
_NEW = re.compile(r"^\+\+\+ (.*)$")
# Extended header lines git writes between `diff --git` and `---`, by their first words.
_EXTENDED = (
    "new file mode ",
    "deleted file mode ",
    "old mode ",
    "new mode ",
    "index ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
)
REGULAR_FILE_MODE = "100644"


@dataclass
class FilePatch:
    """One `diff --git` section."""

    path: str
    headers: list[str] = field(default_factory=list)
    old: str | None = None  # the `---` side: a/P, or None for /dev/null
    new: str | None = None  # the `+++` side: b/P, or None for /dev/null
    binary: bool = False


@dataclass
class ParsedDiff:
    files: list[FilePatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # where it is not a strict git diff

    @property
    def paths(self) -> list[str]:
        return sorted({f.path for f in self.files})


def _side(raw: str, prefix: str) -> tuple[str | None, bool]:
    """(path, ok) of a `---`/`+++` operand: `a/P` or `b/P` with its prefix, or /dev/null."""
    raw = raw.split("\t", 1)[0]  # git may append a timestamp after a tab
    if raw == "/dev/null":
        return None, True
    if raw.startswith(prefix):
        return raw[len(prefix) :], True
    return raw, False


def parse_diff(diff: str) -> ParsedDiff:
    """The file sections of a unified diff, and every way it departs from what
    `git diff` writes."""
    parsed = ParsedDiff()
    current: FilePatch | None = None
    in_hunks = False
    old_left = new_left = 0  # lines the current hunk still owes, by its @@ header
    for number, line in enumerate(diff.splitlines(), start=1):
        if old_left or new_left:
            # Inside a hunk, every line is content, counted against its header: so a
            # `--- a/x` inside one cannot start a file the reader would not see.
            if line.startswith(" "):
                old_left, new_left = old_left - 1, new_left - 1
            elif line.startswith("-"):
                old_left -= 1
            elif line.startswith("+"):
                new_left -= 1
            elif not line.startswith("\\"):
                parsed.problems.append(f"line {number}: the hunk ends before its header says")
                old_left = new_left = 0
            continue
        if m := _DIFF_GIT.match(line):
            a, b = m.groups()
            if a != b:
                parsed.problems.append(f"line {number}: 'diff --git' names two paths ({a}, {b})")
            current = FilePatch(path=b)
            parsed.files.append(current)
            in_hunks = False
            continue
        if line.startswith("diff "):
            parsed.problems.append(f"line {number}: not a 'diff --git a/P b/P' header")
            current = None
            continue
        if current is None:
            if line.startswith(("--- ", "+++ ", "@@")):
                parsed.problems.append(f"line {number}: a file change without 'diff --git'")
            continue
        if not in_hunks and line.startswith(_EXTENDED):
            current.headers.append(line)
        elif not in_hunks and (m := _OLD.match(line)):
            current.old, ok = _side(m.group(1), "a/")
            if not ok:
                parsed.problems.append(f"line {number}: '---' without the a/ prefix")
        elif not in_hunks and (m := _NEW.match(line)):
            current.new, ok = _side(m.group(1), "b/")
            if not ok:
                parsed.problems.append(f"line {number}: '+++' without the b/ prefix")
        elif line.startswith(("GIT binary patch", "Binary files ")):
            current.binary = True
        elif m := _HUNK.match(line):
            in_hunks = True
            old_left = int(m.group(1)) if m.group(1) is not None else 1
            new_left = int(m.group(2)) if m.group(2) is not None else 1
        elif in_hunks and not line.startswith("\\"):
            parsed.problems.append(f"line {number}: text outside any hunk")
    for f in parsed.files:
        for side in (f.old, f.new):
            if side is not None and side != f.path:
                parsed.problems.append(f"{f.path}: its ---/+++ lines name {side}")
    return parsed


def diff_paths(diff: str) -> list[str]:
    """Every repo path a diff's sections name (sorted)."""
    return parse_diff(diff).paths
