"""A wireframe from the sitemap: each page's sections in order, each with what it is for
(the template's description of the section). The layout plan places the same sections in
the same order, so the wireframe the client signs off is the structure that gets built."""

from __future__ import annotations

from sitegen.contracts.design import Wireframe, WireframePage, WireframeSection
from sitegen.contracts.site import LayoutPlan, Sitemap
from sitegen.templates_registry import TemplateManifest


def _purpose(template: TemplateManifest, section: str) -> str:
    found = template.section(section)
    if found is None:
        raise ValueError(f"template {template.id!r} has no section {section!r}")
    return found.description or section.replace("-", " ").capitalize()


def wireframe(site_map: Sitemap, template: TemplateManifest) -> Wireframe:
    return Wireframe(
        template_id=template.id,
        pages=[
            WireframePage(
                page_id=page.id,
                path=page.path,
                title=page.title,
                nav_label=page.nav_label,
                sections=[
                    WireframeSection(section=s, purpose=_purpose(template, s))
                    for s in page.sections
                ],
            )
            for page in site_map.pages
        ],
    )


def wireframe_from_layout(
    layout: LayoutPlan, template: TemplateManifest, titles: dict[str, str] | None = None
) -> Wireframe:
    """The wireframe a layout plan builds: after a revision adds a page or a section, the
    layout is where the structure changed. `titles` keeps the pages' titles from the sitemap
    (a page without one is titled by its menu label)."""
    titles = titles or {}
    return Wireframe(
        template_id=template.id,
        pages=[
            WireframePage(
                page_id=page.page_id,
                path=page.path,
                title=titles.get(page.page_id, page.nav_label),
                nav_label=page.nav_label,
                sections=[
                    WireframeSection(section=p.section, purpose=_purpose(template, p.section))
                    for p in page.sections
                ],
            )
            for page in layout.pages
        ],
    )


def follows(layout: LayoutPlan, frame: Wireframe) -> list[str]:
    """Where a layout plan leaves its wireframe: pages or sections missing, added or moved."""
    problems = []
    planned = {p.page_id: [s.section for s in p.sections] for p in frame.pages}
    placed = {p.page_id: [s.section for s in p.sections] for p in layout.pages}
    for page_id in planned.keys() - placed.keys():
        problems.append(f"page {page_id!r} of the wireframe has no layout")
    for page_id in placed.keys() - planned.keys():
        problems.append(f"page {page_id!r} is not in the wireframe")
    for page_id in planned.keys() & placed.keys():
        if planned[page_id] != placed[page_id]:
            problems.append(
                f"page {page_id!r}: the layout places {placed[page_id]}, "
                f"the wireframe plans {planned[page_id]}"
            )
    return sorted(problems)
