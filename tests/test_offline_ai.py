"""OfflineAI and the template registry: determinism, scope, locale and copy quality."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sitegen.contracts.onboarding import Onboarding, Tone
from sitegen.contracts.patches import diff_paths
from sitegen.contracts.site import CodePatch, SiteContent
from sitegen.integrations.ai import OfflineAI, SiteAI
from sitegen.integrations.ai.diffing import file_diff
from sitegen.templates_registry import (
    TemplateNotFoundError,
    is_editable,
    list_templates,
    load_template,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
EXAMPLES = {p.stem: p for p in sorted((ROOT / "examples" / "onboarding").glob("*.json"))}
TEMPLATE_FILES = {
    p.relative_to(TEMPLATES / "landing").as_posix(): p.read_text(encoding="utf-8")
    for p in sorted((TEMPLATES / "landing").rglob("*.json"))
    if "dist" not in p.parts
}


def onboarding(name: str, **business: Any) -> Onboarding:
    data = json.loads(EXAMPLES[name].read_text(encoding="utf-8"))
    data["business"].update(business)
    return Onboarding.model_validate(data)


async def artifacts(ob: Onboarding) -> dict[str, Any]:
    ai = OfflineAI()
    template = load_template(TEMPLATES, "landing")
    spec = await ai.site_spec(ob, template)
    brief = await ai.brief(spec.artifact)
    sitemap = await ai.sitemap(spec.artifact, template)
    pages = [await ai.page_content(spec.artifact, p) for p in sitemap.artifact.pages]
    content = SiteContent(pages=[p.artifact for p in pages])
    layout = await ai.layout_plan(spec.artifact, sitemap.artifact, template)
    patch = await ai.code_patch(spec.artifact, content, layout.artifact, TEMPLATE_FILES, template)
    return {
        "spec": spec,
        "brief": brief,
        "sitemap": sitemap,
        "pages": pages,
        "content": content,
        "layout": layout,
        "patch": patch,
    }


def dump(results: dict[str, Any]) -> str:
    return json.dumps(
        {
            k: [p.model_dump(mode="json") for p in v]
            if isinstance(v, list)
            else v.model_dump(mode="json")
            for k, v in results.items()
        },
        sort_keys=True,
    )


def test_offline_ai_satisfies_protocol() -> None:
    assert isinstance(OfflineAI(), SiteAI)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_chain_is_deterministic(name: str) -> None:
    first, second = await artifacts(onboarding(name)), await artifacts(onboarding(name))
    assert dump(first) == dump(second)
    assert first["patch"].artifact.diff == second["patch"].artifact.diff


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_patch_is_scoped_to_editable_files(name: str) -> None:
    results = await artifacts(onboarding(name))
    patch: CodePatch = results["patch"].artifact
    template = load_template(TEMPLATES, "landing")
    assert patch.paths == diff_paths(patch.diff)
    assert all(is_editable(template, p) for p in patch.paths)
    assert "--- a/" in patch.diff and "+++ b/" in patch.diff


async def test_pages_not_chosen_are_deleted() -> None:
    patch = (await artifacts(onboarding("ironbark-software")))["patch"].artifact
    assert "content/pages/about.json" in patch.paths
    assert "+++ /dev/null" in patch.diff and "deleted file mode" in patch.diff


async def test_portuguese_site_is_written_in_portuguese() -> None:
    results = await artifacts(onboarding("padaria-pao-e-afeto"))
    site = json.loads(_patched(results["patch"].artifact.diff, "content/site.json"))
    assert site["locale"] == "pt-BR"
    assert [n["label"] for n in site["nav"]] == ["Início", "Sobre", "Serviços", "Contato"]
    contact = results["content"].page("contact")
    text = contact.model_dump_json()
    assert "Ligar (11) 3456-7890" in text and "Enviar e-mail" in text
    assert "# Briefing criativo: Padaria Pão & Afeto" in results["brief"].artifact.markdown


async def test_copy_is_specific_and_complete() -> None:
    results = await artifacts(onboarding("harbour-physio"))
    spec = results["spec"].artifact
    everything = results["content"].model_dump_json()
    for service in spec.services:
        assert service.name in everything
    for faq in spec.faq:
        assert faq.question in everything
    assert "Bristol" in everything and "Harbour Physiotherapy" in everything
    for bad in ("lorem", "ipsum", "TODO", "{name}", "{city}", "placeholder"):
        assert bad.lower() not in everything.lower()
    for page in results["content"].pages:
        assert len(page.meta_description) <= 160 and page.title


async def test_faq_is_written_from_facts_when_client_gave_none() -> None:
    results = await artifacts(onboarding("ironbark-software"))
    faq = next(s for s in results["content"].page("home").sections if s.type == "faq")
    answers = " ".join(item.answer for item in faq.items)
    assert "Mon-Fri 09:00-17:30" in answers and "hello@ironbark.dev" in answers


async def test_tone_changes_the_voice() -> None:
    headings = set()
    for tone in Tone:
        data = json.loads(EXAMPLES["ironbark-software"].read_text(encoding="utf-8"))
        data["style"]["tone"] = tone.value
        home = (await artifacts(Onboarding.model_validate(data)))["content"].page("home")
        hero = home.sections[0]
        assert hero.type == "hero"
        headings.add((hero.heading, hero.cta_label))
    assert len(headings) == len(Tone)


async def test_usage_is_estimated_and_free() -> None:
    results = await artifacts(onboarding("harbour-physio"))
    for key in ("spec", "brief", "sitemap", "layout", "patch"):
        usage = results[key].usage
        assert usage.input_tokens > 0 and usage.output_tokens > 0
        assert usage.cost_usd == Decimal("0") and usage.model.startswith("offline")


def test_registry_loads_and_lists_templates() -> None:
    template = load_template(TEMPLATES, "landing")
    assert template.page_ids[0] == "home" and template.build_command[-1] == "build.py"
    assert "landing" in [t.id for t in list_templates(TEMPLATES)]
    with pytest.raises(TemplateNotFoundError):
        load_template(TEMPLATES, "../landing")
    with pytest.raises(TemplateNotFoundError):
        load_template(TEMPLATES, "nope")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("content/site.json", True),
        ("content/pages/home.json", True),
        ("theme/tokens.json", True),
        ("content/pages/nested/home.json", False),
        ("build.py", False),
        ("layouts/base.html.j2", False),
        ("/content/site.json", False),
        ("content/pages/../../build.py", False),
        ("content/./site.json", False),
        ("content\\site.json", False),
        ("", False),
    ],
)
def test_is_editable(path: str, allowed: bool) -> None:
    assert is_editable(load_template(TEMPLATES, "landing"), path) is allowed


def test_file_diff_handles_missing_final_newline() -> None:
    diff = file_diff("content/site.json", '{"a": 1}', '{"a": 2}\n')
    assert "\\ No newline at end of file" in diff
    assert diff.startswith("diff --git a/content/site.json b/content/site.json\n")


def _patched(diff: str, path: str) -> str:
    """Contents of a file the diff creates or rewrites completely (its '+' lines)."""
    chunk = diff.split(f"diff --git a/{path} b/{path}\n", 1)[1].split("diff --git ", 1)[0]
    lines = chunk.split("\n")
    body = [ln[1:] for ln in lines if ln.startswith(("+", " ")) and not ln.startswith("+++")]
    return "\n".join(body)
