"""What the build accepts: the content files' shapes, checked before anything is rendered.

Invalid content stops the build with a message naming the file and the field, so a failed
build log tells the fixer exactly what to repair. This file is the same in every built-in
template; which sections and variants a template offers comes from its template.toml.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
# Required fields per section type; optional ones are read with .get() in the partials.
SECTION_FIELDS: dict[str, dict[str, type]] = {
    "hero": {"heading": str, "subheading": str, "cta_label": str, "cta_page": str},
    "services": {"heading": str, "items": list},
    "features": {"heading": str, "items": list},
    "pricing": {"heading": str, "plans": list, "cta_label": str, "cta_page": str},
    "work": {"heading": str, "items": list},
    "case-studies": {"heading": str, "items": list},
    "about": {"heading": str, "paragraphs": list},
    "testimonials": {"heading": str, "items": list},
    "faq": {"heading": str, "items": list},
    "cta": {"heading": str, "text": str, "button_label": str, "button_page": str},
    "contact": {"heading": str, "intro": str, "call_label": str, "email_label": str},
}
# The list each section repeats, and the fields every entry of it needs.
ITEM_FIELDS: dict[str, tuple[str, dict[str, type]]] = {
    "services": ("items", {"name": str, "description": str}),
    "features": ("items", {"name": str, "description": str}),
    "pricing": ("plans", {"name": str, "price": str}),
    "work": ("items", {"title": str, "summary": str}),
    "case-studies": ("items", {"title": str, "summary": str}),
    "testimonials": ("items", {"quote": str, "author": str}),
    "faq": ("items", {"question": str, "answer": str}),
}
LINK_FIELDS = ("cta_page", "secondary_page", "button_page", "more_page")
SITE_FIELDS: dict[str, type] = {
    "locale": str,
    "name": str,
    "description": str,
    "phone": str,
    "email": str,
    "nav": list,
    "labels": dict,
}
LABELS = (
    "skip_link",
    "menu",
    "at_a_glance",
    "where",
    "phone",
    "email",
    "address",
    "hours",
    "pages",
    "contact",
    "follow",
    "rights",
    "not_found",
)
PAGE_FIELDS: dict[str, type] = {
    "id": str,
    "path": str,
    "title": str,
    "meta_description": str,
    "og": dict,
    "sections": list,
}
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT = re.compile(r"^[A-Za-z0-9 ,'\"-]{1,200}$")
PAGE_PATH = re.compile(r"^[a-z][a-z0-9-]{0,30}\.html$")


class BuildError(Exception):
    pass


def manifest() -> dict[str, Any]:
    with (ROOT / "template.toml").open("rb") as fh:
        return tomllib.load(fh)


def variants(template: dict[str, Any]) -> dict[str, set[str]]:
    """The sections this template offers and their variants, as template.toml lists them."""
    return {s["id"]: set(s["variants"]) for s in template["sections"] if s["id"] in SECTION_FIELDS}


def load_json(rel: str) -> Any:
    path = ROOT / rel
    if not path.is_file():
        raise BuildError(f"{rel}: file is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BuildError(
            f"{rel}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise BuildError(f"{rel}: not valid UTF-8") from None


def require(obj: Any, fields: dict[str, type], where: str) -> None:
    if not isinstance(obj, dict):
        raise BuildError(f"{where}: expected an object")
    for name, kind in fields.items():
        value = obj.get(name)
        if value is None:
            raise BuildError(f"{where}: missing required field '{name}'")
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise BuildError(f"{where}: field '{name}' must be a non-empty {kind.__name__}")


def validate_site(site: Any) -> None:
    require(site, SITE_FIELDS, "content/site.json")
    if site["locale"] not in ("pt-BR", "en"):
        raise BuildError(f"content/site.json: unsupported locale {site['locale']!r}")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", site["email"]):
        raise BuildError("content/site.json: field 'email' is not an email address")
    if not phone_href(site["phone"]):
        raise BuildError("content/site.json: field 'phone' has no digits")
    if not site["nav"]:
        raise BuildError("content/site.json: 'nav' must list at least the home page")
    for i, item in enumerate(site["nav"]):
        require(item, {"page": str, "label": str}, f"content/site.json: nav[{i}]")
    require(site["labels"], dict.fromkeys(LABELS, str), "content/site.json: labels")
    for i, link in enumerate(site.get("social") or []):
        require(link, {"label": str, "url": str}, f"content/site.json: social[{i}]")
        # Only web links: a 'javascript:' URL in a href would run in the visitor's browser.
        if not re.fullmatch(r"https?://[^\s\"'<>]+", link["url"]):
            raise BuildError(f"content/site.json: social[{i}].url must be an http(s) URL")
    if site.get("whatsapp") is not None and not phone_href(str(site["whatsapp"])):
        raise BuildError("content/site.json: field 'whatsapp' has no digits")
    for field in ("phone_e164", "whatsapp_e164"):
        if site.get(field) is not None and not re.fullmatch(r"\+[1-9][0-9]{6,14}", site[field]):
            raise BuildError(f"content/site.json: field '{field}' is not +<country><number>")


def validate_page(
    page: Any, rel: str, page_ids: set[str], offered: dict[str, set[str]], labels: dict[str, Any]
) -> None:
    require(page, PAGE_FIELDS, rel)
    if not PAGE_PATH.fullmatch(page["path"]):
        raise BuildError(f"{rel}: 'path' must look like 'about.html', got {page['path']!r}")
    require(page["og"], {"title": str, "description": str}, f"{rel}: og")
    if not page["sections"]:
        raise BuildError(f"{rel}: 'sections' must not be empty")
    for i, section in enumerate(page["sections"]):
        where = f"{rel}: sections[{i}]"
        if not isinstance(section, dict) or section.get("type") not in offered:
            known = ", ".join(sorted(offered))
            raise BuildError(f"{where}: unknown section type (known: {known})")
        kind = section["type"]
        if section.get("variant") not in offered[kind]:
            options = ", ".join(sorted(offered[kind]))
            raise BuildError(f"{where}: variant must be one of {options} for '{kind}'")
        require(section, SECTION_FIELDS[kind], f"{where} ({kind})")
        if kind in ITEM_FIELDS:
            key, fields = ITEM_FIELDS[kind]
            for j, item in enumerate(section[key]):
                require(item, fields, f"{where} ({kind}): {key}[{j}]")
        if kind == "case-studies":  # its partial names each part of a story
            needed = ("challenge", "approach", "outcome", "client")
            require(labels, dict.fromkeys(needed, str), "content/site.json: labels")
        if kind == "pricing":
            require(labels, {"popular": str, "includes": str}, "content/site.json: labels")
        for key in LINK_FIELDS:
            target = section.get(key)
            if target is not None and target not in page_ids:
                raise BuildError(f"{where}: '{key}' points at unknown page {target!r}")


def phone_href(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return ("+" if phone.strip().startswith("+") else "") + digits if digits else ""
