"""End to end on every built-in template: offline AI chain -> git apply -> build.py -> dist/,
for every example onboarding, through every quality gate."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sitegen.activities.site_checks import check_site
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.phones import COUNTRY_BY_LOCALE, e164
from sitegen.contracts.site import CodePatch, LayoutPlan, SiteContent, Sitemap, SiteSpec
from sitegen.integrations.ai import OfflineAI
from sitegen.integrations.ai.planning import available_pages
from sitegen.integrations.assets.images import assemble
from sitegen.templates_registry import (
    TemplateManifest,
    is_editable,
    list_templates,
    load_template,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
EXAMPLES_DIR = ROOT / "examples" / "onboarding"
EXAMPLES = sorted(EXAMPLES_DIR.rglob("*.json"))
TEMPLATE_IDS = [t.id for t in list_templates(TEMPLATES)]
# Every template with every example, asking for every page the example has content for.
SITES = [(t, e) for t in TEMPLATE_IDS for e in EXAMPLES]
# The example with every page the template offers.
HARBOUR = ROOT / "examples" / "onboarding" / "harbour-physio.json"
# 1x1 transparent PNG: enough for the build to treat the logo as present.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class Chain:
    template: TemplateManifest
    spec: SiteSpec
    sitemap: Sitemap
    content: SiteContent
    layout: LayoutPlan
    patch: CodePatch
    repo: Path


def load_example(path: Path, **overrides: Any) -> Onboarding:
    data = json.loads(path.read_text(encoding="utf-8"))
    for dotted, value in overrides.items():
        target = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return Onboarding.model_validate(data)


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    cmd = ["git", "-c", "user.email=t@example.com", "-c", "user.name=test", *args]
    done = subprocess.run(cmd, cwd=repo, input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def checkout_template(dest: Path, template_id: str = "landing") -> Path:
    shutil.copytree(
        TEMPLATES / template_id, dest, ignore=shutil.ignore_patterns("dist", "__pycache__")
    )
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "template")
    return dest


def editable_files(repo: Path, template: TemplateManifest) -> dict[str, str]:
    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith(".git/") and is_editable(template, rel):
            files[rel] = path.read_text(encoding="utf-8")
    return files


def apply(repo: Path, patch: CodePatch) -> None:
    if not patch.diff:  # the template already ships this very content
        return
    git(repo, "apply", "--check", "-", stdin=patch.diff)
    git(repo, "apply", "-", stdin=patch.diff)


def build(repo: Path, template: TemplateManifest) -> subprocess.CompletedProcess[str]:
    # The manifest says `python`; here that must be the interpreter that has jinja2.
    argv = [sys.executable if a == "python" else a for a in template.build_command]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=120)


async def run_chain(
    onboarding: Onboarding, repo: Path, drop: tuple[str, ...] = (), template_id: str = "landing"
) -> Chain:
    ai = OfflineAI()
    template = load_template(TEMPLATES, template_id)
    spec = (await ai.site_spec(onboarding, template)).artifact
    await ai.brief(spec)
    sitemap = (await ai.sitemap(spec, template)).artifact
    pages = [(await ai.page_content(spec, page)).artifact for page in sitemap.pages]
    content = SiteContent(pages=pages)
    layout = (await ai.layout_plan(spec, sitemap, template)).artifact
    checkout_template(repo, template_id)
    if drop:  # files the template lacks, so the patch must create them
        git(repo, "rm", "-q", *drop)
        git(repo, "commit", "-qm", "drop")
    files = editable_files(repo, template)
    patch = (await ai.code_patch(spec, content, layout, files, template)).artifact
    apply(repo, patch)
    return Chain(template, spec, sitemap, content, layout, patch, repo)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        for name in ("href", "src"):
            if values.get(name):
                self.refs.append(values[name] or "")


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module", params=SITES, ids=[f"{t}-{e.stem}" for t, e in SITES])
async def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Chain:
    template_id, example = request.param
    onboarding = load_example(example)
    pages = available_pages(load_template(TEMPLATES, template_id), onboarding)
    onboarding = onboarding.model_copy(update={"pages": pages})
    repo = tmp_path_factory.mktemp("site") / "repo"
    chain = await run_chain(onboarding, repo, template_id=template_id)
    result = build(chain.repo, chain.template)
    assert result.returncode == 0, result.stderr
    return chain


def test_every_page_passes_every_gate(built: Chain) -> None:
    report = check_site(built.repo / built.template.output_dir, built.spec.locale.value)
    assert report.pages == len(built.sitemap.pages) + 1  # and the 404 page
    assert report.findings == [], [f.model_dump() for f in report.findings]


def test_dist_has_every_page_and_business_facts(built: Chain) -> None:
    dist = built.repo / built.template.output_dir
    biz = built.spec.business
    # Every example's number is reachable from abroad: country code included.
    country = biz.country or COUNTRY_BY_LOCALE.get(built.spec.locale.value)
    international = e164(biz.phone, country)
    assert international is not None
    tel = f"tel:{international}"
    for page in built.sitemap.pages:
        html = (dist / page.path).read_text(encoding="utf-8")
        links = parse(html)
        assert links.lang == built.spec.locale.value
        assert f"<title>{_esc(built.content.page(page.id).title)}</title>" in html
        assert '<meta name="description"' in html and 'property="og:title"' in html
        assert _esc(biz.name) in html
        assert f'href="{tel}"' in html, page.path
        assert f'href="mailto:{biz.email}"' in html
    all_html = "".join((dist / p.path).read_text(encoding="utf-8") for p in built.sitemap.pages)
    for service in built.spec.services:
        assert _esc(service.name) in all_html
    assert "lorem" not in all_html.lower() and "{" not in _visible_text(all_html)


def test_internal_links_resolve(built: Chain) -> None:
    dist = built.repo / "dist"
    for html_file in dist.glob("*.html"):
        for ref in parse(html_file.read_text(encoding="utf-8")).refs:
            if re.match(r"^(?:[a-z]+:|//)", ref):
                continue  # tel:, mailto:, https: social links
            target = ref.split("#", 1)[0].lstrip("/")  # the 404 page links from the root
            if target:
                assert (dist / target).is_file(), f"{html_file.name}: broken link {ref}"
            else:
                assert ref[1:] and f'id="{ref[1:]}"' in html_file.read_text(encoding="utf-8")


def test_sitemap_and_robots(built: Chain) -> None:
    dist = built.repo / "dist"
    sitemap = (dist / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    for page in built.sitemap.pages:
        html = (dist / page.path).read_text(encoding="utf-8")
        canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html)
        assert canonical and canonical.group(1) in locs, page.path  # the two agree
        assert canonical.group(1).endswith("/" if page.path == "index.html" else page.path)
    assert len(locs) == len(built.sitemap.pages)
    not_found = (dist / "404.html").read_text(encoding="utf-8")
    assert '<meta name="robots" content="noindex">' in not_found
    assert 'rel="canonical"' not in not_found and "<title>404 — " in not_found
    assert "Sitemap:" in (dist / "robots.txt").read_text(encoding="utf-8")
    assert (dist / "css" / "tokens.css").read_text().count("--color-primary:") == 1


def test_patch_touches_only_editable_files(built: Chain) -> None:
    assert built.patch.paths
    assert all(is_editable(built.template, path) for path in built.patch.paths)
    changed = git(built.repo, "status", "--porcelain").split("\n")
    assert all(is_editable(built.template, line[3:]) for line in changed if line.strip())


async def test_html_in_onboarding_is_shown_as_text(tmp_path: Path) -> None:
    onboarding = load_example(
        HARBOUR,
        business__name="Bolo <script>alert(1)</script> & Co",
        business__tagline='<img src=x onerror="alert(2)">',
    )
    chain = await run_chain(onboarding, tmp_path / "repo")
    assert build(chain.repo, chain.template).returncode == 0
    html = (chain.repo / "dist" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Bolo &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda text: text[: len(text) // 2], "content/pages/home.json: invalid JSON"),
        (lambda text: text.replace('"meta_description"', '"meta_descr"'), "'meta_description'"),
    ],
    ids=["truncated-json", "missing-field"],
)
async def test_broken_content_fails_and_fix_patch_repairs(
    tmp_path: Path, breakage: Any, message: str
) -> None:
    chain = await run_chain(load_example(HARBOUR), tmp_path / "repo")
    home = chain.repo / "content" / "pages" / "home.json"
    home.write_text(breakage(home.read_text(encoding="utf-8")), encoding="utf-8")
    failed = build(chain.repo, chain.template)
    assert failed.returncode != 0
    assert message in failed.stderr and "Traceback" not in failed.stderr

    files = editable_files(chain.repo, chain.template)
    fix = await OfflineAI().fix_patch(
        chain.spec, chain.content, chain.layout, files, chain.template, failed.stderr
    )
    assert fix.artifact.paths == ["content/pages/home.json"]
    apply(chain.repo, fix.artifact)
    assert build(chain.repo, chain.template).returncode == 0


def photo(width: int, height: int, colour: str = "#b23a48") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def add_images(repo: Path, *assets: tuple[str, bytes]) -> None:
    """The client's images as the pipeline's setup step commits them: resized variants and
    their manifest in the assets folder."""
    for rel, data in assemble(assets, "public/assets").files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(data)


async def test_logo_present_or_missing(tmp_path: Path) -> None:
    chain = await run_chain(load_example(HARBOUR), tmp_path / "repo")
    assert build(chain.repo, chain.template).returncode == 0
    html = (chain.repo / "dist" / "index.html").read_text(encoding="utf-8")
    assert 'class="brand__name"' in html and "brand__logo" not in html

    add_images(chain.repo, ("logo", photo(600, 200)))
    assert build(chain.repo, chain.template).returncode == 0
    html = (chain.repo / "dist" / "index.html").read_text(encoding="utf-8")
    # 48 px tall: 144 px wide, with the 2x file for sharp screens, WebP first.
    assert 'srcset="assets/logo-144.webp 144w, assets/logo-288.webp 288w" sizes="144px"' in html
    img = re.search(r'<img src="(assets/logo-\d+\.jpg)"[^>]*>', html)
    assert img and 'width="288" height="96"' in img.group(0) and "loading" not in img.group(0)
    assert (chain.repo / "dist" / img.group(1)).is_file()
    assert not (chain.repo / "dist" / "assets" / "images.json").exists()
    assert 'property="og:image"' in html
    assert check_site(chain.repo / "dist", "en").findings == []


async def test_portfolio_shows_each_projects_picture(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES_DIR / "portfolio" / "estudio-marina-costa.json").read_text())
    data["assets"] = [{"kind": "image", "url": "https://example.com/a.jpg", "alt": "Capa"}]
    data["projects"][0]["image"] = 0
    chain = await run_chain(
        Onboarding.model_validate(data), tmp_path / "repo", template_id="portfolio"
    )
    add_images(chain.repo, ("image-0", photo(2400, 1600)))
    assert build(chain.repo, chain.template).returncode == 0, "build"
    work = (chain.repo / "dist" / "work.html").read_text(encoding="utf-8")
    assert '<source type="image/webp" srcset="assets/image-0-480.webp 480w' in work
    assert 'alt="Capa" loading="lazy"' in work and 'width="1600" height="1067"' in work
    assert check_site(chain.repo / "dist", "pt-BR").findings == []


async def test_different_businesses_get_different_sites(tmp_path: Path) -> None:
    homes = []
    for i, example in enumerate(EXAMPLES[:2]):
        chain = await run_chain(load_example(example), tmp_path / f"repo{i}")
        assert build(chain.repo, chain.template).returncode == 0
        homes.append((chain.repo / "dist" / "index.html").read_text(encoding="utf-8"))
        tokens = (chain.repo / "dist" / "css" / "tokens.css").read_text()
        assert chain.spec.design.primary in tokens
    assert homes[0] != homes[1]


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_template_builds_as_shipped(tmp_path: Path, template_id: str) -> None:
    repo = checkout_template(tmp_path / "repo", template_id)
    template = load_template(TEMPLATES, template_id)
    result = build(repo, template)
    assert result.returncode == 0, result.stderr
    assert (repo / "dist" / "index.html").is_file() and (repo / "dist" / "404.html").is_file()
    assert check_site(repo / "dist").findings == []


# Every template carries its own copy of the build engine (a template builds on its own).
ENGINE = ("build.py", "content_rules.py", "colours.py", "layouts/macros.html.j2")


@pytest.mark.parametrize("path", ENGINE)
def test_templates_share_one_engine(path: str) -> None:
    copies = {t: (TEMPLATES / t / path).read_bytes() for t in TEMPLATE_IDS}
    assert len(set(copies.values())) == 1, f"{path} differs between {sorted(copies)}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _visible_text(html: str) -> str:
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", body)


async def test_single_page_site_keeps_contact_on_home(tmp_path: Path) -> None:
    data = json.loads(HARBOUR.read_text(encoding="utf-8"))
    data["pages"] = ["home"]
    chain = await run_chain(Onboarding.model_validate(data), tmp_path / "repo")
    assert build(chain.repo, chain.template).returncode == 0
    assert sorted(p.name for p in (chain.repo / "dist").glob("*.html")) == [
        "404.html",
        "index.html",
    ]
    html = (chain.repo / "dist" / "index.html").read_text(encoding="utf-8")
    assert 'href="#contact"' in html and 'id="contact"' in html and 'id="faq"' in html
    assert not (chain.repo / "content" / "pages" / "about.json").exists()


async def test_patch_creates_files_the_template_lacks(tmp_path: Path) -> None:
    faq = "content/pages/faq.json"
    chain = await run_chain(load_example(HARBOUR), tmp_path / "repo", drop=(faq,))
    assert f"--- /dev/null\n+++ b/{faq}" in chain.patch.diff
    assert build(chain.repo, chain.template).returncode == 0
    assert (chain.repo / "dist" / "faq.html").is_file()


@pytest.mark.parametrize("template_id", ["saas", "portfolio"])
async def test_a_home_only_site_keeps_its_contact_details(tmp_path: Path, template_id: str) -> None:
    data = json.loads(HARBOUR.read_text(encoding="utf-8"))
    data["pages"] = ["home"]
    chain = await run_chain(
        Onboarding.model_validate(data), tmp_path / "repo", template_id=template_id
    )
    assert build(chain.repo, chain.template).returncode == 0
    home = (chain.repo / "dist" / "index.html").read_text(encoding="utf-8")
    assert 'id="contact"' in home and 'href="#contact"' in home  # the buttons go somewhere


async def test_a_remote_business_prints_no_place(tmp_path: Path) -> None:
    tally = EXAMPLES_DIR / "saas" / "tally-invoicing.json"
    chain = await run_chain(load_example(tally), tmp_path / "repo", template_id="saas")
    assert build(chain.repo, chain.template).returncode == 0
    for page in (chain.repo / "dist").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "Remote" not in html and "addressLocality" not in html, page.name
