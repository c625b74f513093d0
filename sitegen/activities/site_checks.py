"""The "test" half of build_and_test: quality gates on a built site, checked the way a
visitor, a validator and a search engine meet it. Each finding names the file, the line,
the rule and what is wrong, so the fix loop and an operator can act on it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field

from sitegen.contracts.findings import Finding

TITLE_LENGTH = (10, 60)
# What one page may weigh before its images: its HTML and the stylesheets it links.
PAGE_BUDGET_BYTES = 100 * 1024
DESCRIPTION_LENGTH = (50, 160)
# Text a visitor must never read: template leftovers and empty values printed as words.
# (Case matters: Portuguese "todo" is a word, "TODO" is a leftover; "None of our cakes"
# is English, a "None" standing alone is an empty value printed.)
_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{%|^\s*(?:None|null|undefined)\s*$|\b[Ll]orem ipsum\b|\bTODO\b"
)
_HEADING = re.compile(r"^h([1-6])$")
_NOT_TEXT = ("script", "style", "template")


# <script> types that are data, never run (JSON-LD structured data).
_DATA_SCRIPTS = frozenset({"application/ld+json", "application/json"})
_JS_URL = re.compile(r"^\s*javascript:", re.IGNORECASE)
_HANDLER = re.compile(r"on[a-z]+")


class SiteCheckReport(BaseModel):
    pages: int = 0
    findings: list[Finding] = Field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [str(f) for f in self.findings]

    @property
    def ok(self) -> bool:
        return self.pages > 0 and not self.findings


class PageFacts(HTMLParser):
    """What the gates need from one page, each with the line it is on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title = ""
        self.description: str | None = None
        self.robots = ""
        self.canonical: str | None = None
        self.icons: list[str] = []
        self.refs: list[tuple[int, str]] = []  # (line, href or src)
        self.hash_links: list[int] = []
        self.unsafe_blank: list[int] = []
        self.images_without_alt: list[int] = []
        self.images_without_size: list[int] = []
        self.stylesheets: list[str] = []
        self.headings: list[tuple[int, int, str]] = []  # (line, level, id)
        self.headings_in_address: list[int] = []
        self.mains: list[int] = []
        self.regions: list[tuple[int, str]] = []  # (line, label or labelledby=id)
        self.navs: list[tuple[int, str]] = []
        self.heading_text: dict[str, str] = {}
        self.placeholders: list[tuple[int, str]] = []
        self.csp: str | None = None
        self.inline_scripts: list[tuple[int, str]] = []  # (line, what)
        self._stack: list[str] = []
        self._in_title = False
        self._heading_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        line = self.getpos()[0]
        if tag not in ("meta", "link", "img", "br", "hr", "input", "source"):
            self._stack.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and a.get("name") == "description":
            self.description = a.get("content")
        elif tag == "meta" and a.get("name") == "robots":
            self.robots = a.get("content", "")
        elif tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content", "")
        elif tag == "link" and "canonical" in a.get("rel", "").split():
            self.canonical = a.get("href")
        elif tag == "link" and "icon" in a.get("rel", "").split():
            self.icons.append(a.get("href", ""))
        elif tag == "link" and "stylesheet" in a.get("rel", "").split():
            self.stylesheets.append(a.get("href", ""))
        if tag == "script" and not a.get("src") and a.get("type") not in _DATA_SCRIPTS:
            self.inline_scripts.append((line, "an inline <script>"))
        for name, value in a.items():
            if _HANDLER.fullmatch(name):
                self.inline_scripts.append((line, f"an inline {name} handler"))
            elif name in ("href", "src", "action") and _JS_URL.match(value):
                self.inline_scripts.append((line, "a javascript: URL"))
        if tag in ("a", "link") and "href" in a:
            self.refs.append((line, a["href"]))
            if tag == "a" and a["href"] == "#":
                self.hash_links.append(line)
        if tag in ("img", "script", "source") and a.get("src"):
            self.refs.append((line, a["src"]))
        if tag == "a" and a.get("target") == "_blank" and "noopener" not in a.get("rel", ""):
            self.unsafe_blank.append(line)
        if tag == "img" and "alt" not in a:
            self.images_without_alt.append(line)
        if tag == "img" and not (a.get("width") and a.get("height")):
            self.images_without_size.append(line)  # the page jumps when it loads
        if m := _HEADING.match(tag):
            self.headings.append((line, int(m.group(1)), a.get("id", "")))
            self._heading_id = a.get("id") or None
            if "address" in self._stack[:-1]:
                self.headings_in_address.append(line)
        if tag == "main":
            self.mains.append(line)
        if tag == "nav":
            self.navs.append((line, a.get("aria-label", "")))
        if tag == "section" and (a.get("aria-label") or a.get("aria-labelledby")):
            label = a.get("aria-label") or f"#{a.get('aria-labelledby')}"
            self.regions.append((line, label))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if _HEADING.match(tag):
            self._heading_id = None
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._heading_id:
            self.heading_text[self._heading_id] = (
                self.heading_text.get(self._heading_id, "") + data
            ).strip()
        if self._stack and self._stack[-1] in _NOT_TEXT:
            return
        if m := _PLACEHOLDER.search(data):
            self.placeholders.append((self.getpos()[0], m.group(0)))


def _resolves(dist: Path, page: Path, href: str) -> bool:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("#", "mailto:", "tel:")):
        return True  # external, in-page, or a contact link: not ours to resolve
    path = unquote(parts.path)
    if not path:
        return True
    target = (dist / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    target = target.resolve()
    if not target.is_relative_to(dist.resolve()):
        return False
    return target.is_file() or (target / "index.html").is_file()


def _sitemap_locs(dist: Path) -> set[str] | None:
    sitemap = dist / "sitemap.xml"
    if not sitemap.is_file():
        return None
    return set(re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", sitemap.read_text(errors="replace")))


def check_page(
    dist: Path, page: Path, facts: PageFacts, expected_lang: str | None
) -> list[Finding]:
    name = page.relative_to(dist).as_posix()
    not_found = name == "404.html"
    out: list[Finding] = []

    def find(rule: str, message: str, line: int = 0) -> None:
        out.append(Finding(file=name, line=line, rule=rule, message=message))

    title = facts.title.strip()
    if not title:
        find("title", "no <title>")
    elif not TITLE_LENGTH[0] <= len(title) <= TITLE_LENGTH[1]:
        find("title-length", f"title is {len(title)} characters, not {TITLE_LENGTH}")
    description = (facts.description or "").strip()
    if not not_found and not description:
        find("meta-description", "no meta description")
    elif (
        description
        and not not_found  # not indexed, so no snippet to size
        and not DESCRIPTION_LENGTH[0] <= len(description) <= DESCRIPTION_LENGTH[1]
    ):
        find("description-length", f"description is {len(description)} characters")
    if not facts.lang:
        find("html-lang", "<html> has no lang")
    elif expected_lang and facts.lang != expected_lang:
        find("html-lang", f"lang is {facts.lang}, expected {expected_lang}")
    for line, href in facts.refs:
        if not _resolves(dist, page, href):
            find("broken-link", f"{href} does not resolve", line)
        elif not_found and not href.startswith(("/", "#", "mailto:", "tel:", "http", "//")):
            find("404-relative-link", f"{href} breaks when the 404 page is served deeper", line)
    if not facts.icons:
        find("favicon", "no <link rel=icon>")
    for line in facts.hash_links:
        find("href-hash", 'a link to "#" goes nowhere', line)
    for line in facts.unsafe_blank:
        find("noopener", 'target="_blank" without rel="noopener"', line)
    for line in facts.images_without_alt:
        find("img-alt", "an image without alt text", line)
    for line in facts.images_without_size:
        find("img-size", "an image without width and height (the page jumps as it loads)", line)
    h1s = [line for line, level, _ in facts.headings if level == 1]
    if len(h1s) != 1:
        find("one-h1", f"{len(h1s)} <h1> elements; a page has exactly one")
    previous = 0
    for line, level, _ in facts.headings:
        if previous and level > previous + 1:
            find("heading-order", f"<h{level}> follows <h{previous}>", line)
        previous = level
    for line in facts.headings_in_address:
        find("heading-in-address", "a heading inside <address> (invalid HTML)", line)
    if len(facts.mains) != 1:
        find("landmark-unique", f"{len(facts.mains)} <main> landmarks")
    labels = [label for _, label in facts.navs]
    if len(labels) > 1 and len(set(labels)) != len(labels):
        find("landmark-unique", "two <nav> landmarks share a label (or have none)")
    names: dict[str, int] = {}
    for line, label in facts.regions:
        text = facts.heading_text.get(label[1:], "") if label.startswith("#") else label
        if text and text in names:
            find("landmark-unique", f"two regions are both named {text!r}", line)
        names.setdefault(text, line)
    for line, text in facts.placeholders:
        find("placeholder", f"placeholder text {text!r} in the page", line)
    if problem := csp_problem(facts.csp):
        find("csp", problem)
    for line, what in facts.inline_scripts:
        find("inline-script", f"{what}: sites run no inline code", line)
    if not_found:
        if "noindex" not in facts.robots:
            find("404-noindex", "the 404 page does not ask search engines not to index it")
        if facts.canonical:
            find("404-canonical", "the 404 page names a canonical URL")
    return out


# The rules a site made from a version-1 template copy could meet: a project provisioned
# before the gates keeps building (its layouts are not editable, so no patch could fix it).
LEGACY_RULES = frozenset({"missing", "title", "meta-description", "html-lang", "broken-link"})
# Rules that came with version 3 (resized images, page budgets); older copies skip them.
V3_RULES = frozenset({"page-weight", "img-size"})
# Version 4: every page carries a content security policy, and no inline code.
V4_RULES = frozenset({"csp", "inline-script"})


def check_site(
    dist: Path, expected_lang: str | None = None, *, template_version: int = 4
) -> SiteCheckReport:
    report = _check_site(dist, expected_lang)
    if template_version < 2:
        report.findings = [f for f in report.findings if f.rule in LEGACY_RULES]
    elif template_version < 3:
        report.findings = [f for f in report.findings if f.rule not in V3_RULES | V4_RULES]
    elif template_version < 4:
        report.findings = [f for f in report.findings if f.rule not in V4_RULES]
    return report


def csp_problem(policy: str | None) -> str | None:
    """Why a page's content security policy does not stop inline scripts, or None."""
    if policy is None:
        return "no Content-Security-Policy"
    directives = {parts[0].lower(): parts[1:] for d in policy.split(";") if (parts := d.split())}
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        return "the policy does not restrict scripts (no script-src or default-src)"
    allowed = {v.lower() for v in scripts}
    if allowed & {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}:
        return f"script-src allows {' '.join(sorted(allowed))}"
    if "object-src" not in directives and "'none'" not in directives.get("default-src", []):
        return "the policy does not forbid plugins (object-src 'none')"
    return None


def _weight(dist: Path, page: Path, facts: PageFacts) -> int:
    """Bytes of the page and the stylesheets it links (each counted once)."""
    total = page.stat().st_size
    for href in dict.fromkeys(facts.stylesheets):
        path = unquote(urlsplit(href).path)
        if urlsplit(href).scheme or not path:
            continue
        target = (dist / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
        if target.resolve().is_relative_to(dist.resolve()) and target.is_file():
            total += target.stat().st_size
    return total


def _check_site(dist: Path, expected_lang: str | None) -> SiteCheckReport:
    report = SiteCheckReport()
    if not (dist / "index.html").is_file():
        report.findings.append(Finding(file="index.html", rule="missing", message="missing"))
    titles: dict[str, str] = {}
    locs = _sitemap_locs(dist)
    for page in sorted(dist.rglob("*.html")):
        report.pages += 1
        facts = PageFacts()
        facts.feed(page.read_text(errors="replace"))
        report.findings += check_page(dist, page, facts, expected_lang)
        name = page.relative_to(dist).as_posix()
        weight = _weight(dist, page, facts)
        if weight > PAGE_BUDGET_BYTES:
            kb, budget = weight / 1024, PAGE_BUDGET_BYTES // 1024
            report.findings.append(
                Finding(
                    file=name,
                    rule="page-weight",
                    message=f"HTML and CSS weigh {kb:.0f} KB, over the {budget} KB budget",
                )
            )
        title = facts.title.strip()
        if title and title in titles:
            report.findings.append(
                Finding(file=name, rule="unique-title", message=f"same title as {titles[title]}")
            )
        titles.setdefault(title, name)
        if locs is not None and facts.canonical and facts.canonical not in locs:
            report.findings.append(
                Finding(
                    file=name,
                    rule="canonical-sitemap",
                    message=f"canonical {facts.canonical} is not in sitemap.xml",
                )
            )
    for required in ("sitemap.xml", "robots.txt"):
        if not (dist / required).is_file():
            report.findings.append(Finding(file=required, rule="missing", message="missing"))
    return report
