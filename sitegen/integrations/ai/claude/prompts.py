"""Prompt files -> the system blocks and user turn of one request.

Each step's words live in sitegen/integrations/ai/prompts/<step>.md.j2 (Jinja2): a
`system` block (the step's persona) and a `user` block (the task and its inputs). Two
shared files come first in every request, each ending a prompt-cache breakpoint:
`context.md.j2` (the rules, the template and its section library; the same for every
site on a template) and `spec.md.j2` (the site spec; the same for every step of a site).
The API caches a prefix (tools, then system blocks) up to each breakpoint, so the steps
of one site pay for the template and the spec once and read them after.

Every file starts with a `{# version: N #}` line; the versions of the files a request
used are recorded with its artifact (AIUsage.prompt_version).

Inputs go in as `<name>` tags holding one JSON value each: unambiguous for the model,
and for the test fake that answers from them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from sitegen.contracts.ai_roles import AIStep
from sitegen.contracts.site import SiteSpec
from sitegen.integrations.ai.claude.roles import Role
from sitegen.templates_registry import TemplateManifest

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_VERSION = re.compile(r"\A\{#\s*version:\s*([A-Za-z0-9._-]{1,20})\s*#\}")
CACHE = {"type": "ephemeral"}


def data(name: str, value: Any) -> str:
    """One input as a tag around a single JSON value."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return f"<{name}>\n{json.dumps(value, ensure_ascii=False)}\n</{name}>"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS_DIR),
        # Plain text for a model, not HTML: escaping would corrupt the JSON inputs.
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["data"] = data
    return env


@cache
def version(name: str) -> str:
    """The file's `{# version: N #}`; a prompt file without one is a bug, found at start."""
    text = (PROMPTS_DIR / name).read_text(encoding="utf-8")
    found = _VERSION.match(text)
    if found is None:
        raise ValueError(f"prompt {name} has no '{{# version: N #}}' first line")
    return found.group(1)


def _block(name: str, block: str, values: dict[str, Any]) -> str:
    template = _env().get_template(name)
    render = template.blocks.get(block)
    if render is None:
        raise ValueError(f"prompt {name} has no {{% block {block} %}}")
    return "".join(render(template.new_context(values))).strip()


def _render(name: str, values: dict[str, Any]) -> str:
    return _env().get_template(name).render(values).strip()


@dataclass
class Prompt:
    system: list[dict[str, Any]]
    user: str
    version: str
    # The same prompt's approximate size, for a budget reservation before the call.
    chars: int = field(init=False)

    def __post_init__(self) -> None:
        self.chars = sum(len(b["text"]) for b in self.system) + len(self.user)


def build(
    step: AIStep,
    role: Role,
    template: TemplateManifest,
    spec: SiteSpec | None,
    **inputs: Any,
) -> Prompt:
    """The request's prompt for `step`: cached context (and spec), persona, task."""
    step_file = f"{step}.md.j2"
    values = {"template": template, "spec": spec, **inputs}
    system = [{"type": "text", "text": _render("context.md.j2", values), "cache_control": CACHE}]
    versions = [f"{step}@{version(step_file)}", f"context@{version('context.md.j2')}"]
    if spec is not None:
        text = _render("spec.md.j2", values)
        system.append({"type": "text", "text": text, "cache_control": CACHE})
        versions.append(f"spec@{version('spec.md.j2')}")
    # The persona comes after the breakpoints: steps differ here, and only here.
    persona = role.system or _block(step_file, "system", values)
    if role.system is not None:
        versions.append("system#" + hashlib.sha256(role.system.encode()).hexdigest()[:8])
    system.append({"type": "text", "text": persona})
    user = _block(step_file, "user", values)
    return Prompt(system=system, user=user, version=";".join(versions))


def check_prompts(steps: tuple[AIStep, ...]) -> None:
    """Every prompt file is there, parses and is versioned: checked when the worker starts."""
    for name in ("context.md.j2", "spec.md.j2", *(f"{s}.md.j2" for s in steps)):
        version(name)
        _env().get_template(name)
