"""The style guide and the wireframe as pages a client can read: on the preview host next
to each version of the site (`_design/`), and from the API before any deploy.

Each page is one self-contained HTML file: its CSS in one `<style>` element, no script and
nothing fetched from elsewhere, so it shows the same on any host and under any CSP. The
client's own values (colours, fonts, lengths) go in `style` attributes, where autoescaping
covers them; inside `<style>` escaping does not apply."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from sitegen.contracts.design import AA_TEXT, StyleGuide, Wireframe

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Where a deploy puts the pages, relative to the site's root.
STYLE_GUIDE_PATH = "_design/style-guide.html"
WIREFRAME_PATH = "_design/wireframe.html"
# Set in a version's `site_version.artifacts` when its deploy carries the pages.
DESIGN_PAGES_MARK = "design_pages"


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Every value is escaped: a business name or a page title is the client's text.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _result(passes: bool) -> str:
    return "Passes" if passes else "Fails"


def style_guide_page(guide: StyleGuide, *, project_name: str, version_label: str) -> str:
    colours = {s.role: s.hex for s in guide.palette}
    radii = {r.name: r.value for r in guide.radii}
    pairs = [
        {
            "pair": p,
            "fg": colours.get(p.foreground, "#000000"),
            "bg": colours.get(p.background, "#ffffff"),
            "result": _result(p.passes),
            # "Large text" pairs are checked at 3:1 (WCAG AA for large text and focus rings).
            "use": "text" if p.required >= AA_TEXT else "large text and focus",
        }
        for p in guide.pairs
    ]
    template = _env().get_template("style_guide.html.j2")
    return template.render(
        guide=guide,
        colours=colours,
        radii=radii,
        pairs=pairs,
        failing=sum(1 for p in guide.pairs if not p.passes),
        project_name=project_name,
        version_label=version_label,
    )


def wireframe_page(frame: Wireframe, *, project_name: str, version_label: str) -> str:
    template = _env().get_template("wireframe.html.j2")
    return template.render(frame=frame, project_name=project_name, version_label=version_label)
