"""The onboarding form contract, on its own: pure pydantic, no server."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from sitegen.contracts.onboarding import Onboarding, slugify
from tests.conftest import example, example_names


def form(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(example("harbour-physio"))
    data.update(changes)
    return data


def errors_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        Onboarding.model_validate(data)
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in info.value.errors()]


def fields_of(data: dict[str, Any]) -> set[str]:
    return {field for field, _ in errors_of(data)}


def test_there_are_examples_in_both_locales() -> None:
    names = example_names()
    assert len(names) >= 3
    assert {example(n)["locale"] for n in names} >= {"en", "pt-BR"}


@pytest.mark.parametrize("name", example_names())
def test_every_example_is_valid(name: str) -> None:
    onboarding = Onboarding.model_validate(example(name))
    assert onboarding.services
    assert "home" in onboarding.pages
    # A round trip through JSON (how it is stored as raw_data) gives the same model.
    again = Onboarding.model_validate(onboarding.model_dump(mode="json"))
    assert again == onboarding


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (("business", "name"), 120),
        (("business", "description"), 4000),
        (("business", "tagline"), 160),
        (("business", "address"), 500),
        (("audience", "description"), 500),
        (("services", 0, "name"), 120),
        (("services", 0, "price"), 40),
        (("faq", 0, "answer"), 4000),
    ],
)
def test_strings_are_bounded(path: tuple[str | int, ...], limit: int) -> None:
    data = form()
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = "x" * limit
    Onboarding.model_validate(data)  # exactly at the limit is fine
    parent[path[-1]] = "x" * (limit + 1)
    field = ".".join(str(p) for p in path)
    assert any(f == field and "at most" in msg for f, msg in errors_of(data))


def test_required_text_may_not_be_blank() -> None:
    data = form()
    data["business"]["name"] = "   "
    assert fields_of(data) == {"business.name"}


@pytest.mark.parametrize("colour", ["#0F5E7A", "#fff", "#ABCDEF", "#abc123"])
def test_hex_colours_accepted(colour: str) -> None:
    data = form()
    data["style"]["primary_color"] = f" {colour} "  # surrounding blanks are trimmed
    assert Onboarding.model_validate(data).style.primary_color == colour


@pytest.mark.parametrize(
    "colour", ["0F5E7A", "#0F5E7", "#12345G", "red", "#ffff", "# 0F5E7A", "rgb(0,0,0)", ""]
)
def test_bad_hex_colours_rejected(colour: str) -> None:
    data = form()
    data["style"]["secondary_color"] = colour
    assert fields_of(data) == {"style.secondary_color"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("harbour-physio", "harbour-physio"),
        ("Harbour-Physio", "harbour-physio"),  # upper case is lowered, not refused
        ("  padaria  ", "padaria"),
        ("abc", "abc"),
        ("a1-b2-c3", "a1-b2-c3"),
        ("a" * 55, "a" * 55),
    ],
)
def test_subdomain_accepted_and_normalised(given: str, stored: str) -> None:
    assert Onboarding.model_validate(form(subdomain=given)).subdomain == stored


@pytest.mark.parametrize(
    "subdomain",
    [
        "harbour_physio",  # underscore
        "-harbour",  # leading hyphen
        "harbour-",  # trailing hyphen
        "a" * 56,  # `--v1234` would not fit a DNS label
        "harbour--physio",  # '--' is how version addresses are told apart
        "ab",  # too short
        "www",  # reserved
        "WWW",  # reserved, whatever the case
        "api",
        "xn--80ak6aa92e",  # punycode
        "ab--cd",
        "harbour.physio",
        "harbour physio",
        "pão",
        "",
    ],
)
def test_bad_subdomain_rejected(subdomain: str) -> None:
    assert fields_of(form(subdomain=subdomain)) == {"subdomain"}


def test_too_many_services() -> None:
    service = {"name": "Massage", "description": "An hour of it."}
    Onboarding.model_validate(form(services=[service] * 12))
    assert any(
        f == "services" and "at most 12" in msg
        for f, msg in errors_of(form(services=[service] * 13))
    )


def test_zero_services() -> None:
    assert fields_of(form(services=[])) == {"services"}


def test_other_lists_are_bounded() -> None:
    assert fields_of(form(seo_keywords=["kw"] * 21)) == {"seo_keywords"}
    assert fields_of(form(pages=["home", "about"] * 6)) == {"pages"}
    faq = {"question": "Why?", "answer": "Because."}
    assert fields_of(form(faq=[faq] * 21)) == {"faq"}


def test_pages_must_not_repeat_and_home_is_implied() -> None:
    assert fields_of(form(pages=["about", "about"])) == {"pages"}
    assert Onboarding.model_validate(form(pages=["about"])).pages == ["home", "about"]
    assert fields_of(form(pages=["About Us"])) == {"pages.0"}


@pytest.mark.parametrize(
    "name",
    [
        "مخبز الأصالة",  # Arabic, right to left
        "מאפיית השכונה",  # Hebrew
        "Padaria Pão & Afeto",
        "Café \u200fالقاهرة\u200e Bistro",  # noqa: RUF001  (mixed direction, explicit marks)
        "東京ベーカリー",
        "Bäckerei Müller 🥐",
    ],
)
def test_unicode_and_rtl_text_stored_verbatim(name: str) -> None:
    data = form()
    data["business"]["name"] = name
    data["testimonials"][0]["quote"] = f"{name} — ممتاز!"
    onboarding = Onboarding.model_validate(data)
    assert onboarding.business.name == name
    assert onboarding.testimonials[0].quote == f"{name} — ممتاز!"
    dumped = onboarding.model_dump(mode="json")
    assert dumped["business"]["name"] == name


def test_length_limits_count_characters_not_bytes() -> None:
    data = form()
    data["business"]["name"] = "ش" * 120  # 240 bytes in UTF-8, 120 characters
    assert Onboarding.model_validate(data).business.name == "ش" * 120


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "Tom &amp; Jerry <b>bold</b>",
        "{{ config }} {% raw %}",  # template syntax is text, too
    ],
)
def test_html_is_stored_verbatim(text: str) -> None:
    data = form()
    data["business"]["description"] = text
    data["services"][0]["name"] = text[:120]
    data["faq"][0]["answer"] = text
    onboarding = Onboarding.model_validate(data)
    # Kept exactly as typed: not escaped, not stripped, not interpreted.
    assert onboarding.business.description == text
    assert onboarding.services[0].name == text[:120]
    assert onboarding.faq[0].answer == text
    assert onboarding.model_dump(mode="json")["business"]["description"] == text


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_bad_email_rejected(email: str) -> None:
    data = form()
    data["business"]["email"] = email
    assert fields_of(data) == {"business.email"}


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://example.com/x", "javascript:alert(1)", "//example.com"]
)
def test_bad_urls_rejected(url: str) -> None:
    data = form()
    data["business"]["social"]["instagram"] = url
    assert fields_of(data) == {"business.social.instagram"}


def test_bad_phone_rejected() -> None:
    data = form()
    data["business"]["phone"] = "call me maybe"
    assert fields_of(data) == {"business.phone"}


def test_unknown_fields_rejected() -> None:
    data = form(admin=True)
    assert fields_of(data) == {"admin"}
    data = form()
    data["business"]["is_admin"] = True
    assert fields_of(data) == {"business.is_admin"}


def test_unknown_locale_and_tone_rejected() -> None:
    assert fields_of(form(locale="fr")) == {"locale"}
    data = form()
    data["style"]["tone"] = "sarcastic"
    assert fields_of(data) == {"style.tone"}


def asset(**fields: Any) -> dict[str, Any]:
    return {"kind": "image", "alt": "The clinic", **fields}


def test_asset_with_url_or_storage_key() -> None:
    by_url = Onboarding.model_validate(form(assets=[asset(url="https://example.com/a.png")]))
    assert str(by_url.assets[0].url) == "https://example.com/a.png"
    by_key = Onboarding.model_validate(form(assets=[asset(storage_key="uploads/p/a.png")]))
    assert by_key.assets[0].storage_key == "uploads/p/a.png"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"url": "https://example.com/a.png", "storage_key": "uploads/a.png"},
    ],
)
def test_asset_needs_exactly_one_source(fields: dict[str, Any]) -> None:
    errors = errors_of(form(assets=[asset(**fields)]))
    assert [f for f, _ in errors] == ["assets.0"]
    assert "exactly one" in errors[0][1]


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "uploads/../../x",
        "uploads/a/../../../x",
        "uploads/.hidden",
        "uploads//a.png",
        "uploads/",
        "/uploads/a.png",
        "a.png",
    ],
)
def test_asset_storage_key_stays_under_uploads(key: str) -> None:
    fields = fields_of(form(assets=[asset(storage_key=key)]))
    assert "assets.0.storage_key" in fields or "assets.0" in fields


def test_logo_property() -> None:
    assert Onboarding.model_validate(example("harbour-physio")).logo is not None
    assert Onboarding.model_validate(form(assets=[])).logo is None


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Harbour Physiotherapy", "harbour-physiotherapy"),
        ("Padaria São João", "padaria-sao-joao"),
        ("Padaria Pão & Afeto", "padaria-pao-afeto"),
        ("  Café -- Bar!  ", "cafe-bar"),
        ("ÀÉÎÕÜ ç", "aeiou-c"),
        ("100% Organic", "100-organic"),
        ("مخبز الأصالة", "site"),  # nothing ASCII left: a safe fallback
        ("!!!", "site"),
        ("A", "a-site"),  # derived slugs are never shorter than explicit ones may be
        ("Q8", "q8-site"),
        ("", "site"),
        ("a" * 80, "a" * 50),
        ("word " * 20, ("word-" * 10).strip("-")),  # cut at 50, no trailing hyphen
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slugify_respects_max_length() -> None:
    assert slugify("a-b-c-d-e", max_length=4) == "a-b"
