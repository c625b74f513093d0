"""Copy for the saas and portfolio templates, and the copy rules every template shares:
no sentence pastes a place that is not one, and no business without an address invites a
visit. Pages that would be empty are refused by the onboarding check, naming the page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.onboarding_check import onboarding_problems
from sitegen.contracts.site import SiteContent, SiteSpec
from sitegen.integrations.ai import OfflineAI
from sitegen.integrations.ai.planning import available_pages
from sitegen.templates_registry import load_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
EXAMPLES = ROOT / "examples" / "onboarding"
# Invitations to come round (not 'visitors', which a website has wherever it is).
VISIT = re.compile(
    r"\b(pop in|stop by|come and see|come on over|visit us|your visit|every visit|venha|"
    r"passe aqui|sua visita|nos visitar|cada visita)\b",
    re.IGNORECASE,
)


def example(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


async def written(template_id: str, data: dict[str, Any]) -> tuple[SiteSpec, SiteContent, str]:
    ai = OfflineAI()
    template = load_template(TEMPLATES, template_id)
    form = Onboarding.model_validate(data)
    form = form.model_copy(update={"pages": available_pages(template, form)})
    spec = (await ai.site_spec(form, template)).artifact
    sitemap = (await ai.sitemap(spec, template)).artifact
    content = SiteContent(pages=[(await ai.page_content(spec, p)).artifact for p in sitemap.pages])
    brief = (await ai.brief(spec)).artifact
    return spec, content, content.model_dump_json() + brief.markdown


async def test_saas_site_has_features_pricing_and_a_highlighted_plan() -> None:
    spec, content, _ = await written("saas", example("saas/tally-invoicing"))
    assert spec.pages == ["home", "features", "pricing", "about", "faq", "contact"]
    pricing = next(s for s in content.page("pricing").sections if s.type == "pricing")
    assert [p.name for p in pricing.plans] == ["Starter", "Pro", "Studio"]
    assert [p.highlighted for p in pricing.plans] == [False, True, False]
    home_types = [s.type for s in content.page("home").sections]
    # Pricing has its own page, so the home page sends visitors there instead of repeating it.
    assert "features" in home_types and "pricing" not in home_types


async def test_portfolio_tells_only_projects_with_a_story_as_case_studies() -> None:
    _, content, _ = await written("portfolio", example("portfolio/estudio-marina-costa"))
    studies = next(s for s in content.page("case-studies").sections if s.type == "case-studies")
    titles = [i.title for i in studies.items]
    # The publisher's identity has no challenge, approach or outcome: work, not a case study.
    assert titles == ["Catálogo Mulheres do Modernismo", "Sinalização do Festival de Inverno"]
    home_work = next(s for s in content.page("home").sections if s.type == "work")
    # Three projects: the home page shows them all and points on to the stories behind them,
    # not to a work page that shows the same three again.
    assert len(home_work.items) == 3 and home_work.more_page == "case-studies"
    data = example("portfolio/estudio-marina-costa")
    data["projects"].append({"title": "Cartazes do Cine Humberto Mauro", "summary": "Série."})
    _, content, _ = await written("portfolio", data)
    home_work = next(s for s in content.page("home").sections if s.type == "work")
    assert len(home_work.items) == 3 and home_work.more_page == "work"


@pytest.mark.parametrize("template_id", ["landing", "saas", "portfolio"])
async def test_a_placeless_business_is_never_placed(template_id: str) -> None:
    # Tally gives 'Remote' as its city and no address.
    _, _, text = await written(template_id, example("saas/tally-invoicing"))
    assert "Remote" not in text
    assert not VISIT.search(text), VISIT.search(text)


async def test_no_address_means_no_invitation_to_visit() -> None:
    data = example("portfolio/estudio-marina-costa")
    _, _, text = await written("portfolio", data)
    assert "Belo Horizonte" in text  # a real city is still named
    assert not VISIT.search(text), VISIT.search(text)


@pytest.mark.parametrize(
    ("template_id", "changes", "field", "words"),
    [
        ("saas", {"plans": [], "pages": ["home", "pricing"]}, "pages.1", "'plans'"),
        ("portfolio", {"pages": ["home", "work"]}, "pages.1", "'projects'"),
        ("portfolio", {"pages": ["case-studies"], "projects": [{"title": "A", "summary": "B"}]},
         "pages.0", "challenge, approach or outcome"),
        ("portfolio", {"projects": [{"title": "A", "summary": "B", "image": 0}]}, "projects.0.image",
         "is not the index of an 'image' asset"),
    ],
)  # fmt: skip
def test_pages_with_nothing_to_show_are_refused_by_name(
    template_id: str, changes: dict[str, Any], field: str, words: str
) -> None:
    data = example("ironbark-software", **changes)
    problems, form = onboarding_problems(data, load_template(TEMPLATES, template_id), template_id)
    assert form is None
    assert any(p.field == field and words in p.reason for p in problems), problems


async def test_the_longest_valid_form_is_written_without_error() -> None:
    # Every field at the form's own limit: the site's contracts must take what the form did.
    data = example("portfolio/estudio-marina-costa")
    data["assets"] = [{"kind": "image", "url": "https://example.com/a.jpg", "alt": "A" * 120}]
    data["projects"] = [
        {"title": "T" * 120, "client": "C" * 120, "year": 2024, "summary": "S" * 500,
         "challenge": "x" * 4000, "approach": "y" * 4000, "outcome": "z" * 4000, "image": 0}
    ] * 12  # fmt: skip
    data["plans"] = [
        {"name": "N" * 120, "price": "P" * 40, "period": "", "description": "D" * 500,
         "features": ["F" * 120] * 12}
    ] * 4  # fmt: skip
    for template_id in ("portfolio", "saas"):
        spec, content, _ = await written(template_id, data)
        assert content.pages and spec.projects[0].image == "image-0"
    pricing = next(s for s in content.page("pricing").sections if s.type == "pricing")
    assert pricing.plans[0].period is None  # a blank period is none


async def test_a_placeless_city_is_placeless_even_with_an_address() -> None:
    data = example("saas/tally-invoicing")
    data["business"].update(city="Online", address="12 Harbour Street")
    _, _, text = await written("saas", data)
    assert "Online" not in text  # ("online", lower case, is how it says where it works)
