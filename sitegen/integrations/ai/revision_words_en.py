"""English words for reading change requests, and the English answers to them.

Vocabulary keys are folded (lower case, no accents, hyphens as spaces) because the parser
matches on folded text; messages are `str.format` templates shown to the client.
"""

from __future__ import annotations

# Common colour names -> a representative, usable brand shade (not the CSS keyword, which
# is often garish: CSS 'green' is #008000).
COLOURS: dict[str, str] = {
    "navy": "#1b2a4a",
    "navy blue": "#1b2a4a",
    "dark blue": "#1e3a8a",
    "royal blue": "#2251cc",
    "blue": "#1d4ed8",
    "light blue": "#7cb9e8",
    "sky blue": "#38bdf8",
    "baby blue": "#a7c7e7",
    "teal": "#0f766e",
    "petrol blue": "#0f5e6b",
    "turquoise": "#1abc9c",
    "cyan": "#06b6d4",
    "aqua": "#00bcd4",
    "green": "#2e7d32",
    "dark green": "#1f4d2b",
    "forest green": "#228b22",
    "emerald": "#059669",
    "emerald green": "#059669",
    "olive": "#6b7d2a",
    "olive green": "#6b7d2a",
    "sage": "#8a9a5b",
    "sage green": "#8a9a5b",
    "mint": "#98e2c6",
    "mint green": "#98e2c6",
    "lime": "#84cc16",
    "lime green": "#84cc16",
    "light green": "#90ee90",
    "red": "#c62828",
    "dark red": "#8b0000",
    "crimson": "#b91c3c",
    "burgundy": "#800020",
    "wine": "#722f37",
    "maroon": "#800000",
    "pink": "#ec4899",
    "light pink": "#f9c6d3",
    "hot pink": "#ff69b4",
    "magenta": "#c026d3",
    "purple": "#6b21a8",
    "violet": "#7c3aed",
    "lilac": "#c8a2c8",
    "lavender": "#b57edc",
    "orange": "#ea580c",
    "burnt orange": "#cc5500",
    "coral": "#ff7f50",
    "peach": "#ffcba4",
    "salmon": "#fa8072",
    "yellow": "#facc15",
    "gold": "#d4a017",
    "golden": "#d4a017",
    "mustard": "#d4a72c",
    "amber": "#f59e0b",
    "beige": "#d8c3a5",
    "cream": "#f5ecd7",
    "ivory": "#fffff0",
    "tan": "#d2b48c",
    "brown": "#795548",
    "chocolate": "#5d3a1a",
    "coffee": "#6f4e37",
    "terracotta": "#c65d3b",
    "rust": "#b7410e",
    "black": "#111111",
    "white": "#ffffff",
    "grey": "#6b7280",
    "gray": "#6b7280",
    "dark grey": "#374151",
    "dark gray": "#374151",
    "light grey": "#d1d5db",
    "light gray": "#d1d5db",
    "charcoal": "#333a44",
    "slate": "#475569",
    "silver": "#c0c0c0",
}

# Words before "page" that name a template page ("the about us page").
PAGES: dict[str, str] = {
    "home": "home",
    "homepage": "home",
    "front": "home",
    "main": "home",
    "landing": "home",
    "start": "home",
    "about": "about",
    "about us": "about",
    "services": "services",
    "service": "services",
    "faq": "faq",
    "faqs": "faq",
    "questions": "faq",
    "contact": "contact",
    "contact us": "contact",
    "contacts": "contact",
    "features": "features",
    "feature": "features",
    "pricing": "pricing",
    "prices": "pricing",
    "plans": "pricing",
    "work": "work",
    "portfolio": "work",
    "projects": "work",
    "case studies": "case-studies",
    "case study": "case-studies",
}

ADD = ("add", "include", "create", "insert", "put", "append", "new")
REMOVE = (
    "remove",
    "delete",
    "drop",
    "take out",
    "take off",
    "get rid of",
    "erase",
    "hide",
    "cut",
)
CHANGE = (
    "change",
    "set",
    "make",
    "update",
    "replace",
    "switch",
    "use",
    "edit",
    "modify",
    "rewrite",
    "correct",
    "fix",
)
DESTRUCTIVE_VERBS = (
    "delete",
    "remove",
    "erase",
    "destroy",
    "wipe",
    "take down",
    "shut down",
    "kill",
    "unpublish",
    "get rid of",
    "cancel",
)

MESSAGES: dict[str, str] = {
    # Refusals: plain words, no jargon; they are shown to the client as they are.
    "destructive": (
        "I can't delete the website or take it offline from a change request. If you want "
        "to stop or cancel the project, please contact us directly."
    ),
    "injection": (
        "Please describe the change in plain words, without code, HTML or instructions for "
        'the system. For example: Change the headline on the home page to "Move freely again".'
    ),
    "unintelligible": (
        "Sorry, I couldn't work out what to change. {capabilities} For example: {example}"
    ),
    "part_unclear": (
        'Sorry, I couldn\'t understand this part of your message: "{part}". Nothing has been '
        "changed. {capabilities} For example: {example}"
    ),
    "capabilities": (
        "I can change the colours, a page's headline or paragraphs, add or remove services, "
        "FAQ entries and pages, and update your phone, email, address or opening hours."
    ),
    "example": 'Change the headline on the home page to "Move freely again"',
    "too_many_changes": "Please send at most {limit} changes in one message.",
    "too_long": "The new {what} is {length} characters long; the limit is {limit}. Please shorten it.",
    "missing_text": (
        "What should the new {what} say? Please put the new text in quotes, for example: "
        'Change the headline on the home page to "Move freely again".'
    ),
    "plan_content": (
        "Headlines and paragraphs can be changed once your preview is ready. Right now I can "
        "change pages, services, colours, contact details and FAQ entries."
    ),
    "not_affected": (
        "You mentioned the {page} page, but this change is for: {pages}. Please send changes "
        "for other pages separately."
    ),
    "no_such_page": "The site has no {page} page. Its pages are: {pages}.",
    "no_headline": "The {page} page has no headline to change.",
    "no_about": "The {page} page has no paragraphs of text to change.",
    "paragraph_range": "The text on the {page} page has {count} paragraphs, so there is no paragraph {n}.",
    "unknown_colour": (
        'I don\'t know the colour "{colour}". Use a colour code like #1b2a4a, or a common name '
        "such as navy, teal, dark green or burgundy."
    ),
    "no_colour": (
        "Which colour would you like? Use a colour code like #1b2a4a, or a common name such as "
        "navy, teal, dark green or burgundy."
    ),
    "service_exists": 'There is already a service called "{name}".',
    "too_many_services": "The site can list at most {limit} services. Please remove one first.",
    "last_service": (
        'The site needs at least one service, so "{name}" can\'t be removed. Add the new '
        "service first."
    ),
    "unknown_service": 'There is no service called "{name}". The services are: {names}.',
    "ambiguous_service": '"{name}" matches more than one service: {names}. Please give the full name.',
    "service_name": 'Which service? Please put its name in quotes, for example: Remove the "{name}" service.',
    "faq_incomplete": (
        "To add a question to the FAQ I need both the question and its answer, for example: "
        'Add a FAQ: "Do you have parking?" "Yes, two spaces behind the shop."'
    ),
    "faq_exists": 'The FAQ already has the question "{question}".',
    "too_many_faq": "The FAQ can hold at most {limit} questions.",
    "faq_nowhere": 'Your site has no FAQ section yet. Add a FAQ page first, e.g. "Add a FAQ page".',
    "page_exists": "The site already has a {page} page.",
    "page_not_offered": 'This site design has no "{page}" page. The pages it offers are: {pages}.',
    "page_missing": "The site has no {page} page to remove.",
    "invalid_phone": (
        'That doesn\'t look like a phone number: "{value}". Please use digits, spaces, '
        "brackets or dashes, with an optional + at the start."
    ),
    "invalid_email": 'That doesn\'t look like an email address: "{value}".',
    "invalid_address": 'That doesn\'t look like an address: "{value}".',
    "invalid_hours": (
        'I couldn\'t read those opening hours: "{value}". Please write them like: '
        "Mon-Fri 09:00-18:00, Sat 09:00-13:00."
    ),
    "missing_value": "What should the new {what} be?",
    "same": "That wouldn't change anything: {detail}.",
    "invalid": "That change can't be made: {detail}.",
    # What changed: one line per edit, read by the client and used as the commit message.
    "refused_summary": "Change not made",
    "ch_colour": "{role} colour {old} → {new}{name}",
    "ch_headline": '{page} page headline: "{text}"',
    "ch_subheading": '{page} page intro: "{text}"',
    "ch_paragraph": '{page} page paragraph {n}: "{text}"',
    "ch_add_service": 'New service "{name}"',
    "ch_remove_service": 'Removed service "{name}"',
    "ch_add_faq": 'New FAQ question "{question}"',
    "ch_add_page": "New page: {page}",
    "ch_remove_page": "Removed page: {page}",
    "ch_contact": "{field}: {old} → {new}",
    # Same-value details for "same".
    "same_colour": "the {role} colour is already {value}",
    "same_text": "the {what} already says that",
    "same_site": "the site already looks like that",
    "same_contact": "the {field} is already {value}",
    # Nouns used inside the templates above.
    "primary": "primary",
    "secondary": "secondary",
    "Primary": "Primary",
    "Secondary": "Secondary",
    "headline": "headline",
    "intro": "intro",
    "paragraph": "paragraph",
    "service name": "service name",
    "service description": "service description",
    "price": "price",
    "question": "question",
    "answer": "answer",
    "phone": "phone number",
    "email": "email address",
    "address": "address",
    "hours": "opening hours",
    "Phone": "Phone",
    "Email": "Email",
    "Address": "Address",
    "Hours": "Opening hours",
    "none": "none",
    # Written when a new service comes without a description.
    "service_blurb": "{name} at {business} in {city}. Get in touch to find out more.",
}
