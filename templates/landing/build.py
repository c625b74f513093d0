"""Build the landing site: content/*.json + theme/tokens.json -> dist/.

Run from the repo checkout as `python build.py` (needs only jinja2 and the stdlib).
Invalid content stops the build with exit status 1 and a message naming the file and
field, so a failed build log tells the fixer exactly what to repair.

Environment: SITE_URL overrides the absolute base URL used in sitemap.xml, canonical
links and Open Graph tags (otherwise `base_url` in content/site.json, then a default).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from colours import band, contrast, ink, luminance, mix, on_colour
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
LOGO_NAMES = ("logo.svg", "logo.png", "logo.webp", "logo.jpg", "logo.jpeg")
VARIANTS = {
    "hero": {"split", "centered", "compact"},
    "services": {"cards", "list"},
    "about": {"story", "highlights"},
    "testimonials": {"cards", "spotlight"},
    "faq": {"accordion"},
    "cta": {"band"},
    "contact": {"card", "split"},
}
# Required fields per section type; optional ones are read with .get() in the partials.
SECTION_FIELDS: dict[str, dict[str, type]] = {
    "hero": {"heading": str, "subheading": str, "cta_label": str, "cta_page": str},
    "services": {"heading": str, "items": list},
    "about": {"heading": str, "paragraphs": list},
    "testimonials": {"heading": str, "items": list},
    "faq": {"heading": str, "items": list},
    "cta": {"heading": str, "text": str, "button_label": str, "button_page": str},
    "contact": {"heading": str, "intro": str, "call_label": str, "email_label": str},
}
ITEM_FIELDS: dict[str, dict[str, type]] = {
    "services": {"name": str, "description": str},
    "testimonials": {"quote": str, "author": str},
    "faq": {"question": str, "answer": str},
}
SITE_FIELDS: dict[str, type] = {
    "locale": str,
    "name": str,
    "description": str,
    "phone": str,
    "email": str,
    "city": str,
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


def validate_page(page: Any, rel: str, page_ids: set[str]) -> None:
    require(page, PAGE_FIELDS, rel)
    if not PAGE_PATH.fullmatch(page["path"]):
        raise BuildError(f"{rel}: 'path' must look like 'about.html', got {page['path']!r}")
    require(page["og"], {"title": str, "description": str}, f"{rel}: og")
    if not page["sections"]:
        raise BuildError(f"{rel}: 'sections' must not be empty")
    for i, section in enumerate(page["sections"]):
        where = f"{rel}: sections[{i}]"
        if not isinstance(section, dict) or section.get("type") not in VARIANTS:
            known = ", ".join(sorted(VARIANTS))
            raise BuildError(f"{where}: unknown section type (known: {known})")
        kind = section["type"]
        if section.get("variant") not in VARIANTS[kind]:
            options = ", ".join(sorted(VARIANTS[kind]))
            raise BuildError(f"{where}: variant must be one of {options} for '{kind}'")
        require(section, SECTION_FIELDS[kind], f"{where} ({kind})")
        for j, item in enumerate(section.get("items", [])):
            require(item, ITEM_FIELDS[kind], f"{where} ({kind}): items[{j}]")
        for key in ("cta_page", "secondary_page", "button_page"):
            target = section.get(key)
            if target is not None and target not in page_ids:
                raise BuildError(f"{where}: '{key}' points at unknown page {target!r}")


def phone_href(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return ("+" if phone.strip().startswith("+") else "") + digits if digits else ""


# --- colour: derive accessible companions so any brand colour yields readable text ---
def tokens_css(tokens: Any) -> str:
    rel = "theme/tokens.json"
    require(tokens, {"colors": dict, "fonts": dict}, rel)
    colors, fonts = tokens["colors"], tokens["fonts"]
    for name in ("primary", "secondary", "background", "text"):
        if not HEX.fullmatch(str(colors.get(name, ""))):
            raise BuildError(f"{rel}: colors.{name} must be a #rrggbb colour")
    for name in ("heading", "body"):
        if not FONT.fullmatch(str(fonts.get(name, ""))):
            raise BuildError(f"{rel}: fonts.{name} must be a plain font stack")
    radius = tokens.get("radius_px", 12)
    if not isinstance(radius, int) or not 0 <= radius <= 32:
        raise BuildError(f"{rel}: radius_px must be an integer from 0 to 32")
    bg, text = colors["background"], colors["text"]
    primary, secondary = colors["primary"], colors["secondary"]
    # Text and links sit on the page and on its tinted cards: readable on the worst of them.
    surfaces = [bg, mix(text, bg, 0.03), mix(primary, bg, 0.08), mix(secondary, bg, 0.12)]
    worst = (min if luminance(bg) > 0.4 else max)(surfaces, key=luminance)
    if contrast(text, worst) < 4.5:
        text = on_colour(worst)
    primary_band, secondary_band = band(primary), band(secondary)
    values = {
        "primary": primary,
        "on-primary": on_colour(primary),
        "primary-ink": ink(primary, worst),
        "primary-soft": surfaces[2],
        "primary-band": primary_band,
        "on-primary-band": on_colour(primary_band),
        "secondary": secondary,
        "on-secondary": on_colour(secondary),
        "secondary-ink": ink(secondary, worst),
        "secondary-soft": surfaces[3],
        "secondary-band": secondary_band,
        "on-secondary-band": on_colour(secondary_band),
        "background": bg,
        "surface": surfaces[1],
        "text": text,
        "muted": ink(mix(text, bg, 0.7), worst),
        "border": mix(text, bg, 0.12),
        "footer": mix(primary, "#0d0f14", 0.18),
        # A keyboard focus ring visible (3:1) on every light surface.
        "focus": ink(secondary, worst, 3.0),
    }
    lines = [f"  --color-{k}: {v};" for k, v in values.items()]
    lines += [
        f"  --font-heading: {fonts['heading']};",
        f"  --font-body: {fonts['body']};",
        f"  --radius: {radius}px;",
    ]
    return (
        "/* Generated by build.py from theme/tokens.json. */\n:root {\n"
        + "\n".join(lines)
        + "\n}\n"
    )


def find_logo() -> str | None:
    for name in LOGO_NAMES:
        if (ROOT / "public" / "assets" / name).is_file():
            return f"assets/{name}"
    return None


def favicon_svg(site: dict[str, Any], tokens: dict[str, Any]) -> str:
    """The site's initial on its primary colour: every page has an icon, logo or not."""
    initial = xml_escape((site["name"].strip()[:1] or "?").upper())
    colour = tokens["colors"]["primary"]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{colour}"/>'
        '<text x="32" y="44" font-family="system-ui, sans-serif" font-size="36" '
        f'font-weight="700" text-anchor="middle" fill="{on_colour(colour)}">{initial}</text>'
        "</svg>\n"
    )


def base_url(site: dict[str, Any]) -> str:
    url = os.environ.get("SITE_URL") or site.get("base_url") or "http://localhost"
    if not re.fullmatch(r"https?://[^\s\"'<>]+", url):
        raise BuildError(f"base URL {url!r} is not an http(s) URL")
    return url.rstrip("/") + "/"


def structured_data(site: dict[str, Any], url: str, logo: str | None) -> dict[str, Any]:
    """schema.org LocalBusiness, so search engines show name, phone and address."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": site["name"],
        "description": site["description"],
        "telephone": site.get("phone_e164") or site["phone"],
        "email": site["email"],
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "addressLocality": site["city"],
            **({"streetAddress": site["address"]} if site.get("address") else {}),
            **({"addressRegion": site["region"]} if site.get("region") else {}),
        },
    }
    if logo:
        data["logo"] = url + logo
    if site.get("social"):
        data["sameAs"] = [link["url"] for link in site["social"]]
    return data


def build() -> list[str]:
    site = load_json("content/site.json")
    validate_site(site)
    page_ids = [item["page"] for item in site["nav"]]
    if page_ids[0] != "home" or len(set(page_ids)) != len(page_ids):
        raise BuildError("content/site.json: 'nav' must start with 'home' and not repeat pages")
    pages = []
    for page_id in page_ids:
        rel = f"content/pages/{page_id}.json"
        page = load_json(rel)
        validate_page(page, rel, set(page_ids))
        if page["id"] != page_id:
            raise BuildError(f"{rel}: 'id' is {page['id']!r}, expected {page_id!r}")
        pages.append(page)
    if pages[0]["path"] != "index.html":
        raise BuildError("content/pages/home.json: 'path' must be 'index.html'")
    paths = {p["id"]: p["path"] for p in pages}
    if len(set(paths.values())) != len(paths):
        raise BuildError("content/pages: two pages share the same 'path'")
    tokens = load_json("theme/tokens.json")
    css = tokens_css(tokens)

    if DIST.exists():
        shutil.rmtree(DIST)
    if (ROOT / "public").is_dir():
        shutil.copytree(ROOT / "public", DIST, ignore=shutil.ignore_patterns(".gitkeep"))
    (DIST / "css").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "static" / "site.css", DIST / "css" / "site.css")
    (DIST / "css" / "tokens.css").write_text(css, encoding="utf-8")

    env = Environment(
        loader=FileSystemLoader(str(ROOT)),
        autoescape=True,  # every string from content is data, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # A number as written links by its international form where the content gives one
    # ('(11) 3456-7890' in Brazil is +551134567890), else by its digits.
    international = {site["phone"]: site.get("phone_e164")}
    if site.get("whatsapp"):
        international[site["whatsapp"]] = site.get("whatsapp_e164")
    env.filters["tel"] = lambda raw: international.get(raw) or phone_href(raw)
    layout = env.get_template("layouts/page.html.j2")
    url = base_url(site)
    common = {
        "site": site,
        "labels": site["labels"],
        "paths": paths,
        "nav": [{**item, "path": paths[item["page"]]} for item in site["nav"]],
        "logo": find_logo(),
        "base_url": url,
        "og_locale": "pt_BR" if site["locale"] == "pt-BR" else "en_US",
        "theme_color": tokens["colors"]["primary"],
        "structured_data": structured_data(site, url, find_logo()),
        "root": "",  # links relative to the page: every page sits at the top level
        "not_found": False,
    }
    (DIST / "favicon.svg").write_text(favicon_svg(site, tokens), encoding="utf-8")
    written = []
    for page in pages:
        html = layout.render(page=page, **common)
        (DIST / page["path"]).write_text(html, encoding="utf-8")
        written.append(page["path"])
    # The 404 page is served at any missing path, nested ones too: its links are absolute,
    # it has its own title, and search engines are told not to index it.
    title = f"404 — {site['name']}"
    if len(title) > 60:
        title = title[:59].rstrip() + "…"
    if len(title) < 10:  # a very short name: say what the page is
        title = f"404 — {site['labels']['not_found']}"[:60]
    missing = {
        **pages[0],
        "id": "404",
        "path": "404.html",
        "title": title,
        "meta_description": site["labels"]["not_found"],
        "og": {"title": title, "description": site["labels"]["not_found"]},
    }
    (DIST / "404.html").write_text(
        env.get_template("layouts/404.html.j2").render(
            page=missing, **{**common, "root": "/", "not_found": True}
        ),
        encoding="utf-8",
    )
    # The same address the pages name as canonical: the home page is the site's root.
    urls = "".join(
        f"  <url><loc>{xml_escape(url + ('' if p == 'index.html' else p))}</loc></url>\n"
        for p in written
    )
    (DIST / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n",
        encoding="utf-8",
    )
    (DIST / "robots.txt").write_text(
        f"User-agent: *\nAllow: /\nSitemap: {url}sitemap.xml\n", encoding="utf-8"
    )
    return written


def main() -> int:
    try:
        written = build()
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    except TemplateError as exc:
        # Content that passed validation but still trips a partial, e.g. a wrong type.
        print(f"build failed: template error: {exc}", file=sys.stderr)
        return 1
    print(f"built {len(written)} pages into {DIST.name}/: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
