"""Applying typed edits to a site's artifacts, in place.

Only what an edit names changes: copy is never regenerated from the spec, so a headline the
client rewrote in one revision survives the next. The only copy written fresh is for pages
and sections the new page set needs, from the revised spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sitegen.contracts import site as s
from sitegen.contracts.onboarding import Business, FaqItem, OpeningHours, Service
from sitegen.integrations.ai import copywriting, planning
from sitegen.integrations.ai import revision_words as w
from sitegen.integrations.ai import revisions as r
from sitegen.integrations.ai.revision_words import Refusal, norm, refuse
from sitegen.templates_registry import TemplateManifest

M = TypeVar("M", bound=BaseModel)
# The contracts' limits, named so a refusal can say them (keys are message nouns).
LIMITS = {"headline": 300, "intro": 4000, "paragraph": 4000, "price": 40, "address": 500}
LIMITS |= {"service name": 120, "service description": 500, "question": 500, "answer": 4000}
LIMITS |= {"phone": 500, "email": 500, "hours": 500}  # the contracts check these exactly
MAX_SERVICES, MAX_FAQ = 12, 20


@dataclass(frozen=True)
class Revised:
    spec: s.SiteSpec
    content: s.SiteContent | None
    layout: s.LayoutPlan | None
    changes: list[str]


@dataclass
class Draft:
    """The artifacts being revised; `pages`/`layout` are None at the plan stage."""

    spec: s.SiteSpec
    pages: list[s.PageContent] | None
    layout: list[s.PageLayout] | None
    template: TemplateManifest
    affected: list[str]
    changes: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # edits that would change nothing

    def say(self, key: str, **args: object) -> str:
        return w.say(self.spec.locale, key, **args)

    def name(self, page_id: str) -> str:
        return w.page_name(self.spec.locale, page_id)

    def names(self, page_ids: Sequence[str]) -> str:
        return ", ".join(self.name(p) for p in page_ids)


def update(model: M, **changes: Any) -> M:
    """A validated copy: `model_copy(update=...)` would skip the contracts' limits."""
    return type(model).model_validate({**dict(model), **changes})


def apply(
    edits: Sequence[r.Edit],
    spec: s.SiteSpec,
    content: s.SiteContent | None,
    layout: s.LayoutPlan | None,
    template: TemplateManifest,
    affected: Sequence[str] = (),
) -> Revised | Refusal:
    """All edits or none (the first refusal wins). `content` and `layout` are None at the
    plan stage, before any copy exists; `affected` scopes page-specific edits."""
    pages, plans = (list(content.pages), list(layout.pages)) if content and layout else (None, None)
    d = Draft(spec, pages, plans, template, list(affected))
    # Additions first, so "remove X; add Y" on a one-service site replaces instead of failing.
    try:
        for edit in sorted(edits, key=lambda e: isinstance(e, r.RemoveService)):
            if refused := HANDLERS[type(edit)](d, edit):
                return refused
        _sync_spec(spec, d)
        if d.pages is not None:
            _sync_pages(spec, d)
            if d.spec.pages != spec.pages:
                _restructure(d)
            if any(isinstance(e, r.AddFaq) for e in edits) and not _sections(d, s.FaqSection):
                return refuse("faq_nowhere")
        new_content = s.SiteContent(pages=d.pages) if d.pages is not None else None
        new_layout = s.LayoutPlan(pages=d.layout) if d.layout is not None else None
    except ValidationError as exc:
        return refuse("invalid", detail=exc.errors()[0]["msg"][:200])
    if not d.changes:
        return refuse("same", detail="; ".join(d.same) or d.say("same_site"))
    return Revised(d.spec, new_content, new_layout, d.changes)


def _check(text: str | None, what: str) -> Refusal | None:
    if text and ("<" in text or ">" in text):  # plain text only, whatever the template escapes
        return refuse("injection")
    if text and len(text) > LIMITS[what]:
        return refuse("too_long", what=w.Term(what), length=len(text), limit=LIMITS[what])
    return None


def _targets(d: Draft, named: str | None, default: str) -> list[str] | Refusal:
    """Pages a page-specific edit goes to: the one named, else ask.affected_pages."""
    existing = [p.page_id for p in d.pages or []]
    for page in [named] if named else d.affected:
        if page not in existing:
            return refuse("no_such_page", page=d.name(page), pages=d.names(existing))
        if d.affected and page not in d.affected:
            return refuse("not_affected", page=d.name(page), pages=d.names(d.affected))
    if named or d.affected:
        return [named] if named else list(d.affected)
    return [default if default in existing else "home"]


def _sections(d: Draft, kind: type[M]) -> list[tuple[int, M]]:
    """(page index, section) for every section of this kind, in page order."""
    return [(i, x) for i, p in enumerate(d.pages or []) for x in p.sections if isinstance(x, kind)]


def _put(d: Draft, index: int, section: s.SectionContent) -> None:
    assert d.pages is not None
    sections = [section if x.type == section.type else x for x in d.pages[index].sections]
    d.pages[index] = update(d.pages[index], sections=sections)


def _colour(d: Draft, e: r.SetColour) -> Refusal | None:
    old = getattr(d.spec.design, e.role)
    if old == e.value:
        d.same.append(d.say("same_colour", role=w.Term(e.role), value=e.value))
        return None
    d.spec = update(d.spec, design=update(d.spec.design, **{e.role: e.value}))
    name = f" ({e.name})" if e.name else ""
    role = w.Term(e.role.title())
    d.changes.append(d.say("ch_colour", role=role, old=old, new=e.value, name=name))
    return None


_HERO_PARTS = {"headline": ("heading", "ch_headline"), "intro": ("subheading", "ch_subheading")}


def _text(d: Draft, e: r.SetText) -> Refusal | None:
    if d.pages is None:
        return refuse("plan_content")
    what = e.part if isinstance(e.part, str) else "paragraph"
    if refused := _check(e.text, what):
        return refused
    # "The second paragraph" means the story text: the about page when there is one.
    targets = _targets(d, e.page, "home" if isinstance(e.part, str) else "about")
    if isinstance(targets, Refusal):
        return targets
    for page_id in targets:
        index = next(i for i, p in enumerate(d.pages) if p.page_id == page_id)
        kind = s.AboutSection if isinstance(e.part, int) else s.HeroSection
        section = next((x for x in d.pages[index].sections if isinstance(x, kind)), None)
        name, text = d.name(page_id), copywriting.clip(e.text, 120)
        if isinstance(section, s.HeroSection):
            attr, key = _HERO_PARTS[str(e.part)]
            new: s.SectionContent = update(section, **{attr: e.text})
            line = d.say(key, page=name, text=text)
        elif isinstance(section, s.AboutSection) and isinstance(e.part, int):
            paragraphs, n = list(section.paragraphs), len(section.paragraphs)
            i = e.part - 1 if e.part > 0 else n - 1
            if i >= n:
                return refuse("paragraph_range", page=name, count=n, n=e.part)
            paragraphs[i] = e.text
            new = update(section, paragraphs=paragraphs)
            line = d.say("ch_paragraph", page=name, n=i + 1, text=text)
        else:
            return refuse("no_about" if isinstance(e.part, int) else "no_headline", page=name)
        if new == section:
            d.same.append(d.say("same_text", what=w.Term(what)))
            continue
        _put(d, index, new)
        d.changes.append(line)
    return None


def _add_service(d: Draft, e: r.AddService) -> Refusal | None:
    checks = (("service name", e.name), ("service description", e.description), ("price", e.price))
    for what, text in checks:
        if refused := _check(text, what):
            return refused
    services = d.spec.services
    if any(norm(x.name) == norm(e.name) for x in services):
        return refuse("service_exists", name=e.name)
    if len(services) >= MAX_SERVICES:
        return refuse("too_many_services", limit=MAX_SERVICES)
    biz = d.spec.business
    blurb = d.say("service_blurb", name=e.name, business=biz.name, city=biz.city)
    service = Service(name=e.name, description=e.description or blurb, price=e.price)
    d.spec = update(d.spec, services=[*services, service])
    item = s.ServiceItem(name=service.name, description=service.description, price=service.price)
    for i, section in _sections(d, s.ServicesSection):
        _put(d, i, update(section, items=[*section.items, item][:MAX_SERVICES]))
    d.changes.append(d.say("ch_add_service", name=e.name))
    return None


def _remove_service(d: Draft, e: r.RemoveService) -> Refusal | None:
    services = d.spec.services
    matches = [x for x in services if norm(x.name) == norm(e.name)]
    # "the massage service" finds "Sports massage": every word asked for is in the name.
    asked = set(norm(e.name).split())
    matches = matches or [x for x in services if asked and asked <= set(norm(x.name).split())]
    if len(matches) != 1:
        names = ", ".join(f'"{x.name}"' for x in (matches or services))
        return refuse(
            "ambiguous_service" if matches else "unknown_service", name=e.name, names=names
        )
    gone = matches[0]
    if len(services) == 1:
        return refuse("last_service", name=gone.name)
    d.spec = update(d.spec, services=[x for x in services if x is not gone])
    for i, section in _sections(d, s.ServicesSection):
        items = [it for it in section.items if norm(it.name) != norm(gone.name)]
        if not items:
            return refuse("last_service", name=gone.name)
        _put(d, i, update(section, items=items))
    d.changes.append(d.say("ch_remove_service", name=gone.name))
    return None


def _add_faq(d: Draft, e: r.AddFaq) -> Refusal | None:
    if refused := _check(e.question, "question") or _check(e.answer, "answer"):
        return refused
    if any(norm(f.question) == norm(e.question) for f in d.spec.faq):
        return refuse("faq_exists", question=e.question)
    sections = _sections(d, s.FaqSection)
    if len(d.spec.faq) >= MAX_FAQ or any(len(x.items) >= MAX_FAQ for _, x in sections):
        return refuse("too_many_faq", limit=MAX_FAQ)
    d.spec = update(d.spec, faq=[*d.spec.faq, FaqItem(question=e.question, answer=e.answer)])
    entry = s.FaqEntry(question=e.question, answer=e.answer)
    for i, section in sections:
        _put(d, i, update(section, items=[*section.items, entry]))
    d.changes.append(d.say("ch_add_faq", question=copywriting.clip(e.question, 120)))
    return None


def _page(d: Draft, e: r.PageEdit) -> Refusal | None:
    offered, name = d.template.page_ids, d.name(e.page)
    if e.add and e.page not in offered:
        return refuse("page_not_offered", page=name, pages=d.names(offered))
    if e.add and e.page in d.spec.pages:
        return refuse("page_exists", page=name)
    if not e.add and e.page == "home":
        return refuse("destructive")
    if not e.add and e.page not in d.spec.pages:
        return refuse("page_missing", page=name)
    wanted = set(d.spec.pages) ^ {e.page}
    d.spec = update(d.spec, pages=[p for p in offered if p in wanted])  # template order
    d.changes.append(d.say("ch_add_page" if e.add else "ch_remove_page", page=name))
    return None


def _contact(d: Draft, e: r.SetContact) -> Refusal | None:
    if refused := _check(e.value, e.field):
        return refused
    hours = e.field == "hours"
    slots = r.opening_hours(e.value) if hours else None
    value = [OpeningHours(days=a, hours=b) for a, b in slots or []] if hours else e.value
    try:
        attr = "opening_hours" if hours else e.field
        new = update(d.spec.business, **{attr: value or None})
    except ValidationError:
        return refuse(f"invalid_{e.field}", value=e.value)
    old_text, new_text = _contact_text(d.spec.business, e.field), _contact_text(new, e.field)
    if old_text == new_text:
        d.same.append(d.say("same_contact", field=w.Term(e.field), value=new_text))
        return None
    d.spec = update(d.spec, business=new)
    field_name, old = w.Term(e.field.title()), old_text or w.Term("none")
    d.changes.append(d.say("ch_contact", field=field_name, old=old, new=new_text))
    return None


def _contact_text(biz: Business, name: str) -> str:
    if name == "hours":
        return "; ".join(f"{h.days} {h.hours}" for h in biz.opening_hours)
    return str(getattr(biz, name) or "")


HANDLERS: dict[type, Callable[[Draft, Any], Refusal | None]] = {
    r.SetColour: _colour,
    r.SetText: _text,
    r.AddService: _add_service,
    r.RemoveService: _remove_service,
    r.AddFaq: _add_faq,
    r.PageEdit: _page,
    r.SetContact: _contact,
}


def _fact_pairs(old: s.SiteSpec, new: s.SiteSpec, keys: Sequence[str]) -> dict[str, str]:
    """Old wording -> new wording of the facts the copywriter wrote into the copy."""
    vo, vn = copywriting.Voice(old), copywriting.Voice(new)
    pairs = {vo.facts[k]: vn.facts[k] for k in keys if vo.facts[k] and vn.facts[k]}
    if "services" in keys:
        count = ("services_count", str(len(old.services)), str(len(new.services)))
        pairs[vo.word(count[0], count=count[1])] = vn.word(count[0], count=count[2])
    hours = old.business.opening_hours, new.business.opening_hours
    if "hours" in keys and hours[0] and hours[1]:
        a, b = (f"{h[0].days}, {h[0].hours}" for h in hours)
        pairs[vo.word("hours_highlight", hours=a)] = vn.word("hours_highlight", hours=b)
    return {a: b for a, b in pairs.items() if a != b and len(a) >= 4}


def _replacer(pairs: dict[str, str]) -> Callable[[str], str]:
    # One pass, longest first, so a new value that contains an old one is not replaced again.
    pattern = re.compile("|".join(re.escape(a) for a in sorted(pairs, key=lambda a: -len(a))))
    return lambda text: pattern.sub(lambda m: pairs[m.group(0)], text)


_NOT_COPY = frozenset({"type", "page_id", "cta_page", "secondary_page", "button_page"})


def _walk(value: Any, sub: Callable[[str], str], key: str = "") -> Any:
    if isinstance(value, str):
        return value if key in _NOT_COPY else sub(value)
    if isinstance(value, dict):
        return {k: _walk(v, sub, k) for k, v in value.items()}
    return [_walk(v, sub, key) for v in value] if isinstance(value, list) else value


def _sync_pages(old: s.SiteSpec, d: Draft) -> None:
    """Replace old contact details and service lists wherever the copy quotes them."""
    pairs = _fact_pairs(old, d.spec, ("phone", "email", "address", "hours", "services"))
    if not pairs or d.pages is None:
        return
    sub, clip = _replacer(pairs), copywriting.clip
    for i, page in enumerate(d.pages):
        data = page.model_dump(mode="json")
        if (new := _walk(data, sub)) != data:
            new["title"] = clip(new["title"], 70)
            new["meta_description"] = clip(new["meta_description"], 160)
            new["og"]["description"] = clip(new["og"]["description"], 200)
            d.pages[i] = s.PageContent.model_validate(new)


def _sync_spec(old: s.SiteSpec, d: Draft) -> None:
    """The spec's own texts feed pages written later; keep their contact details current."""
    pairs = _fact_pairs(old, d.spec, ("phone", "email", "address"))
    if not pairs:
        return
    sub, spec, biz = _replacer(pairs), d.spec, d.spec.business
    tagline = sub(biz.tagline) if biz.tagline else biz.tagline
    d.spec = update(
        spec,
        business=update(biz, description=sub(biz.description), tagline=tagline),
        services=[update(x, description=sub(x.description)) for x in spec.services],
        faq=[update(f, question=sub(f.question), answer=sub(f.answer)) for f in spec.faq],
    )


_LINKS: dict[str, tuple[str, ...]] = {
    "hero": ("cta_page", "cta_label", "secondary_page", "secondary_label"),
    "cta": ("button_page", "button_label"),
}


def _relink(current: s.SectionContent, fresh: s.SectionContent) -> s.SectionContent:
    """Links follow the page set (a link to a missing page fails the build); copy stays."""
    names = _LINKS.get(current.type, ())
    moved = {f: getattr(fresh, f) for f in names if getattr(current, f) != getattr(fresh, f)}
    return update(current, **moved) if moved else current


def _restructure(d: Draft) -> None:
    """Fit the pages to the new page set: new pages are written fresh; existing pages keep
    their copy but gain or lose the sections the planner now puts elsewhere (FAQ, contact)."""
    assert d.pages is not None and d.layout is not None
    site_map = planning.sitemap(d.spec, d.template)
    plan = planning.layout_plan(d.spec, site_map, d.template)
    pages = {p.page_id: p for p in d.pages}
    layouts = {p.page_id: p for p in d.layout}
    d.pages, d.layout = [], []
    for sm in site_map.pages:
        fresh, fresh_plan = copywriting.page_content(d.spec, sm, d.spec.pages), plan.page(sm.id)
        if sm.id not in pages:
            d.pages.append(fresh)
            d.layout.append(fresh_plan)
            continue
        have: dict[str, s.SectionContent] = {x.type: x for x in pages[sm.id].sections}
        made: dict[str, s.SectionContent] = {x.type: x for x in fresh.sections}
        sections = [_relink(have[t], made[t]) if t in have else made[t] for t in sm.sections]
        variants = {x.section: x.variant for x in fresh_plan.sections}
        variants |= {x.section: x.variant for x in layouts[sm.id].sections}
        placements = [s.SectionPlacement(section=t, variant=variants[t]) for t in sm.sections]
        d.pages.append(update(pages[sm.id], sections=sections))
        d.layout.append(update(layouts[sm.id], sections=placements))
