"""A revert as a revision: an earlier version of one artifact put back (as a new version),
with the patch that turns the site's files into it. Nothing is asked of a model; the files
are written by the same renderer as the offline AI's, so the patch is exact, and the result
goes through the same gates and the same build as any revision."""

from __future__ import annotations

from sitegen.contracts.design import HistoryArtifact, StyleGuide, Wireframe
from sitegen.contracts.revision import SiteRevision
from sitegen.contracts.site import (
    CodePatch,
    LayoutPlan,
    SectionPlacement,
    SiteContent,
    Sitemap,
    SiteSpec,
)
from sitegen.integrations.ai.offline import RENDERERS, rerender_patch
from sitegen.integrations.ai.site_files import PAGES_DIR
from sitegen.templates_registry import TemplateManifest

Restored = SiteSpec | StyleGuide | SiteContent | Wireframe


class RevertRefused(ValueError):
    """The earlier version does not fit the site as it is now; the message says why."""


def _layout_for(frame: Wireframe, layout: LayoutPlan, template: TemplateManifest) -> LayoutPlan:
    """The current layout with each page's sections as the wireframe orders them; a section
    keeps its variant, one the page no longer has gets the template's first."""
    if {p.page_id for p in frame.pages} != {p.page_id for p in layout.pages}:
        raise RevertRefused(
            "that wireframe has other pages than the site now; roll back to a version "
            "built from it instead"
        )
    pages = []
    for page in layout.pages:
        planned = next(p for p in frame.pages if p.page_id == page.page_id)
        variants = {s.section: s.variant for s in page.sections}
        placements = []
        for s in planned.sections:
            section = template.section(s.section)
            if section is None:
                raise RevertRefused(f"the template no longer has a {s.section!r} section")
            placements.append(
                SectionPlacement(
                    section=s.section, variant=variants.get(s.section, section.variants[0])
                )
            )
        pages.append(page.model_copy(update={"sections": placements}))
    return LayoutPlan(pages=pages)


def _check_copy(content: SiteContent, layout: LayoutPlan) -> None:
    """Every page of the layout has copy, and every section it places has its words."""
    have = {p.page_id: {s.type for s in p.sections} for p in content.pages}
    for page in layout.pages:
        if page.page_id not in have:
            raise RevertRefused(f"that version has no copy for the page {page.page_id!r}")
        missing = [s.section for s in page.sections if s.section not in have[page.page_id]]
        if missing:
            raise RevertRefused(
                f"that version has no copy for {', '.join(missing)} on {page.page_id!r}"
            )


def revert(
    artifact: HistoryArtifact,
    restored: Restored | Sitemap,
    label: str,
    spec: SiteSpec,
    content: SiteContent,
    layout: LayoutPlan,
    files: dict[str, str],
    template: TemplateManifest,
) -> SiteRevision:
    """The site after putting `restored` back. Raises RevertRefused when it cannot be."""
    new_spec, new_content, new_layout = spec, content, layout
    if isinstance(restored, SiteSpec) and artifact is HistoryArtifact.SPEC:
        new_spec = restored
    elif isinstance(restored, StyleGuide):
        new_spec = spec.model_copy(update={"design": restored.brand})
    elif isinstance(restored, SiteContent):
        new_content = restored
    elif isinstance(restored, Wireframe):
        new_layout = _layout_for(restored, layout, template)
    else:
        raise RevertRefused(
            "the sitemap is the plan the site was built from; roll back to a version built "
            "from it instead"
        )
    _check_copy(new_content, new_layout)
    if template.id not in RENDERERS:
        raise RevertRefused(f"reverts are not available for the template {template.id!r}")
    diff, touched = rerender_patch(
        template, (spec, content, layout), (new_spec, new_content, new_layout), files
    )
    if not touched:
        raise RevertRefused("the site already looks like that version; nothing to change")
    prefix = f"{PAGES_DIR}/"
    summary = f"Put back {label}"
    return SiteRevision(
        accepted=True,
        summary=summary,
        changes=[summary],
        spec=new_spec,
        content=new_content,
        layout=new_layout,
        patch=CodePatch(diff=diff, paths=touched, summary=f"Revert: {label}"),
        pages_touched=[p[len(prefix) : -len(".json")] for p in touched if p.startswith(prefix)],
    )
