"""The onboarding form a client fills in after paying; stored verbatim as `raw_data`.

Every string and list is bounded so one submission can never bloat a row, a prompt
or a workflow payload. Text is stored verbatim (HTML included) and escaped on output.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
MediumText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
HexColour = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9a-fA-F]{3}){1,2}$")]
# A DNS label (RFC 1123), lower case, that we also use as the project slug's basis. At most
# 55 characters, so that each version's address `{subdomain}--v{n}` is a label too.
# Lowered before the pattern runs: pydantic checks `pattern` before applying `to_lower`.
SUBDOMAIN_MAX = 55
Subdomain = Annotated[
    str,
    StringConstraints(
        min_length=3,
        max_length=SUBDOMAIN_MAX,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{1,53}[a-z0-9])$",
    ),
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{7,25}$")]
StorageKey = Annotated[
    str,
    # Segments never start with '.', as storage requires (no '..' escaping uploads/).
    StringConstraints(max_length=300, pattern=r"^uploads(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$"),
]

# Subdomains an agency keeps for itself; a client may not claim them.
RESERVED_SUBDOMAINS = frozenset(
    {"www", "api", "app", "admin", "mail", "ftp", "smtp", "preview", "static", "cdn", "temporal"}
)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: object) -> object:
    """Postgres text and JSONB cannot hold NUL or lone surrogates: refuse them up front
    instead of failing at the database. Nested models check their own fields, so the
    error names the innermost field."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and _UNSTORABLE.search(item):
            raise ValueError("text contains a NUL character or an invalid code point")
        if isinstance(item, list):
            stack.extend(item)
    return value


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _storable = field_validator("*", mode="before")(storable)


class Locale(StrEnum):
    PT_BR = "pt-BR"
    EN = "en"


class Tone(StrEnum):
    FRIENDLY = "friendly"
    PROFESSIONAL = "professional"
    PLAYFUL = "playful"
    LUXURY = "luxury"
    TECHNICAL = "technical"


class SocialLinks(_Form):
    instagram: AnyHttpUrl | None = None
    facebook: AnyHttpUrl | None = None
    linkedin: AnyHttpUrl | None = None
    youtube: AnyHttpUrl | None = None
    tiktok: AnyHttpUrl | None = None
    x: AnyHttpUrl | None = None
    whatsapp: Phone | None = None


class OpeningHours(_Form):
    days: ShortText = Field(description="e.g. 'Mon-Fri' or 'Seg a Sex'")
    hours: ShortText = Field(description="e.g. '09:00-18:00' or 'closed'")


class Business(_Form):
    name: ShortText
    tagline: Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)] | None = None
    description: LongText
    industry: ShortText
    city: ShortText
    region: ShortText | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166 code, e.g. 'GB' or 'BR': how to read local phones"
    )
    phone: Phone
    email: EmailStr
    address: MediumText | None = None
    social: SocialLinks = Field(default_factory=SocialLinks)
    opening_hours: list[OpeningHours] = Field(default_factory=list, max_length=14)


class Audience(_Form):
    description: MediumText
    pains: list[ShortText] = Field(default_factory=list, max_length=8)


class Service(_Form):
    name: ShortText
    description: MediumText
    price: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class Style(_Form):
    primary_color: HexColour
    secondary_color: HexColour
    tone: Tone = Tone.PROFESSIONAL
    font: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=60, pattern=r"^[A-Za-z0-9 -]+$"),
        ]
        | None
    ) = None


class AssetKind(StrEnum):
    LOGO = "logo"
    IMAGE = "image"


class Asset(_Form):
    kind: AssetKind
    url: AnyHttpUrl | None = None
    storage_key: StorageKey | None = None
    alt: ShortText

    @model_validator(mode="after")
    def _one_source(self) -> Asset:
        if (self.url is None) == (self.storage_key is None):
            raise ValueError("give exactly one of 'url' or 'storage_key'")
        return self


class Testimonial(_Form):
    author: ShortText
    quote: MediumText
    role: ShortText | None = None


class FaqItem(_Form):
    question: MediumText
    answer: LongText


class Plan(_Form):
    """A price plan, for templates with a pricing page (saas)."""

    name: ShortText
    price: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    period: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        default=None, description="e.g. 'per month' or 'por mês'"
    )
    description: MediumText | None = None
    features: list[ShortText] = Field(default_factory=list, max_length=12)
    highlighted: bool = False


class Project(_Form):
    """A piece of work, for templates that show a portfolio; with a challenge, an approach
    or an outcome it is also told as a case study."""

    title: ShortText
    client: ShortText | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    summary: MediumText
    challenge: LongText | None = None
    approach: LongText | None = None
    outcome: LongText | None = None
    image: int | None = Field(
        default=None, ge=0, lt=20, description="index in `assets` of this project's picture"
    )

    @property
    def is_case_study(self) -> bool:
        return any((self.challenge, self.approach, self.outcome))


class Onboarding(_Form):
    """The whole form. `pages` are page ids from the chosen template's page list."""

    locale: Locale = Locale.EN
    business: Business
    audience: Audience
    services: list[Service] = Field(min_length=1, max_length=12)
    pages: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]] = Field(
        default_factory=lambda: ["home"], min_length=1, max_length=10
    )
    style: Style
    assets: list[Asset] = Field(default_factory=list, max_length=20)
    subdomain: Subdomain
    seo_keywords: list[ShortText] = Field(default_factory=list, max_length=20)
    testimonials: list[Testimonial] = Field(default_factory=list, max_length=12)
    faq: list[FaqItem] = Field(default_factory=list, max_length=20)
    plans: list[Plan] = Field(default_factory=list, max_length=4)
    projects: list[Project] = Field(default_factory=list, max_length=12)

    @field_validator("subdomain")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_SUBDOMAINS:
            raise ValueError(f"'{value}' is reserved; choose another subdomain")
        if "--" in value:  # 'xn--' punycode, and `--v3` names a version of a site
            raise ValueError("subdomain may not contain '--'")
        return value

    @field_validator("pages")
    @classmethod
    def _unique_pages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("pages must not repeat")
        if "home" not in value:
            value = ["home", *value]
        return value

    @field_validator("plans")
    @classmethod
    def _one_highlight(cls, plans: list[Plan]) -> list[Plan]:
        if sum(p.highlighted for p in plans) > 1:
            raise ValueError("at most one plan may be highlighted")
        return plans

    @field_validator("projects")
    @classmethod
    def _project_images(cls, projects: list[Project], info: ValidationInfo) -> list[Project]:
        if "assets" not in info.data:  # the assets failed themselves: said once, there
            return projects
        assets: list[Asset] = info.data["assets"]
        for i, project in enumerate(projects):
            index = project.image
            if index is not None and (
                index >= len(assets) or assets[index].kind is not AssetKind.IMAGE
            ):
                raise ValueError(
                    f"projects.{i}.image: {index} is not the index of an 'image' asset"
                )
        return projects

    @property
    def logo(self) -> Asset | None:
        return next((a for a in self.assets if a.kind is AssetKind.LOGO), None)


_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 50) -> str:
    """ASCII slug for names like 'Padaria São João' -> 'padaria-sao-joao'."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = _SLUG_STRIP.sub("-", ascii_text).strip("-")[:max_length].strip("-")
    if not slug:
        return "site"
    # Explicit slugs need 3+ characters; derived ones keep the same rule.
    return slug if len(slug) >= 3 else f"{slug}-site"
