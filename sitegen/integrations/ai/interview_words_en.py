"""English words for the discovery interview: what to ask, how to acknowledge, and the
patterns that read answers. Patterns run on the client's text as written (names keep their
capitals); word lists are folded (lower case, no accents) like the text they are matched in.
"""

from __future__ import annotations

# Cue words for the locale guess; common words of the language, folded.
CUES = frozenset(
    [
        "the",
        "and",
        "we",
        "our",
        "my",
        "is",
        "are",
        "it",
        "its",
        "i",
        "you",
        "your",
        "with",
        "for",
        "of",
        "in",
        "at",
        "to",
        "a",
        "an",
        "do",
        "does",
        "customers",
        "people",
        "services",
        "offer",
        "sell",
        "who",
        "what",
        "which",
    ]
)

QUESTIONS: dict[str, str] = {
    "business": "What is your business called, and what does it do?",
    "name": "What is your business called?",
    "industry": "What does {name} do, in a sentence or two?",
    "place": "Where are you based (the town or city)?",
    "audience": "Who are your customers, and what problem do they come to you with?",
    "services": (
        "What services or products do you offer? A list is fine, with prices if you like."
    ),
    "style": (
        "How should the site feel: friendly, professional, playful, luxurious or technical? "
        "And do you have brand colours?"
    ),
    "contact": "Which phone number and e-mail address should the site show?",
    "pages": "Which pages would you like? I can make: {pages}.",
}

LABELS: dict[str, str] = {
    "name": "the name",
    "industry": "what you do",
    "city": "where you are",
    "audience": "your customers",
    "pains": "what they struggle with",
    "services": "your services",
    "tone": "the tone",
    "colours": "the colours",
    "pages": "the pages",
    "phone": "the phone number",
    "email": "the e-mail address",
}

MESSAGES: dict[str, str] = {
    "hello": "Hello! I'll ask a few questions and then put together a plan for your website.",
    "noted": "Thanks, I've noted {what}.",
    "not_understood": "Sorry, I didn't quite catch that.",
    "invalid": "{what} doesn't look right: {reason}.",
    "plan": (
        "Here is the plan for {name}: {tagline}.\n"
        "Customers: {audience}\n"
        "Services: {services}\n"
        "Tone: {tone}. Pages: {pages}.\n"
        "If it looks right, confirm it and I'll start building; or tell me what to change."
    ),
    "updated": "Updated {what}.",
    "nothing_to_change": (
        "I couldn't find anything to change in that. You can tell me a new tone, colours, "
        "pages or contact details, or confirm the plan (you may correct any field then)."
    ),
    "service_description": "{name}, offered by {business}.",
    "described": "{name} is a {industry} in {city}.",
    "tagline": "{industry} in {city}",
    "revision_queued": (
        "Thanks, I've passed that on as a change to your preview; it is number {position} in "
        "the queue, and the preview shows it once it is done."
    ),
    "and": "and",
}

TONES: dict[str, str] = {
    "friendly": "friendly",
    "warm": "friendly",
    "welcoming": "friendly",
    "casual": "friendly",
    "relaxed": "friendly",
    "approachable": "friendly",
    "cosy": "friendly",
    "cozy": "friendly",
    "professional": "professional",
    "serious": "professional",
    "trustworthy": "professional",
    "corporate": "professional",
    "formal": "professional",
    "playful": "playful",
    "fun": "playful",
    "cheerful": "playful",
    "quirky": "playful",
    "lively": "playful",
    "luxury": "luxury",
    "luxurious": "luxury",
    "elegant": "luxury",
    "premium": "luxury",
    "sophisticated": "luxury",
    "refined": "luxury",
    "upscale": "luxury",
    "technical": "technical",
    "precise": "technical",
}

TONE_NAMES: dict[str, str] = {
    "friendly": "friendly",
    "professional": "professional",
    "playful": "playful",
    "luxury": "luxurious",
    "technical": "technical",
}

# "We're called X", "I run X": the name follows.
NAME_BEFORE = r"(?:called|named|name is|name's|i run|i own|we run|we own|welcome to)"
# "a small bakery in ..." after one of these is what the business is.
IS_A = r"(?:(?:is|are|we're|i'm|run|own|have)\s+|,\s*)an?"
# Where a clause about the kind of business ends.
CLAUSE_END = r"(?:in|on|at|near|based|that|which|where|for|with|since|called|named|and)"
PLACE_BEFORE = r"(?:based in|located in|we're in|we are in|in|from)"
AUDIENCE = r"(?:customers|clients|audience|visitors|guests|patients|students)\s+(?:are|is)"
PAINS = (
    r"(?:tired of|struggle with|struggling with|problems? (?:is|are|with)|frustrated (?:by|with)"
    r"|can't find|cannot find|hard to find|complain about|worried about|fed up with)"
)
SERVICES = r"(?:we offer|we sell|we do|we make|we provide|services are|products are|offer)"
LIST_AND = r"\s+(?:and|&)\s+"
# A message that says "that's all / none": a topic asked, answered with nothing.
NONE = frozenset({"no", "none", "nope", "not really", "no preference", "any", "whatever", "skip"})
TONE_CUE = r"(?:tone|feel|vibe|sound|look|style|make it|keep it)"
PAGE_CUE = r"(?:pages?)"
COLOUR_CUE = r"(?:colou?rs?)"
FROM = r"(?:from|starting at)"
