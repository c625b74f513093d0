"""The built-in templates' editable files, rendered from validated artifacts.

This is the offline AI's "code writer": the same artifacts always produce the same
bytes, so a fix is simply "re-render and diff against what is there now".
"""

from __future__ import annotations

import json
from typing import Any

from sitegen.contracts.onboarding import Locale
from sitegen.contracts.phones import COUNTRY_BY_LOCALE, e164
from sitegen.contracts.site import LayoutPlan, SectionContent, SiteContent, SiteSpec
from sitegen.design.style_guide import style_guide, theme_tokens
from sitegen.integrations.ai import copy_en, copy_pt
from sitegen.integrations.ai.voice import first_sentence, is_place

SITE_FILE = "content/site.json"
TOKENS_FILE = "theme/tokens.json"
PAGES_DIR = "content/pages"


def dump(data: Any) -> str:
    # Stable key order from the dict literals, real UTF-8 so Portuguese stays readable.
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def site_json(spec: SiteSpec, layout: LayoutPlan) -> dict[str, Any]:
    biz = spec.business
    bank = copy_pt if spec.locale is Locale.PT_BR else copy_en
    social = [
        {"network": network, "label": network.title() if network != "x" else "X", "url": str(url)}
        for network, url in biz.social.model_dump(exclude={"whatsapp"}).items()
        if url is not None
    ]
    country = biz.country or COUNTRY_BY_LOCALE.get(spec.locale.value)
    data: dict[str, Any] = {
        "locale": spec.locale.value,
        "name": biz.name,
        "tagline": biz.tagline or None,
        "description": biz.description,
        "footer_text": first_sentence(biz.description),
        "industry": biz.industry,
        "phone": biz.phone,
        "phone_e164": e164(biz.phone, country),
        "whatsapp": biz.social.whatsapp,
        "whatsapp_e164": e164(biz.social.whatsapp, country) if biz.social.whatsapp else None,
        "email": str(biz.email),
        "address": biz.address,
        # A business that works remotely ('Remote', 'Online') has no city to print.
        "city": biz.city if is_place(biz.city) else None,
        "region": biz.region,
        "opening_hours": [h.model_dump() for h in biz.opening_hours],
        "social": social,
        "base_url": spec.seo.base_url,
        "logo_alt": spec.logo_alt or biz.name,
        "keywords": spec.seo.keywords,
        "nav": [{"page": p.page_id, "label": p.nav_label} for p in layout.pages],
        "labels": dict(bank.LABELS),
    }
    return {k: v for k, v in data.items() if v is not None}


def page_json(content: SiteContent, layout: LayoutPlan, page_id: str) -> dict[str, Any]:
    page = content.page(page_id)
    plan = layout.page(page_id)
    by_type: dict[str, SectionContent] = {s.type: s for s in page.sections}
    sections = []
    for placement in plan.sections:
        section = by_type.get(placement.section)
        if section is None:
            raise ValueError(f"page {page_id!r}: layout places {placement.section!r} but no copy")
        body = section.model_dump(mode="json", exclude_none=True)
        sections.append({"type": body.pop("type"), "variant": placement.variant, **body})
    return {
        "id": page.page_id,
        "path": plan.path,
        "title": page.title,
        "meta_description": page.meta_description,
        "og": page.og.model_dump(mode="json"),
        "sections": sections,
    }


def tokens_json(spec: SiteSpec) -> dict[str, Any]:
    # Written from the style guide, so the guide the client sees is what the theme builds.
    return theme_tokens(style_guide(spec.design))


def render(spec: SiteSpec, content: SiteContent, layout: LayoutPlan) -> dict[str, str]:
    files = {
        SITE_FILE: dump(site_json(spec, layout)),
        TOKENS_FILE: dump(tokens_json(spec)),
    }
    for plan in layout.pages:
        files[f"{PAGES_DIR}/{plan.page_id}.json"] = dump(page_json(content, layout, plan.page_id))
    return files
