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


def _page(
    template: TemplateManifest, page_id: str, path: str, title: str, nav: str, sections: list[str]
) -> WireframePage:
    return WireframePage(
        page_id=page_id,
        path=path,
        title=title,
        nav_label=nav,
        sections=[WireframeSection(section=s, purpose=_purpose(template, s)) for s in sections],
    )


def wireframe(site_map: Sitemap, template: TemplateManifest) -> Wireframe:
    pages = [
        _page(template, p.id, p.path, p.title, p.nav_label, p.sections) for p in site_map.pages
    ]
    return Wireframe(template_id=template.id, pages=pages)


def wireframe_from_layout(
    layout: LayoutPlan, template: TemplateManifest, titles: dict[str, str] | None = None
) -> Wireframe:
    """The wireframe a layout plan builds: after a revision adds a page or a section, the
    layout is where the structure changed. `titles` keeps the pages' titles from the sitemap
    (a page without one is titled by its menu label)."""
    titles = titles or {}
    pages = [
        _page(
            template,
            p.page_id,
            p.path,
            titles.get(p.page_id, p.nav_label),
            p.nav_label,
            [s.section for s in p.sections],
        )
        for p in layout.pages
    ]
    return Wireframe(template_id=template.id, pages=pages)


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
