"""The offline interviewer: what it reads from answers, what it asks next, and the plan and
onboarding it writes at the end (in English and Portuguese)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.api.routes.conversation import _chunks
from sitegen.contracts.conversation import (
    ConversationPhase,
    InterviewAsk,
    InterviewDraft,
    InterviewReply,
    draft_from_onboarding,
)
from sitegen.contracts.onboarding import Locale, Onboarding, Tone
from sitegen.design.colours import contrast, readable
from sitegen.integrations.ai import interview_parse as parse
from sitegen.integrations.ai.interview import conduct
from tests.conversation.scripts import EN, PT

OFFERED = ["home", "about", "services", "faq", "contact"]


def turn(
    message: str,
    draft: InterviewDraft,
    locale: Locale = Locale.EN,
    phase: ConversationPhase = ConversationPhase.DISCOVERY,
) -> InterviewReply:
    return conduct(
        InterviewAsk(
            message=message,
            locale=locale,
            phase=phase,
            draft=draft,
            template_id="landing",
            pages_offered=OFFERED,
        )
    )


def run(messages: list[str], locale: Locale) -> list[InterviewReply]:
    draft, replies = InterviewDraft(), []
    for message in messages:
        reply = turn(message, draft, locale)
        replies.append(reply)
        draft = reply.draft
    return replies


def test_english_interview_ends_in_a_plan_and_a_valid_onboarding() -> None:
    replies = run(EN, Locale.EN)
    assert all(r.plan is None for r in replies[:-1])
    last = replies[-1]
    assert last.plan is not None and last.onboarding is not None and last.missing == []
    form = Onboarding.model_validate(last.onboarding)
    assert form.locale is Locale.EN
    assert form.business.name == "Sunflower Café"
    assert form.business.city == "Brighton"
    assert form.business.industry == "Small family café"
    assert form.business.phone == "01273 960 123"
    assert str(form.business.email) == "hello@sunflowercafe.co.uk"
    assert [s.name for s in form.services] == [
        "All-day breakfast",
        "Homemade cakes",
        "Private hire for birthdays",
    ]
    assert form.services[0].price == "from £8.50"
    assert form.audience.pains == ["crowded chain cafés", "nowhere to sit with a pushchair"]
    assert form.style.tone is Tone.FRIENDLY
    assert (form.style.primary_color, form.style.secondary_color) == ("#facc15", "#1f4d2b")
    assert form.pages == ["home", "about", "services", "contact"]
    assert form.subdomain == "sunflower-cafe"
    assert last.plan.name == form.business.name and last.plan.tone is Tone.FRIENDLY
    assert "Here is the plan for Sunflower Café" in last.reply


def test_portuguese_interview_ends_in_a_plan_in_portuguese() -> None:
    assert parse.guess_locale(PT[0]) is Locale.PT_BR
    replies = run(PT, Locale.PT_BR)
    last = replies[-1]
    assert last.plan is not None and last.onboarding is not None
    form = Onboarding.model_validate(last.onboarding)
    assert form.locale is Locale.PT_BR
    assert form.business.name == "Padaria Pão & Afeto"
    assert form.business.city == "São Paulo"
    assert [s.price for s in form.services] == ["a partir de R$ 18", "R$ 149", None]
    assert form.style.tone is Tone.FRIENDLY
    assert form.subdomain == "padaria-pao-afeto"
    assert last.reply.startswith("Obrigado") and "Este é o plano" in last.reply
    assert replies[0].reply.endswith(
        "Quem são os seus clientes, e que problema eles trazem para vocês?"
    )


def test_one_or_two_questions_at_a_time_and_a_missing_answer_asked_again() -> None:
    first = turn("Hello, I'd like a website", InterviewDraft())
    assert first.reply.startswith("Hello!") and first.reply.count("?") == 1
    assert first.missing[0] == "business"
    named = turn("Harbour Physio", first.draft)
    assert named.draft.name == "Harbour Physio"
    assert "What does Harbour Physio do" in named.reply
    # An answer that says nothing to what was asked gets the question again.
    again = turn("hmm", turn("We are a physiotherapy clinic in Leith.", named.draft).draft)
    assert again.reply.startswith("Sorry") and "customers" in again.reply
    for reply in (first, named, again):
        assert reply.reply.count("?") <= 2


def test_style_and_pages_take_defaults_once_asked_and_left_open() -> None:
    draft = run(EN[:3], Locale.EN)[-1].draft
    assert draft.last_asked == ["style"]
    left_open = turn("no preference", draft)
    assert left_open.plan is None and left_open.missing == ["contact", "pages"]
    assert left_open.draft.last_asked == ["contact", "pages"]
    # The contact answered, the pages not: they take the default, and the plan is ready.
    done = turn("You can call 0131 555 0101 or write to hi@harbour.example.com", left_open.draft)
    assert done.plan is not None and done.plan.tone is Tone.PROFESSIONAL
    assert done.plan.pages == ["home", "about", "services", "contact"]
    assert done.onboarding is not None
    assert done.onboarding["style"]["primary_color"] == "#1e3a8a"


def test_a_phone_the_form_refuses_is_asked_for_again() -> None:
    draft = run(EN[:4], Locale.EN)[-1].draft.model_copy(
        update={"phone": "12345678", "email": "not-an-email"}
    )
    reply = turn("about and contact pages", draft)
    assert reply.plan is None and reply.missing == ["contact"]
    assert reply.reply.startswith("The e-mail address doesn't look right")
    assert reply.draft.email is None and reply.draft.phone == "12345678"


def test_planning_phase_corrections_rebuild_the_plan() -> None:
    last = run(EN, Locale.EN)[-1]
    changed = turn(
        "Make it more playful, with pink colours", last.draft, phase=ConversationPhase.PLANNING
    )
    assert changed.plan is not None and changed.plan.tone is Tone.PLAYFUL
    assert (
        changed.onboarding is not None and changed.onboarding["style"]["primary_color"] == "#ec4899"
    )
    assert changed.reply.startswith("Updated the tone and the colours.")
    same = turn("ok", last.draft, phase=ConversationPhase.PLANNING)
    assert same.plan == last.plan and same.reply.startswith("I couldn't find anything to change")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We're called Ironbark Software and we build apps", "Ironbark Software"),
        ("Eu tenho a Padaria Pão & Afeto em São Paulo", "Padaria Pão & Afeto"),
        ("Northwind Yoga is a yoga studio in Leeds", "Northwind Yoga"),
        ("We are a bakery", None),
    ],
)
def test_names(text: str, expected: str | None) -> None:
    assert parse.name(text) == expected


def test_contacts_prices_colours_and_pages() -> None:
    assert parse.email("write to ola@paoeafeto.com.br.") == "ola@paoeafeto.com.br"
    assert parse.phone("ring +44 1273 960123 today") == "+44 1273 960123"
    assert parse.phone("from £8.50 since 2012") is None
    services = parse.services("Yoga: classes for beginners, Massage €40", "Studio", Locale.EN)
    assert [(s.name, s.description, s.price) for s in services] == [
        ("Yoga", "classes for beginners", None),
        ("Massage", "Massage, offered by Studio.", "€40"),
    ]
    assert parse.colours("navy and #ff8800", cued=True) == ["#1b2a4a", "#ff8800"]
    # A colour word in a name is not a colour choice unless colours are being talked about.
    assert parse.colours("Green Leaf Yoga", cued=False) == []
    assert parse.tone("a friendly café", cued=False) is None
    assert parse.tone("make it elegant", cued=False) is Tone.LUXURY
    assert parse.pages("Sobre e contato", OFFERED, cued=True) == ["home", "about", "contact"]
    assert parse.pages("about pricing", OFFERED, cued=True) == ["home", "about"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=6))
def test_any_messages_get_a_reply_and_never_break_the_interview(messages: list[str]) -> None:
    draft = InterviewDraft()
    for message in messages:
        if not message.strip():
            continue
        reply = turn(message, draft)
        assert 1 <= len(reply.reply) <= 4000
        draft = reply.draft
        if reply.onboarding is not None:
            Onboarding.model_validate(reply.onboarding)


def test_a_prefilled_form_gives_its_draft_back() -> None:
    last = run(EN, Locale.EN)[-1]
    assert last.onboarding is not None
    again = draft_from_onboarding(last.onboarding)
    rebuilt = turn("ok", again, phase=ConversationPhase.PLANNING)
    assert rebuilt.plan == last.plan and rebuilt.onboarding == last.onboarding


def test_a_reply_streams_in_pieces_that_join_to_it() -> None:
    text = "Thanks, I've noted the name. Where are you?\nCustomers: locals! Tone: friendly."
    pieces = _chunks(text)
    assert "".join(pieces) == text and len(pieces) == 4
    assert _chunks("no punctuation") == ["no punctuation"]


def test_a_brand_colour_no_text_reads_on_keeps_its_hue_and_deepens() -> None:
    # Terracotta reads at 4.25:1 with near-black and less with white: the build's contrast
    # gate would refuse every band of it. Deepened, white text reads on it.
    assert max(contrast("#c65d3b", "#ffffff"), contrast("#c65d3b", "#16181d")) < 4.5
    deeper = readable("#c65d3b")
    assert contrast(deeper, "#ffffff") >= 4.5 and deeper == "#b75535"
    for fine in ("#facc15", "#1f4d2b", "#ec4899", "#1e3a8a"):
        assert readable(fine) == fine
    form = run(PT, Locale.PT_BR)[-1].onboarding
    assert form is not None and form["style"]["primary_color"] == "#b75535"
