"""The patch gate against hostile diffs: each trick is refused by the text check, and again
by the check of what git would actually change, with nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sitegen.activities.patch_scope import change_violations, judge_for, patch_violations
from sitegen.integrations.ai.diffing import file_diff
from sitegen.integrations.git import LocalGit, PatchRefused
from sitegen.settings import REPO_ROOT
from sitegen.templates_registry import TemplateManifest, load_template

TEMPLATE = load_template(REPO_ROOT / "templates", "landing")
HOME = "content/pages/home.json"


def new_file(path: str, body: str = '{"x": 1}\n', mode: str = "100644") -> str:
    return (
        f"diff --git a/{path} b/{path}\n"
        f"new file mode {mode}\n"
        "--- /dev/null\n"
        f"+++ b/{path}\n"
        "@@ -0,0 +1 @@\n"
        f"+{body}"
    )


# Each a way to make a text check approve one file while git writes another, or writes
# something that is not a plain edit of an editable file.
HOSTILE = {
    "no a/ b/ prefixes (git strips 'content/')": (
        '--- /dev/null\n+++ content/pages/x.json\n@@ -0,0 +1 @@\n+{"x": 1}\n'
    ),
    "a prefixless +++ under a git header": (
        "diff --git a/content/pages/x.json b/content/pages/x.json\n"
        "new file mode 100644\n"
        "--- /dev/null\n"
        "+++ content/pages/x.json\n"
        "@@ -0,0 +1 @@\n"
        '+{"x": 1}\n'
    ),
    "a symlink": new_file("content/pages/link.json", "../../build.py", "120000"),
    "an executable": new_file("content/pages/run.json", "#!/bin/sh\n", "100755"),
    "a rename": (
        f"diff --git a/{HOME} b/build.py\n"
        "similarity index 100%\n"
        f"rename from {HOME}\n"
        "rename to build.py\n"
    ),
    "a copy": (f"diff --git a/{HOME} b/{HOME}\ncopy from build.py\ncopy to {HOME}\n"),
    "a mode change": f"diff --git a/{HOME} b/{HOME}\nold mode 100644\nnew mode 100755\n",
    "a binary": (
        f"diff --git a/{HOME} b/{HOME}\nindex 1111111..2222222 100644\n"
        f"Binary files a/{HOME} and b/{HOME} differ\n"
    ),
    "an absolute path": new_file("/etc/cron.d/x"),
    "a path with ..": new_file("content/pages/../../build.py"),
    "two paths in one header": (
        f"diff --git a/{HOME} b/build.py\n--- a/{HOME}\n+++ b/build.py\n@@ -1 +1 @@\n-a\n+b\n"
    ),
    "no diff --git header": f"--- a/{HOME}\n+++ b/{HOME}\n@@ -1 +1 @@\n-a\n+b\n",
    "a non-editable file": new_file("layouts/evil.html", "<script>x</script>\n"),
    "a second file hidden after a hunk": (
        new_file(HOME) + "--- a/build.py\n+++ b/build.py\n@@ -1 +1 @@\n-import json\n+import os\n"
    ),
    "inside .git": new_file("content/.git/hooks/post-checkout"),
}


@pytest.mark.parametrize("diff", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_text_check_refuses(diff: str) -> None:
    assert patch_violations(diff, TEMPLATE), diff


def test_a_plain_edit_passes() -> None:
    diff = file_diff(HOME, '{"title": "Old"}\n', '{"title": "New"}\n')
    assert patch_violations(diff, TEMPLATE) == []
    deleted = file_diff("content/pages/faq.json", '{"q": 1}\n', None)
    assert patch_violations(deleted, TEMPLATE) == []  # an editable file may go


@pytest.fixture
async def repo(tmp_path: Path) -> tuple[LocalGit, str]:
    git = LocalGit(tmp_path / "repos", tmp_path / "work")
    await git.ensure_repo("site", REPO_ROOT / "templates" / "landing")
    return git, await git.head("site", "main")


def binary_diff(tmp_path: Path, path: str, before: str) -> str:
    """A real `git diff --binary` that turns the file `before` into bytes."""
    work = tmp_path / "binary"
    (work / Path(path).parent).mkdir(parents=True)
    (work / path).write_text(before)
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(work)}
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True, env=env)
    subprocess.run([*git, "add", "."], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "x"], check=True, env=env)
    (work / path).write_bytes(b"\x00\x01\x02binary\xff")
    return subprocess.run(
        [*git, "diff", "--binary"], check=True, env=env, capture_output=True, text=True
    ).stdout


async def refused_by_what_git_writes(
    repo: tuple[LocalGit, str], diff: str, template: TemplateManifest = TEMPLATE
) -> list[str]:
    git, head = repo
    with pytest.raises(PatchRefused) as refused:
        await git.commit_patch(
            "site", "main", diff, "hostile", "k-hostile", judge=judge_for(template)
        )
    assert await git.head("site", "main") == head  # nothing written
    return refused.value.problems


async def test_git_writes_pages_x_json_for_a_prefixless_patch(repo: tuple[LocalGit, str]) -> None:
    problems = await refused_by_what_git_writes(
        repo, HOSTILE["no a/ b/ prefixes (git strips 'content/')"]
    )
    assert problems == ["pages/x.json is not an editable file"]


async def test_a_symlink_or_an_executable_is_refused_by_its_mode(
    repo: tuple[LocalGit, str],
) -> None:
    link = await refused_by_what_git_writes(repo, HOSTILE["a symlink"])
    assert link == ["content/pages/link.json: mode 120000; only regular, non-executable files"]
    exe = await refused_by_what_git_writes(repo, HOSTILE["an executable"])
    assert exe == ["content/pages/run.json: mode 100755; only regular, non-executable files"]


async def test_deleting_or_renaming_onto_a_non_editable_file_is_refused(
    repo: tuple[LocalGit, str],
) -> None:
    git, _ = repo
    build = (await git.read_files("site", "main", ["build.py"]))["build.py"]
    problems = await refused_by_what_git_writes(repo, file_diff("build.py", build, None))
    assert problems == ["build.py is not an editable file"]
    home = (await git.read_files("site", "main", [HOME]))[HOME]
    rename = (
        f"diff --git a/{HOME} b/x.py\nsimilarity index 100%\nrename from {HOME}\nrename to x.py\n"
    )
    problems = await refused_by_what_git_writes(repo, rename)
    assert "x.py is not an editable file" in problems
    assert home  # the renamed file was there to rename


async def test_a_binary_is_refused(repo: tuple[LocalGit, str], tmp_path: Path) -> None:
    git, _ = repo
    current = (await git.read_files("site", "main", [HOME]))[HOME]
    diff = binary_diff(tmp_path, HOME, current)
    assert "GIT binary patch" in diff
    assert patch_violations(diff, TEMPLATE)
    problems = await refused_by_what_git_writes(repo, diff)
    assert problems == [f"{HOME}: binary changes are not allowed"]


def test_change_violations_of_a_plain_edit() -> None:
    from sitegen.integrations.git import FileChange

    edit = FileChange(HOME, "M", "100644", "100644", binary=False)
    gone = FileChange("content/pages/faq.json", "D", "100644", "000000", binary=False)
    assert change_violations([edit, gone], TEMPLATE) == []


async def test_an_allowed_patch_commits(repo: tuple[LocalGit, str]) -> None:
    git, head = repo
    current = (await git.read_files("site", "main", [HOME]))[HOME]
    diff = file_diff(HOME, current, current.replace("{", '{"note": "x", ', 1))
    result = await git.commit_patch("site", "main", diff, "edit", "k-ok", judge=judge_for(TEMPLATE))
    assert result.created and result.sha != head
