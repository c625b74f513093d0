"""Deterministic copywriter: real, specific copy from onboarding facts and phrase banks.

Each section of a page gets its words from the site's `Voice`; the sections only some
templates offer (features, pricing, work, case studies) are written in `showcase_copy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sitegen.contracts.site import (
    AboutSection,
    ContactSection,
    CtaSection,
    FaqEntry,
    FaqSection,
    HeroSection,
    OpenGraph,
    PageContent,
    SectionContent,
    ServiceItem,
    ServicesSection,
    SitemapPage,
    SiteSpec,
    TestimonialItem,
    TestimonialsSection,
)
from sitegen.integrations.ai import showcase_copy
from sitegen.integrations.ai.voice import (
    Voice,
    after_first_sentence,
    clip,
    first_sentence,
    upper_first,
)

__all__ = ["Voice", "brief_markdown", "clip", "faq_entries", "first_sentence", "page_content"]


# The home hero's second button: the page that best shows what the business does.
_SECONDARY = (("services", "secondary"), ("features", "secondary_features"),
              ("work", "secondary_work"), ("about", "secondary_about"))  # fmt: skip


def _hero_home(v: Voice, page_ids: Sequence[str]) -> HeroSection:
    biz = v.spec.business
    target = "contact" if "contact" in page_ids else "home"
    secondary = next(((p, slot) for p, slot in _SECONDARY if p in page_ids), None)
    eyebrow = upper_first(biz.industry) + (f" · {biz.city}" if v.has_place else "")
    return HeroSection(
        eyebrow=eyebrow,
        heading=biz.tagline or v.tone("hero_heading"),
        subheading=f"{first_sentence(biz.description)} {v.tone('hero_close')}",
        cta_label=v.tone("cta"),
        cta_page=target,
        secondary_label=v.shared(secondary[1]) if secondary else None,
        secondary_page=secondary[0] if secondary else None,
    )


def _hero_inner(v: Voice, page: SitemapPage, page_ids: Sequence[str]) -> HeroSection:
    heading, lead = v.bank.PAGE_HERO[page.id]
    # On the contact page itself the button jumps to the details below (rendered '#contact').
    target = "contact" if "contact" in page_ids else "home"
    label = v.tone("cta") if target == "contact" else v.bank.NAV["home"]
    return HeroSection(
        heading=v.fmt(heading), subheading=v.fmt(lead), cta_label=label, cta_page=target
    )


def _services(v: Voice, full: bool) -> ServicesSection:
    items = [
        ServiceItem(name=s.name, description=s.description, price=s.price or None)
        for s in v.spec.services
    ]
    return ServicesSection(
        heading=v.tone("services_heading"),
        intro=v.shared("services_intro") if full or len(items) > 2 else None,
        items=items,
    )


def _about(v: Voice, full: bool) -> AboutSection:
    spec = v.spec
    description = spec.business.description
    if full:
        paragraphs = [description, v.shared("about_audience")]
        if spec.audience.pains:
            paragraphs.append(v.shared("about_pains"))
    else:
        # The home hero already opens with the first sentence; do not say it twice.
        paragraphs = [after_first_sentence(description) or description, v.shared("about_audience")]
    highlights = [v.tone("promise"), v.word("city_highlight")]
    if spec.business.opening_hours:
        first = spec.business.opening_hours[0]
        highlights.append(v.word("hours_highlight", hours=f"{first.days}, {first.hours}"))
    count = len(spec.services)
    # "1 services" reads as a mistake: one service gets its own sentence. A product's
    # services are its features, not a menu to choose from: no count there.
    if spec.template_id != "saas":
        highlights.append(
            v.word("services_count_one")
            if count == 1
            else v.word("services_count", count=str(count))
        )
    if spec.testimonials:
        highlights.append(v.word("testimonial_highlight"))
    return AboutSection(
        heading=v.tone("about_heading"), paragraphs=paragraphs, highlights=highlights
    )


def faq_entries(v: Voice) -> list[FaqEntry]:
    if v.spec.faq:
        return [FaqEntry(question=f.question, answer=f.answer) for f in v.spec.faq]
    biz = v.spec.business
    unknown = ([] if biz.opening_hours else ["{hours_sentence}"]) + (
        [] if biz.address else ["{location}"]
    )
    return [
        FaqEntry(question=v.fmt(q), answer=v.fmt(a))
        for q, a in v.bank.FAQ_TEMPLATES
        # No hours or no address given: no question about them (no invented answers).
        if not any(fact in a for fact in unknown)
    ]


def _section(v: Voice, kind: str, page: SitemapPage, page_ids: Sequence[str]) -> SectionContent:
    spec, full = v.spec, page.id != "home"
    if kind in showcase_copy.KINDS:
        return showcase_copy.section(v, kind, page, page_ids)
    if kind == "hero":
        return _hero_home(v, page_ids) if page.id == "home" else _hero_inner(v, page, page_ids)
    if kind == "services":
        return _services(v, full)
    if kind == "about":
        return _about(v, full or "about" not in page_ids)
    if kind == "testimonials":
        items = [
            TestimonialItem(quote=t.quote, author=t.author, role=t.role) for t in spec.testimonials
        ]
        return TestimonialsSection(heading=v.shared("testimonials_heading"), items=items)
    if kind == "faq":
        return FaqSection(heading=v.shared("faq_heading"), items=faq_entries(v))
    if kind == "cta":
        # Point the call to action at the most useful other page; a one-page site
        # (or one whose only other page is this one) points back at itself.
        target = next(
            (
                p
                for p in (
                    "contact",
                    "pricing",
                    "services",
                    "features",
                    "work",
                    "about",
                    "faq",
                    "home",
                )
                if p in page_ids and p != page.id
            ),
            page.id,
        )
        label = v.tone("cta") if target == "contact" else v.bank.NAV[target]
        return CtaSection(
            heading=v.tone("cta_heading"),
            text=v.tone("cta_text"),
            button_label=label,
            button_page=target,
        )
    if kind == "contact":
        return ContactSection(
            heading=v.tone("contact_heading"),
            intro=v.shared("contact_intro"),
            call_label=v.word("call", phone=spec.business.phone),
            email_label=v.word("email"),
        )
    raise ValueError(f"no copy for section type {kind!r}")


# Where each kind of section takes its heading from, so a clash can pick another.
_HEADING_SLOTS = {
    "about": ("tone", "about_heading"),
    "services": ("tone", "services_heading"),
    "cta": ("tone", "cta_heading"),
    "faq": ("shared", "faq_heading"),
    "testimonials": ("shared", "testimonials_heading"),
    "features": ("shared", "features_heading"),
    "pricing": ("shared", "pricing_heading"),
    "work": ("shared", "work_heading"),
    "case-studies": ("shared", "case_studies_heading"),
}


def _distinct_headings(
    v: Voice, kinds: Sequence[str], sections: list[SectionContent]
) -> list[SectionContent]:
    """No two sections of a page share a heading: each names a region, and two regions named
    alike ("About X" in the hero and again below) confuse screen readers."""
    seen: set[str] = set()
    out: list[SectionContent] = []
    for kind, section in zip(kinds, sections, strict=True):
        heading = getattr(section, "heading", None)
        if heading in seen and kind in _HEADING_SLOTS:
            where, slot = _HEADING_SLOTS[kind]
            bank = v.bank.TONE[v.spec.tone] if where == "tone" else v.bank.SHARED
            other = next((h for h in map(v.fmt, bank[slot]) if h not in seen), None)
            if other is not None:
                section = section.model_copy(update={"heading": other})
                heading = other
        if heading:
            seen.add(heading)
        out.append(section)
    return out


def page_content(spec: SiteSpec, page: SitemapPage, page_ids: Sequence[str]) -> PageContent:
    v = Voice(spec)
    sections = _distinct_headings(
        v, page.sections, [_section(v, kind, page, page_ids) for kind in page.sections]
    )
    biz = spec.business
    if page.id == "home":
        title = f"{biz.name} — {upper_first(biz.industry)} {v.word('in_city')}"
        meta = v.shared("meta_home")
    else:
        title = f"{page.title} | {biz.name}"
        meta = v.word("meta_page", heading=page.title) + " " + first_sentence(biz.description)
    og_description = clip(biz.tagline or first_sentence(biz.description), 200)
    return PageContent(
        page_id=page.id,
        title=clip(title, 60),  # what a search result shows
        meta_description=clip(meta, 160),
        og=OpenGraph(title=clip(title, 300), description=og_description),
        sections=sections,
    )


def brief_markdown(spec: SiteSpec, page_titles: Sequence[str]) -> dict[str, Any]:
    """The creative brief as Markdown plus its structured fields."""
    v = Voice(spec)
    b, biz = v.bank.BRIEF, spec.business
    proof = b["proof_testimonials"] if spec.testimonials else b["proof_facts"]
    goals = [
        v.fmt(b["goal_contact"]),
        v.fmt(b["goal_services"], count=str(len(spec.services))),
        v.fmt(b["goal_trust"], proof=proof),
        v.fmt(b["goal_local"] if v.has_place else v.bank.PLACELESS_WORDS["goal_local"]),
    ]
    messages = [
        biz.tagline or v.tone("hero_heading"),
        first_sentence(biz.description),
        v.tone("promise"),
    ]
    ctas = [v.tone("cta"), v.word("call", phone=biz.phone)]
    voice = v.word("voice", tone=spec.tone.value, adjectives=v.bank.TONE_ADJECTIVES[spec.tone])
    lines = [f"# {v.bank.WORDS['brief_title']}: {biz.name}", ""]
    lines += [f"## {b['business']}", "", biz.description, ""]
    lines += [f"## {b['audience']}", "", spec.audience.description, ""]
    if spec.audience.pains:
        lines += [f"### {b['pains']}", "", *(f"- {p}" for p in spec.audience.pains), ""]
    for heading, items in (("goals", goals), ("messages", messages), ("pages", page_titles)):
        lines += [f"## {b[heading]}", "", *(f"- {i}" for i in items), ""]
    lines += [f"## {b['voice']}", "", voice, ""]
    lines += [f"## {b['ctas']}", "", *(f"- {c}" for c in ctas), ""]
    return {
        "markdown": "\n".join(lines),
        "goals": goals,
        "key_messages": [clip(m, 300) for m in messages],
        "calls_to_action": [clip(c, 80) for c in ctas],
        "voice": voice,
    }
