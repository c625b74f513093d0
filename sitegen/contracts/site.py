"""AI artifacts: what each AI step returns, validated before anything acts on it.

The AI never acts (DESIGN.md): it returns these models, the backend stores them as
versioned artifacts and the runner executes them. Every field is bounded so a model
that rambles fails validation instead of bloating storage or a workflow payload.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from sitegen.contracts.onboarding import (
    Audience,
    Business,
    FaqItem,
    Locale,
    Plan,
    Service,
    Testimonial,
    Tone,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
# Font stacks land in CSS, so only characters that cannot close a declaration are allowed.
FontStack = Annotated[str, StringConstraints(max_length=200, pattern=r"^[A-Za-z0-9 ,'\"-]+$")]


def _repo_path(path: str) -> str:
    # Relative POSIX path inside a repo checkout; never absolute, never climbing out.
    if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
        raise ValueError(f"not a safe repo-relative path: {path!r}")
    return path


RepoPath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300, pattern=r"^[A-Za-z0-9._/-]+$"),
    AfterValidator(_repo_path),
]


class _Artifact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DesignTokens(_Artifact):
    primary: HexColour
    secondary: HexColour
    background: HexColour = "#ffffff"
    text: HexColour = "#1f2328"
    heading_font: FontStack
    body_font: FontStack
    radius_px: int = Field(default=12, ge=0, le=32)


class Seo(_Artifact):
    keywords: list[Text] = Field(default_factory=list, max_length=20)
    base_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s\"'<>]+$")] | None = None


class WorkPiece(_Artifact):
    """A project from the onboarding, with its picture named as the build finds it."""

    title: Text
    client: Text | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    summary: Paragraph
    challenge: Paragraph | None = None
    approach: Paragraph | None = None
    outcome: Paragraph | None = None
    # The asset's base name in the template's assets folder ('image-2'), and its alt text.
    image: Annotated[str, StringConstraints(pattern=r"^image-[0-9]{1,2}$")] | None = None
    image_alt: Text | None = None

    @property
    def is_case_study(self) -> bool:
        return any((self.challenge, self.approach, self.outcome))


class SiteSpec(_Artifact):
    """The normalised, validated description of the site that every later step reads."""

    template_id: Identifier
    locale: Locale
    tone: Tone
    subdomain: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    business: Business
    audience: Audience
    services: list[Service] = Field(min_length=1, max_length=12)
    testimonials: list[Testimonial] = Field(default_factory=list, max_length=12)
    faq: list[FaqItem] = Field(default_factory=list, max_length=20)
    plans: list[Plan] = Field(default_factory=list, max_length=4)
    projects: list[WorkPiece] = Field(default_factory=list, max_length=12)
    pages: list[Identifier] = Field(min_length=1, max_length=10)
    design: DesignTokens
    seo: Seo = Field(default_factory=Seo)
    has_logo: bool = False
    logo_alt: Label | None = None


class Brief(_Artifact):
    markdown: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    goals: list[Text] = Field(min_length=1, max_length=10)
    key_messages: list[Text] = Field(min_length=1, max_length=10)
    calls_to_action: list[Label] = Field(min_length=1, max_length=5)
    voice: Text


class SitemapPage(_Artifact):
    id: Identifier
    # Flat file names ('index.html', 'about.html') resolve under any host prefix and file://.
    path: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}\.html$")]
    title: Label
    nav_label: Label
    sections: list[Identifier] = Field(min_length=1, max_length=12)


class Sitemap(_Artifact):
    pages: list[SitemapPage] = Field(min_length=1, max_length=10)

    @field_validator("pages")
    @classmethod
    def _home_first_unique(cls, pages: list[SitemapPage]) -> list[SitemapPage]:
        if pages[0].id != "home" or pages[0].path != "index.html":
            raise ValueError("the first page must be 'home' at 'index.html'")
        for attr in ("id", "path"):
            values = [getattr(p, attr) for p in pages]
            if len(set(values)) != len(values):
                raise ValueError(f"page {attr}s must be unique")
        return pages

    def page(self, page_id: str) -> SitemapPage:
        return next(p for p in self.pages if p.id == page_id)


# Section copy: one model per entry of the template's section library, discriminated by
# `type` so the JSON written for the build carries exactly the fields its partial reads.
class _Section(_Artifact):
    heading: Text


class HeroSection(_Section):
    type: Literal["hero"] = "hero"
    eyebrow: Label | None = None
    subheading: Paragraph
    cta_label: Label
    cta_page: Identifier
    secondary_label: Label | None = None
    secondary_page: Identifier | None = None


class ServiceItem(_Artifact):
    name: Text
    description: Paragraph
    price: Label | None = None


class ServicesSection(_Section):
    type: Literal["services"] = "services"
    intro: Paragraph | None = None
    items: list[ServiceItem] = Field(min_length=1, max_length=12)


class AboutSection(_Section):
    type: Literal["about"] = "about"
    paragraphs: list[Paragraph] = Field(min_length=1, max_length=6)
    highlights: list[Text] = Field(default_factory=list, max_length=6)


class TestimonialItem(_Artifact):
    quote: Paragraph
    author: Label
    role: Label | None = None


class TestimonialsSection(_Section):
    type: Literal["testimonials"] = "testimonials"
    items: list[TestimonialItem] = Field(min_length=1, max_length=12)


class FaqEntry(_Artifact):
    question: Paragraph
    answer: Paragraph


class FaqSection(_Section):
    type: Literal["faq"] = "faq"
    items: list[FaqEntry] = Field(min_length=1, max_length=20)


class ContactSection(_Section):
    type: Literal["contact"] = "contact"
    intro: Paragraph
    call_label: Label
    email_label: Label


class CtaSection(_Section):
    type: Literal["cta"] = "cta"
    text: Paragraph
    button_label: Label
    button_page: Identifier


class FeatureItem(_Artifact):
    name: Text
    description: Paragraph


class FeaturesSection(_Section):
    type: Literal["features"] = "features"
    intro: Paragraph | None = None
    items: list[FeatureItem] = Field(min_length=1, max_length=12)


class PlanItem(_Artifact):
    name: Text
    price: Label
    period: Label | None = None
    description: Paragraph | None = None
    features: list[Text] = Field(default_factory=list, max_length=12)
    highlighted: bool = False


class PricingSection(_Section):
    type: Literal["pricing"] = "pricing"
    intro: Paragraph | None = None
    plans: list[PlanItem] = Field(min_length=1, max_length=4)
    cta_label: Label
    cta_page: Identifier


class WorkSection(_Section):
    type: Literal["work"] = "work"
    intro: Paragraph | None = None
    items: list[WorkPiece] = Field(min_length=1, max_length=12)
    # Set when the case studies page tells some of these pieces at length.
    more_label: Label | None = None
    more_page: Identifier | None = None


class CaseStudiesSection(_Section):
    type: Literal["case-studies"] = "case-studies"
    intro: Paragraph | None = None
    items: list[WorkPiece] = Field(min_length=1, max_length=12)


SectionContent = Annotated[
    HeroSection
    | ServicesSection
    | FeaturesSection
    | PricingSection
    | WorkSection
    | CaseStudiesSection
    | AboutSection
    | TestimonialsSection
    | FaqSection
    | ContactSection
    | CtaSection,
    Field(discriminator="type"),
]


class OpenGraph(_Artifact):
    title: Text
    description: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PageContent(_Artifact):
    page_id: Identifier
    title: Annotated[str, StringConstraints(min_length=1, max_length=70)]
    meta_description: Annotated[str, StringConstraints(min_length=1, max_length=160)]
    og: OpenGraph
    sections: list[SectionContent] = Field(min_length=1, max_length=12)

    @field_validator("sections")
    @classmethod
    def _one_per_type(cls, sections: list[SectionContent]) -> list[SectionContent]:
        # The layout plan orders sections by type, so a type may appear once per page.
        types = [s.type for s in sections]
        if len(set(types)) != len(types):
            raise ValueError("a section type may appear at most once per page")
        return sections


class SiteContent(_Artifact):
    pages: list[PageContent] = Field(min_length=1, max_length=10)

    def page(self, page_id: str) -> PageContent:
        return next(p for p in self.pages if p.page_id == page_id)


class SectionPlacement(_Artifact):
    section: Identifier
    variant: Identifier


class PageLayout(_Artifact):
    page_id: Identifier
    # Carried from the sitemap so the code patch can write navigation without it.
    path: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}\.html$")]
    nav_label: Label
    sections: list[SectionPlacement] = Field(min_length=1, max_length=12)


class LayoutPlan(_Artifact):
    pages: list[PageLayout] = Field(min_length=1, max_length=10)

    def page(self, page_id: str) -> PageLayout:
        return next(p for p in self.pages if p.page_id == page_id)


class CodePatch(_Artifact):
    diff: Annotated[str, StringConstraints(max_length=1_000_000)]
    paths: list[RepoPath] = Field(default_factory=list, max_length=200)
    summary: Annotated[str, StringConstraints(min_length=1, max_length=2000)]

    @field_validator("paths")
    @classmethod
    def _sorted_unique(cls, paths: list[RepoPath]) -> list[RepoPath]:
        return sorted(set(paths))


class AIUsage(_Artifact):
    model: Label
    # Input billed at the full rate: with prompt caching, tokens read from or written to the
    # cache are counted apart (below), as the Messages API reports them.
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    cost_usd: Decimal = Field(ge=0, max_digits=12, decimal_places=6)
    # Everything below came later: defaults keep stored artifacts, pipeline_step details and
    # recorded workflow histories loading.
    cache_read_tokens: int = Field(default=0, ge=0)
    cache_write_tokens: int = Field(default=0, ge=0)
    # Which prompt files (and versions) produced the artifact; None for a prompt-less AI.
    prompt_version: str | None = Field(default=None, max_length=200)
    # API requests behind this result (an invalid answer asked again is one more), their
    # wall time in total, and the provider's request ids, for the cost ledger and support.
    requests: int = Field(default=1, ge=0)
    latency_ms: int = Field(default=0, ge=0)
    request_ids: list[Label] = Field(default_factory=list, max_length=20)
    # The persona (sitegen/contracts/personas.py) the step ran with, when an operator chose
    # or edited one; None for the step's built-in role.
    persona: str | None = Field(default=None, max_length=100)


T = TypeVar("T", bound=BaseModel)


class AIResult(_Artifact, Generic[T]):
    artifact: T
    usage: AIUsage


# Named subclasses give activities concrete return types the Temporal converter can load.
class SpecResult(AIResult[SiteSpec]):
    pass


class BriefResult(AIResult[Brief]):
    pass


class SitemapResult(AIResult[Sitemap]):
    pass


class PageContentResult(AIResult[PageContent]):
    pass


class LayoutPlanResult(AIResult[LayoutPlan]):
    pass


class CodePatchResult(AIResult[CodePatch]):
    pass
