"""The "test" half of build_and_test: checks a built site the way a visitor would meet it."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field


class PageFacts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.description: str | None = None
        self.links: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and values.get("name") == "description":
            self.description = values.get("content")
        elif tag in ("a", "link") and values.get("href"):
            self.links.append(str(values["href"]))
        elif tag in ("img", "script", "source") and values.get("src"):
            self.links.append(str(values["src"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


class SiteCheckReport(BaseModel):
    pages: int = 0
    problems: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pages > 0 and not self.problems


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


def check_site(dist: Path, expected_lang: str | None = None) -> SiteCheckReport:
    report = SiteCheckReport()
    if not (dist / "index.html").is_file():
        report.problems.append("index.html is missing")
    for page in sorted(dist.rglob("*.html")):
        report.pages += 1
        facts = PageFacts()
        facts.feed(page.read_text(errors="replace"))
        name = page.relative_to(dist).as_posix()
        if not facts.title.strip():
            report.problems.append(f"{name}: no <title>")
        if name != "404.html" and not facts.description:
            report.problems.append(f"{name}: no meta description")
        if not facts.lang:
            report.problems.append(f"{name}: <html> has no lang")
        elif expected_lang and facts.lang != expected_lang:
            report.problems.append(f"{name}: lang is {facts.lang}, expected {expected_lang}")
        report.problems += [
            f"{name}: broken link {href}" for href in facts.links if not _resolves(dist, page, href)
        ]
    for required in ("sitemap.xml", "robots.txt"):
        if not (dist / required).is_file():
            report.problems.append(f"{required} is missing")
    return report
