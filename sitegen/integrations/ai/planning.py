"""Deterministic planning: onboarding -> SiteSpec, SiteSpec -> Sitemap and LayoutPlan."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sitegen.contracts.onboarding import Locale, Onboarding, Project, Tone
from sitegen.contracts.site import (
    DesignTokens,
    LayoutPlan,
    PageLayout,
    SectionPlacement,
    Seo,
    Sitemap,
    SitemapPage,
    SiteSpec,
    WorkPiece,
)
from sitegen.integrations.ai import copy_en, copy_pt
from sitegen.templates_registry import TemplateManifest

# Fallback stacks per tone: no web fonts are fetched (previews build offline), so the
# named font is used where installed and these system stacks keep the mood elsewhere.
# Honest system font stacks: the sites load no web fonts, so they name only fonts that
# visitors' systems have (a named font nobody ships is a promise the page never keeps).
HEADING_STACKS: dict[Tone, str] = {
    Tone.FRIENDLY: '"Segoe UI", "Helvetica Neue", Arial, sans-serif',
    Tone.PROFESSIONAL: '"Segoe UI", "Helvetica Neue", Arial, sans-serif',
    Tone.PLAYFUL: '"Trebuchet MS", "Segoe UI", sans-serif',
    Tone.LUXURY: 'Georgia, "Times New Roman", serif',
    Tone.TECHNICAL: '"Segoe UI", Roboto, Arial, sans-serif',
}
# Fonts a client may name that systems actually have.
SYSTEM_FONTS = frozenset(
    {"arial", "helvetica", "helvetica neue", "georgia", "times new roman", "verdana", "tahoma",
     "trebuchet ms", "segoe ui", "roboto", "palatino", "garamond", "courier new", "system-ui"}
)  # fmt: skip
BODY_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
SERIF_BODY_STACK = 'Georgia, "Iowan Old Style", "Times New Roman", serif'
RADIUS: dict[Tone, int] = {
    Tone.FRIENDLY: 16,
    Tone.PROFESSIONAL: 8,
    Tone.PLAYFUL: 22,
    Tone.LUXURY: 2,
    Tone.TECHNICAL: 6,
}
BACKGROUND: dict[Tone, str] = {
    Tone.FRIENDLY: "#fffdf8",
    Tone.PROFESSIONAL: "#ffffff",
    Tone.PLAYFUL: "#fffaf5",
    Tone.LUXURY: "#fbf9f6",
    Tone.TECHNICAL: "#fbfcfd",
}


def _hex6(colour: str) -> str:
    colour = colour.lower()
    if len(colour) == 4:  # '#abc' -> '#aabbcc'
        colour = "#" + "".join(c * 2 for c in colour[1:])
    return colour


def site_spec(onboarding: Onboarding, template: TemplateManifest) -> SiteSpec:
    style = onboarding.style
    heading = HEADING_STACKS[style.tone]
    if style.font and style.font.strip().lower() in SYSTEM_FONTS:
        heading = f'"{style.font}", {heading}'
    # Keep the template's page order; pages the template does not offer are dropped, and so
    # are pages with nothing to show (the onboarding check refuses asking for those).
    wanted = set(onboarding.pages) | {"home"}
    pages = [
        p.id
        for p in template.pages
        if (p.id in wanted or p.required) and all(_has(onboarding, n) for n in p.needs)
    ]
    logo = onboarding.logo
    return SiteSpec(
        template_id=template.id,
        locale=onboarding.locale,
        tone=style.tone,
        subdomain=onboarding.subdomain,
        business=onboarding.business,
        audience=onboarding.audience,
        services=onboarding.services,
        testimonials=onboarding.testimonials,
        faq=onboarding.faq,
        plans=onboarding.plans,
        projects=[_work_piece(onboarding, project) for project in onboarding.projects],
        pages=pages,
        design=DesignTokens(
            primary=_hex6(style.primary_color),
            secondary=_hex6(style.secondary_color),
            background=BACKGROUND[style.tone],
            text="#1d2026",
            heading_font=heading,
            body_font=SERIF_BODY_STACK if style.tone is Tone.LUXURY else BODY_STACK,
            radius_px=RADIUS[style.tone],
        ),
        seo=Seo(keywords=onboarding.seo_keywords),
        has_logo=logo is not None,
        logo_alt=logo.alt if logo else None,
    )


def available_pages(template: TemplateManifest, onboarding: Onboarding) -> list[str]:
    """Every page of the template this onboarding has something to show on."""
    return [p.id for p in template.pages if all(_has(onboarding, n) for n in p.needs)]


def _has(onboarding: Onboarding, need: str) -> bool:
    if need == "case_studies":
        return any(p.is_case_study for p in onboarding.projects)
    return bool(getattr(onboarding, need))


def _work_piece(onboarding: Onboarding, project: Project) -> WorkPiece:
    image = onboarding.assets[project.image] if project.image is not None else None
    return WorkPiece(
        **project.model_dump(exclude={"image"}),
        # Named as the assets step stores it: by the asset's place in the form.
        image=f"image-{project.image}" if image else None,
        image_alt=image.alt if image else None,
    )


def page_sections(spec: SiteSpec, page_id: str, default: Sequence[str]) -> list[str]:
    """The template's default order, minus sections with nothing to say on this page."""
    pages = set(spec.pages)
    empty = {
        "testimonials": not spec.testimonials,
        "pricing": not spec.plans,
        "work": not spec.projects,
        "case-studies": not any(p.is_case_study for p in spec.projects),
    }
    keep: list[str] = []
    for section in default:
        if empty.get(section, False):
            continue
        # FAQ, contact and pricing live on their own pages when those exist.
        if section in ("faq", "contact", "pricing") and section in pages and page_id != section:
            continue
        if section == "cta" and not (pages - {page_id}):
            continue
        keep.append(section)
    return keep


def sitemap(spec: SiteSpec, template: TemplateManifest) -> Sitemap:
    nav = (copy_pt if spec.locale is Locale.PT_BR else copy_en).NAV
    pages = []
    for page_id in spec.pages:
        tpl_page = template.page(page_id)
        if tpl_page is None:
            raise ValueError(f"template {template.id!r} has no page {page_id!r}")
        label = nav.get(page_id, page_id.replace("-", " ").title())
        pages.append(
            SitemapPage(
                id=page_id,
                path="index.html" if page_id == "home" else f"{page_id}.html",
                title=spec.business.name if page_id == "home" else label,
                nav_label=label,
                sections=page_sections(spec, page_id, tpl_page.sections),
            )
        )
    return Sitemap(pages=pages)


def _variant(spec: SiteSpec, page_id: str, section: str, variants: Sequence[str]) -> str:
    if section == "hero":
        # Inner pages get the compact band so the home hero stays the statement piece.
        if page_id != "home" and "compact" in variants:
            return "compact"
        variants = [v for v in variants if v != "compact"] or list(variants)
        if spec.tone is Tone.LUXURY and "centered" in variants:
            return "centered"
    if section == "testimonials" and len(spec.testimonials) == 1 and "spotlight" in variants:
        return "spotlight"
    if section == "services" and page_id == "home" and "cards" in variants:
        return "cards"
    key = f"{spec.business.name}|{section}|{page_id}".encode()
    index = int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % len(variants)
    return variants[index]


def layout_plan(spec: SiteSpec, site_map: Sitemap, template: TemplateManifest) -> LayoutPlan:
    pages = []
    for page in site_map.pages:
        placements = []
        for section in page.sections:
            tpl_section = template.section(section)
            if tpl_section is None:
                raise ValueError(f"template {template.id!r} has no section {section!r}")
            variant = _variant(spec, page.id, section, tpl_section.variants)
            placements.append(SectionPlacement(section=section, variant=variant))
        pages.append(
            PageLayout(
                page_id=page.id, path=page.path, nav_label=page.nav_label, sections=placements
            )
        )
    return LayoutPlan(pages=pages)
