"""Deterministic copywriter: real, specific copy from onboarding facts and phrase banks.

Phrases are chosen per slot by a hash of the business, so the same onboarding always
yields the same words and two businesses with the same tone still read differently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from sitegen.contracts.onboarding import Locale
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
from sitegen.integrations.ai import copy_en, copy_pt


def lower_first(text: str) -> str:
    """'Sports massage' -> 'sports massage' mid-sentence, but keep 'SaaS' or 'iFix'."""
    word = text.split(" ", 1)[0]
    if len(word) > 1 and word[1:].islower() and word[0].isupper():
        return text[0].lower() + text[1:]
    return text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(?:\s|$)", text.strip(), re.DOTALL)
    return (match.group(1) if match else text.strip()).strip()


def after_first_sentence(text: str) -> str:
    return text.strip()[len(first_sentence(text)) :].strip()


def ensure_period(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def clip(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis, for meta tags with hard length limits."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


class Voice:
    """Phrase picker bound to one spec: its locale bank, tone and seed."""

    def __init__(self, spec: SiteSpec) -> None:
        self.spec = spec
        self.bank: ModuleType = copy_pt if spec.locale is Locale.PT_BR else copy_en
        self.seed = f"{spec.business.name}|{spec.business.industry}|{spec.tone.value}"
        self.facts = self._facts()

    def choose(self, slot: str, options: Sequence[str]) -> str:
        digest = hashlib.sha256(f"{self.seed}|{slot}".encode()).digest()
        return options[int.from_bytes(digest[:4], "big") % len(options)]

    def fmt(self, template: str, **extra: str) -> str:
        text = template.format(**{**self.facts, **extra})
        # A phrase that opens with a lower-cased fact ('{industry} ...') still starts with
        # a capital; fragments written in lower case ('in {city}') stay as they are.
        return upper_first(text) if template.startswith("{") else text

    def tone(self, slot: str) -> str:
        return self.fmt(self.choose(slot, self.bank.TONE[self.spec.tone][slot]))

    def shared(self, slot: str, **extra: str) -> str:
        return self.fmt(self.choose(slot, self.bank.SHARED[slot]), **extra)

    def word(self, key: str, **extra: str) -> str:
        return self.fmt(self.bank.WORDS[key], **extra)

    def join(self, items: Sequence[str]) -> str:
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.bank.WORDS['and']} {items[-1]}"

    def _facts(self) -> dict[str, str]:
        spec, biz = self.spec, self.spec.business
        services = self.join([lower_first(s.name) for s in spec.services[:3]])
        hours = "; ".join(f"{h.days} {h.hours}" for h in biz.opening_hours)
        facts = {
            "name": biz.name,
            "city": biz.city,
            "industry": lower_first(biz.industry),
            "industry_lower": lower_first(biz.industry),
            "services": services,
            "first_service": lower_first(spec.services[0].name),
            "audience": ensure_period(spec.audience.description),
            "audience_lc": lower_first(ensure_period(spec.audience.description)),
            "pains": self.join([lower_first(p) for p in spec.audience.pains[:3]]),
            "hours": hours,
            "phone": biz.phone,
            "email": str(biz.email),
            "first_sentence": first_sentence(biz.description),
            "address": biz.address or "",
        }
        bank = self.bank.WORDS
        facts["services_sentence"] = bank["services_sentence"].format(**facts)
        facts["location"] = (
            bank["location_address"] if biz.address else bank["location_city"]
        ).format(**facts)
        # Only a business with an address asks to be visited.
        facts["visit"] = bank["visit"].format(**facts) if biz.address else ""
        facts["hours_sentence"] = (bank["hours_sentence"] if hours else bank["no_hours"]).format(
            **facts
        )
        return facts


def _hero_home(v: Voice, page_ids: Sequence[str]) -> HeroSection:
    biz = v.spec.business
    target = "contact" if "contact" in page_ids else "home"
    secondary = next((p for p in ("services", "about") if p in page_ids), None)
    return HeroSection(
        eyebrow=f"{upper_first(biz.industry)} · {biz.city}",
        heading=biz.tagline or v.tone("hero_heading"),
        subheading=f"{first_sentence(biz.description)} {v.tone('hero_close')}",
        cta_label=v.tone("cta"),
        cta_page=target,
        secondary_label=v.shared("secondary") if secondary else None,
        secondary_page=secondary,
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
    # "1 services" reads as a mistake: one service gets its own sentence.
    highlights.append(
        v.word("services_count_one") if count == 1 else v.word("services_count", count=str(count))
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
                for p in ("contact", "services", "about", "faq", "home")
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
        v.fmt(b["goal_local"]),
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
