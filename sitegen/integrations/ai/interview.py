"""The offline discovery interview: reads each answer into the draft, asks for what the
onboarding still lacks (one or two questions at a time), and once it has enough writes the
business plan and the prefilled onboarding. Deterministic: the same conversation always
gets the same questions, plan and form.

Topics, in the order they are asked: what the business is, where it is, who its customers
are, its services, how the site should feel, how to reach it, which pages. A topic the
form cannot do without is asked again until answered; style and pages get sensible
defaults once asked and left open.
"""

from __future__ import annotations

from types import ModuleType
from typing import NamedTuple

from pydantic import ValidationError

from sitegen.contracts.conversation import (
    BusinessPlan,
    ConversationPhase,
    InterviewAsk,
    InterviewDraft,
    InterviewReply,
    TargetAudience,
)
from sitegen.contracts.onboarding import (
    RESERVED_SUBDOMAINS,
    Locale,
    Onboarding,
    Tone,
    slugify,
)
from sitegen.design.colours import readable
from sitegen.integrations.ai import interview_parse as parse
from sitegen.integrations.ai import interview_words_en as en
from sitegen.integrations.ai import interview_words_pt as pt
from sitegen.integrations.ai.revision_words import page_name

TOPICS = ("business", "place", "audience", "services", "style", "contact", "pages")
# Asked once; left open, they take a default instead of being asked again.
DEFAULTABLE = frozenset({"style", "pages"})
# Questions that are two already, asked on their own.
ALONE = frozenset({"business", "services", "style"})
PALETTES: dict[Tone, tuple[str, str]] = {
    Tone.FRIENDLY: ("#2e7d32", "#f2c14e"),
    Tone.PROFESSIONAL: ("#1e3a8a", "#0ea5e9"),
    Tone.PLAYFUL: ("#c026d3", "#facc15"),
    Tone.LUXURY: ("#1b1b1b", "#d4a017"),
    Tone.TECHNICAL: ("#0f172a", "#06b6d4"),
}
DEFAULT_PAGES = ("home", "about", "services", "contact")
# The topic whose answer may set each field once it is known.
_OWNER = {
    "name": "business",
    "industry": "business",
    "city": "place",
    "audience": "audience",
    "pains": "audience",
    "services": "services",
}
# Where a form error sends the interview back to.
_FIELD_TOPIC = {
    "name": "business",
    "industry": "business",
    "description": "business",
    "city": "place",
    "phone": "contact",
    "email": "contact",
    "audience": "audience",
    "services": "services",
}


def bank(locale: Locale) -> ModuleType:
    return pt if locale is Locale.PT_BR else en


def conduct(ask: InterviewAsk) -> InterviewReply:
    words = bank(ask.locale)
    draft = ask.draft.model_copy(deep=True)
    planning = ask.phase is ConversationPhase.PLANNING
    first = not draft.asked
    topics = set(draft.last_asked or (["business"] if first else []))
    if planning:
        topics |= {"style", "pages", "contact"}
    learnt = read(ask.message, draft, topics, ask.locale, ask.pages_offered, planning)
    missing = missing_topics(draft)
    if not missing:
        built = build(draft, ask.locale, ask.pages_offered)
        if not isinstance(built, FormProblem):
            plan, form = built
            lead = _noted(words, learnt, "updated" if planning else "noted")
            if planning and not learnt:
                lead = words.MESSAGES["nothing_to_change"]
            draft.last_asked = []
            return InterviewReply(
                reply=_join(lead, plan_text(plan, ask.locale)),
                draft=draft,
                plan=plan,
                onboarding=form,
            )
        topic, field, reason = built
        _forget(draft, field)
        label = words.LABELS.get(field, field)
        lead = words.MESSAGES["invalid"].format(what=label, reason=reason)
        lead = lead[:1].upper() + lead[1:]
        missing = [topic]
    elif learnt:
        lead = _noted(words, learnt, "noted")
    else:
        lead = words.MESSAGES["hello"] if first else words.MESSAGES["not_understood"]
    now = missing[:1]
    if len(missing) > 1 and not ALONE & {missing[0], missing[1]}:
        now = missing[:2]
    draft.asked = [*draft.asked, *(t for t in now if t not in draft.asked)][-40:]
    draft.last_asked = now
    questions = [question(t, draft, ask.locale, ask.pages_offered) for t in now]
    return InterviewReply(reply=_join(lead, *questions), draft=draft, missing=missing)


def read(
    text: str,
    draft: InterviewDraft,
    topics: set[str],
    locale: Locale,
    offered: list[str],
    planning: bool = False,
) -> list[str]:
    """Everything the message says, into `draft`; the names of the fields it changed."""
    found: dict[str, object] = {
        "email": parse.email(text),
        "phone": parse.phone(text),
        "name": parse.name(text),
        "industry": parse.industry(text),
        "city": parse.city(text),
        "audience": parse.audience(text),
        "pains": parse.pains(text),
        "tone": parse.tone(text, "style" in topics),
    }
    short = len(text.split()) <= 6
    # Taken whole only as the answer to a question that asked for it (not a first hello).
    if "business" in topics and draft.asked:
        if found["name"] is None and draft.name is None and short and found["industry"] is None:
            found["name"] = parse.clean(text)
        elif (
            draft.name is not None
            and draft.industry is None
            and not any(found[f] for f in ("industry", "audience", "pains"))
        ):
            found["industry"] = parse.clean(parse.sentences(text)[0], 60)
    if "place" in topics and found["city"] is None and short:
        found["city"] = parse.clean(text, 60)
    if "audience" in topics and found["audience"] is None and len(text.split()) >= 3:
        found["audience"] = parse.clean(parse.sentences(text)[0], 500)
    listed = parse.services_text(text)
    if listed is None and "services" in topics and not parse.is_none(text):
        listed = text
    if listed:
        business = str(found["name"] or draft.name or "")
        found["services"] = parse.services(listed, business, locale) or None
    colours = parse.colours(text, "style" in topics)
    if colours:
        found["colours"] = colours
    chosen = parse.pages(text, offered, "pages" in topics)
    if chosen:
        found["pages"] = chosen
    # An answer to another question does not overwrite what an earlier answer settled
    # ("our customers are a mix of..." is not what the business is).
    settled = {f for f, topic in _OWNER.items() if topic not in topics and getattr(draft, f)}
    if planning:
        settled = set()
    learnt = [
        field
        for field, value in found.items()
        if value and field not in settled and _apply(draft, field, value)
    ]
    if draft.description is None and ({"name", "industry"} & set(learnt)) and len(text) >= 20:
        draft.description = parse.clean(parse.without_greeting(text), 4000) or None
    return learnt


def _apply(draft: InterviewDraft, field: str, value: object) -> bool:
    if field == "colours":
        assert isinstance(value, list)
        before = (draft.primary_color, draft.secondary_color)
        draft.primary_color = value[0]
        draft.secondary_color = value[1] if len(value) > 1 else draft.secondary_color
        return before != (draft.primary_color, draft.secondary_color)
    if getattr(draft, field) == value:
        return False
    setattr(draft, field, value)
    return True


def _forget(draft: InterviewDraft, field: str) -> None:
    if field in ("name", "industry", "city", "audience", "phone", "email", "description"):
        setattr(draft, field, None)
    elif field == "services":
        draft.services = []


def missing_topics(draft: InterviewDraft) -> list[str]:
    missing = {
        "business": draft.name is None or draft.industry is None,
        "place": draft.city is None,
        "audience": draft.audience is None,
        "services": not draft.services,
        "style": draft.tone is None and draft.primary_color is None,
        "contact": draft.phone is None or draft.email is None,
        "pages": not draft.pages,
    }
    return [t for t in TOPICS if missing[t] and not (t in DEFAULTABLE and t in draft.asked)]


def question(topic: str, draft: InterviewDraft, locale: Locale, offered: list[str]) -> str:
    words = bank(locale)
    if topic == "business" and draft.name is None and draft.industry is not None:
        return str(words.QUESTIONS["name"])
    if topic == "business" and draft.name is not None:
        return str(words.QUESTIONS["industry"]).format(name=draft.name)
    if topic == "pages":
        names = [page_name(locale, p) for p in offered]
        return str(words.QUESTIONS["pages"]).format(pages=", ".join(names))
    return str(words.QUESTIONS[topic])


class FormProblem(NamedTuple):
    topic: str
    field: str
    reason: str


def build(
    draft: InterviewDraft, locale: Locale, offered: list[str]
) -> tuple[BusinessPlan, dict[str, object]] | FormProblem:
    """The plan and the onboarding form from a complete draft; or the topic, field and
    reason of the first thing the form refuses (a phone number it cannot read, say)."""
    words = bank(locale)
    assert draft.name and draft.industry and draft.city and draft.audience
    tone = draft.tone or Tone.PROFESSIONAL
    palette = PALETTES[tone]
    industry = draft.industry[:1].upper() + draft.industry[1:]
    tagline = str(words.MESSAGES["tagline"]).format(industry=industry, city=draft.city)[:160]
    description = draft.description or str(words.MESSAGES["described"]).format(
        name=draft.name, industry=draft.industry, city=draft.city
    )
    pages = draft.pages or [p for p in DEFAULT_PAGES if p in offered] or ["home"]
    subdomain = slugify(draft.name)
    if subdomain in RESERVED_SUBDOMAINS:
        subdomain = f"{subdomain}-site"
    form: dict[str, object] = {
        "locale": locale.value,
        "business": {
            "name": draft.name,
            "tagline": tagline,
            "description": description,
            "industry": industry,
            "city": draft.city,
            "phone": draft.phone,
            "email": draft.email,
        },
        "audience": {"description": draft.audience, "pains": draft.pains},
        "services": [s.model_dump(exclude_none=True) for s in draft.services],
        "pages": pages,
        "style": {
            "primary_color": readable(draft.primary_color or palette[0]),
            "secondary_color": readable(draft.secondary_color or palette[1]),
            "tone": tone.value,
        },
        "subdomain": subdomain,
    }
    try:
        checked = Onboarding.model_validate(form)
    except ValidationError as exc:
        error = exc.errors(include_input=False)[0]
        field = str(error["loc"][1] if len(error["loc"]) > 1 else error["loc"][0])
        field = field if field in _FIELD_TOPIC else str(error["loc"][0])
        return FormProblem(_FIELD_TOPIC.get(field, "business"), field, str(error["msg"]))
    plan = BusinessPlan(
        name=checked.business.name,
        tagline=checked.business.tagline or "",
        description=checked.business.description,
        audience=TargetAudience(
            primary=checked.audience.description, pain_points=checked.audience.pains
        ),
        services=draft.services,
        tone=checked.style.tone,
        pages=checked.pages,
    )
    return plan, checked.model_dump(mode="json", exclude_none=True)


def plan_text(plan: BusinessPlan, locale: Locale) -> str:
    words = bank(locale)
    services = ", ".join(s.name + (f" ({s.price})" if s.price else "") for s in plan.services)
    return str(words.MESSAGES["plan"]).format(
        name=plan.name,
        tagline=plan.tagline,
        audience=plan.audience.primary,
        services=services,
        tone=words.TONE_NAMES[plan.tone.value],
        pages=", ".join(page_name(locale, p) for p in plan.pages),
    )


def _noted(words: ModuleType, learnt: list[str], key: str) -> str:
    labels = [words.LABELS[f] for f in learnt if f in words.LABELS]
    if not labels:
        return ""
    listed = (
        labels[0]
        if len(labels) == 1
        else (", ".join(labels[:-1]) + f" {words.MESSAGES['and']} " + labels[-1])
    )
    return str(words.MESSAGES[key]).format(what=listed)


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())[:4000]
