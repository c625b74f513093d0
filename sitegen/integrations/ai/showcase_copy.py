"""Copy for the sections only some templates offer: a product's features and pricing (saas),
a studio's work and case studies (portfolio). Every word comes from the onboarding or the
phrase banks; a section with no facts behind it is never written (planning drops it)."""

from __future__ import annotations

from collections.abc import Sequence

from sitegen.contracts.site import (
    CaseStudiesSection,
    FeatureItem,
    FeaturesSection,
    PlanItem,
    PricingSection,
    SectionContent,
    SitemapPage,
    WorkSection,
)
from sitegen.integrations.ai.voice import Voice

KINDS = frozenset({"features", "pricing", "work", "case-studies"})
# The home page shows a taste of the work; the work page shows all of it.
HOME_WORK = 3


def section(v: Voice, kind: str, page: SitemapPage, page_ids: Sequence[str]) -> SectionContent:
    if kind == "features":
        return _features(v, page)
    if kind == "pricing":
        return _pricing(v, page_ids)
    if kind == "work":
        return _work(v, page, page_ids)
    if kind == "case-studies":
        return _case_studies(v)
    raise ValueError(f"no copy for section type {kind!r}")


def _features(v: Voice, page: SitemapPage) -> FeaturesSection:
    items = [FeatureItem(name=s.name, description=s.description) for s in v.spec.services]
    full = page.id != "home" or len(items) > 2
    return FeaturesSection(
        heading=v.shared("features_heading"),
        intro=v.shared("features_intro") if full else None,
        items=items,
    )


def _pricing(v: Voice, page_ids: Sequence[str]) -> PricingSection:
    # A blank period on the form ('') means none.
    plans = [PlanItem(**{**p.model_dump(), "period": p.period or None}) for p in v.spec.plans]
    target = "contact" if "contact" in page_ids else "home"
    return PricingSection(
        heading=v.shared("pricing_heading"),
        intro=v.shared("pricing_intro"),
        plans=plans,
        cta_label=v.shared("plan_cta"),
        cta_page=target,
    )


def _work(v: Voice, page: SitemapPage, page_ids: Sequence[str]) -> WorkSection:
    pieces = list(v.spec.projects)
    more_label = more_page = None
    if page.id == "home" and "work" in page_ids and len(pieces) > HOME_WORK:
        pieces, more_label, more_page = pieces[:HOME_WORK], v.shared("work_all"), "work"
    elif "case-studies" in page_ids and page.id != "case-studies":
        more_label, more_page = v.shared("work_more"), "case-studies"
    return WorkSection(
        heading=v.shared("work_heading"),
        intro=v.shared("work_intro") if page.id != "home" else None,
        items=pieces,
        more_label=more_label,
        more_page=more_page,
    )


def _case_studies(v: Voice) -> CaseStudiesSection:
    return CaseStudiesSection(
        heading=v.shared("case_studies_heading"),
        intro=v.shared("case_studies_intro"),
        items=[p for p in v.spec.projects if p.is_case_study],
    )
