"""The gate every AI patch passes, twice: its text before it is stored or applied, and what
git would actually change before anything is committed. Only editable files, only regular
non-executable files, no renames, copies, mode changes, symlinks or binaries; the text must
be a strict `git diff` (see sitegen/contracts/patches.py for why)."""

from __future__ import annotations

from sitegen.contracts.patches import REGULAR_FILE_MODE, parse_diff, safe_repo_path
from sitegen.integrations.git.base import FileChange, PatchJudge
from sitegen.templates_registry import TemplateManifest, is_editable

# Extended headers a plain edit never needs.
_FORBIDDEN = ("rename ", "copy ", "similarity ", "dissimilarity ", "old mode ", "new mode ")
_NO_FILE = "000000"  # the mode git reports for the side where a file does not exist


def patch_violations(diff: str, template: TemplateManifest) -> list[str]:
    """Why this diff's text may not be applied; empty when it is fine."""
    parsed = parse_diff(diff)
    problems = list(parsed.problems)
    if diff.strip() and not parsed.files:
        problems.append("the patch names no files")
    for f in parsed.files:
        if not safe_repo_path(f.path):
            problems.append(f"{f.path!r} is not a safe repository path")
            continue
        if not is_editable(template, f.path):
            problems.append(f"{f.path} is not an editable file")
        for header in f.headers:
            if header.startswith(_FORBIDDEN):
                problems.append(f"{f.path}: '{header}' is not allowed")
            elif header.startswith(("new file mode ", "deleted file mode ")) and (
                header.rsplit(" ", 1)[1] != REGULAR_FILE_MODE
            ):
                problems.append(f"{f.path}: '{header}': only regular, non-executable files")
        if f.binary:
            problems.append(f"{f.path}: binary changes are not allowed")
    return problems


def change_violations(changes: list[FileChange], template: TemplateManifest) -> list[str]:
    """Why what git would change is not allowed; empty when it is fine."""
    problems = []
    for c in changes:
        if not is_editable(template, c.path):
            problems.append(f"{c.path} is not an editable file")
        elif c.new_mode not in (REGULAR_FILE_MODE, _NO_FILE) or c.status == "T":
            problems.append(f"{c.path}: mode {c.new_mode}; only regular, non-executable files")
        if c.binary:
            problems.append(f"{c.path}: binary changes are not allowed")
    return problems


def judge_for(template: TemplateManifest) -> PatchJudge:
    return lambda changes: change_violations(changes, template)
