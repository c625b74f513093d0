"""English phrase bank for the offline copywriter.

Tone-specific slots carry the voice (headline, calls to action); shared slots vary by a
seed so two businesses with the same tone still read differently. Placeholders are
filled with onboarding data: {name} {city} {industry} {services} {audience} {pains}
{hours} {first_service}.
"""

from __future__ import annotations

from sitegen.contracts.onboarding import Tone

TONE: dict[Tone, dict[str, tuple[str, ...]]] = {
    Tone.FRIENDLY: {
        "hero_heading": (
            "Your neighbourhood {industry} in {city}",
            "Good things happen at {name}",
            "{city}'s friendliest {industry}",
        ),
        "hero_close": (
            "Come and see us for {services} — we'd love to meet you.",
            "From {services}, we're here to make your day a little easier.",
        ),
        "cta": ("Get in touch", "Say hello", "Talk to us"),
        "services_heading": ("What we do for you", "How we can help", "Our favourites"),
        "about_heading": ("Nice to meet you", "The people behind {name}", "Our story"),
        "cta_heading": ("Ready when you are", "Let's make it happen", "Pop in or give us a call"),
        "cta_text": (
            "Call, write or stop by — we answer every message ourselves.",
            "Tell us what you need and we'll take it from there, no fuss.",
        ),
        "contact_heading": ("Come say hello", "We'd love to hear from you"),
        "promise": ("A warm welcome every single time", "Real people who remember your name"),
    },
    Tone.PROFESSIONAL: {
        "hero_heading": (
            "Trusted {industry} in {city}",
            "{name}: reliable {industry} for {city}",
            "Expert {industry}, delivered with care",
        ),
        "hero_close": (
            "We offer {services}, with clear advice at every step.",
            "Our team provides {services} with the reliability you expect.",
        ),
        "cta": ("Request a consultation", "Book an appointment", "Contact our team"),
        "services_heading": ("Our services", "What we offer", "Services tailored to you"),
        "about_heading": ("About {name}", "Why clients choose us", "Experience you can rely on"),
        "cta_heading": (
            "Let's discuss what you need",
            "Schedule your first appointment",
            "Speak with our team today",
        ),
        "cta_text": (
            "Get a clear answer and a clear plan — usually within one working day.",
            "We'll listen first, then recommend the right next step for you.",
        ),
        "contact_heading": ("Contact us", "Get in touch with our team"),
        "promise": ("Clear advice before any commitment", "Punctual, transparent and accountable"),
    },
    Tone.PLAYFUL: {
        "hero_heading": (
            "{city}, meet your new favourite {industry}",
            "Seriously good {industry}. Not-so-serious people.",
            "Hello, {city}! We're {name}",
        ),
        "hero_close": (
            "Think {services} — and a smile on the side.",
            "We do {services}, and we have a lot of fun doing it.",
        ),
        "cta": ("Let's do this!", "Drop us a line", "Come on over"),
        "services_heading": ("The good stuff", "What's on the menu", "Pick your favourite"),
        "about_heading": ("Who on earth are we?", "The {name} story", "Behind the scenes"),
        "cta_heading": ("Go on, you know you want to", "Your move!", "Let's make something great"),
        "cta_text": (
            "Send us a message or just call — we promise we're nice.",
            "One quick chat and you're sorted. Easy.",
        ),
        "contact_heading": ("Find us, call us, write us", "Let's chat"),
        "promise": ("Good vibes included at no extra cost", "Zero boring moments guaranteed"),
    },
    Tone.LUXURY: {
        "hero_heading": (
            "The art of {industry}, in {city}",
            "{name}. Crafted without compromise.",
            "An exceptional {industry} experience",
        ),
        "hero_close": (
            "Discover {services}, each prepared with meticulous attention.",
            "We offer {services} for those who appreciate the finest details.",
        ),
        "cta": ("Reserve your visit", "Arrange a private consultation", "Enquire now"),
        "services_heading": ("Our signature offerings", "The collection", "Curated services"),
        "about_heading": ("The house of {name}", "A standard of excellence", "Our philosophy"),
        "cta_heading": (
            "Your experience begins here",
            "Allow us to welcome you",
            "Reserve your moment",
        ),
        "cta_text": (
            "Every visit is prepared in advance, around your preferences.",
            "Contact us privately and we will arrange every detail.",
        ),
        "contact_heading": ("Private enquiries", "Arrange your visit"),
        "promise": ("Personal attention from first contact", "Uncompromising quality, every time"),
    },
    Tone.TECHNICAL: {
        "hero_heading": (
            "{industry} engineered to work",
            "{name}: {industry} done properly",
            "Precise {industry} for {city}",
        ),
        "hero_close": (
            "We deliver {services}, with measurable results and no guesswork.",
            "Our scope covers {services}, documented and done to spec.",
        ),
        "cta": ("Discuss your project", "Request a technical assessment", "Get a quote"),
        "services_heading": ("Capabilities", "What we deliver", "Services and scope"),
        "about_heading": ("How we work", "Method, not magic", "About {name}"),
        "cta_heading": (
            "Tell us about the problem",
            "Start with an assessment",
            "Get a scoped quote",
        ),
        "cta_text": (
            "Share the details and we'll reply with a concrete plan and estimate.",
            "A short call is enough for us to scope the work and quote it honestly.",
        ),
        "contact_heading": ("Contact engineering", "Start a conversation"),
        "promise": ("Documented work and honest estimates", "Proven methods, measurable outcomes"),
    },
}

SHARED: dict[str, tuple[str, ...]] = {
    "services_intro": (
        "Everything {name} offers, explained plainly so you can choose with confidence.",
        "Each service is delivered by our own team in {city}, with the same care.",
    ),
    "about_audience": (
        "We built {name} for the people we serve best: {audience_lc}",
        "Our clients are at the heart of everything we do. {audience}",
    ),
    "about_pains": (
        "We know the frustrations — {pains} — and we work hard so you never have to deal with them.",
        "{pains}: these are exactly the problems we set out to solve.",
    ),
    "testimonials_heading": ("What our clients say", "Kind words from our clients"),
    "faq_heading": ("Frequently asked questions", "Questions we hear often"),
    "contact_intro": (
        "Call us or send an email{visit}. We reply quickly.",
        "The quickest way to reach us is by phone; email works just as well.",
    ),
    "secondary": ("See our services", "Explore what we offer"),
    "features_heading": ("What {name} does for you", "Everything you need, nothing you don't"),
    "features_intro": (
        "Built for {audience_lc}",
        "What {name} does, feature by feature.",
    ),
    "pricing_heading": ("Pricing", "What it costs"),
    "pricing_intro": (
        "Each plan lists exactly what it includes.",
        "Everything a plan includes is listed with it.",
    ),
    "plan_cta": ("Get started", "Choose this plan"),
    "work_heading": ("Selected work", "Recent work"),
    "work_intro": (
        "Work {name} has made for its clients.",
        "A selection of what {name} has made.",
    ),
    "work_more": ("Read the case studies", "See how the work was done"),
    "secondary_about": ("Meet {name}", "Get to know {name}"),
    "work_all": ("See all work", "Browse every project"),
    "secondary_features": ("See the features", "Explore the features"),
    "secondary_work": ("See the work", "Browse the portfolio"),
    "case_studies_heading": ("Case studies", "How the work was done"),
    "case_studies_intro": (
        "The problem, the approach and what changed, project by project.",
        "What each client needed, what we did and what came of it.",
    ),
    "meta_home": (
        "{name} — {industry} in {city}: {services}. Call or email us today.",
        "{name} offers {services} in {city}. Get in touch to book.",
    ),
}

LABELS: dict[str, str] = {
    "skip_link": "Skip to content",
    "menu": "Main menu",
    "at_a_glance": "At a glance",
    "where": "Where",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "hours": "Opening hours",
    "pages": "Pages",
    "contact": "Contact",
    "follow": "Follow us",
    "rights": "All rights reserved.",
    "not_found": "Sorry, we couldn't find that page.",
    "challenge": "The challenge",
    "approach": "Our approach",
    "outcome": "The outcome",
    "popular": "Recommended",
    "includes": "What's included",
    "client": "Client",
}

NAV: dict[str, str] = {
    "home": "Home",
    "about": "About",
    "services": "Services",
    "faq": "FAQ",
    "contact": "Contact",
    "features": "Features",
    "pricing": "Pricing",
    "work": "Work",
    "case-studies": "Case studies",
}

# Page headings and lead lines for inner pages (the compact hero).
PAGE_HERO: dict[str, tuple[str, str]] = {
    "about": ("About {name}", "{first_sentence}"),
    "services": ("Services", "{services_sentence}"),
    "faq": (
        "Frequently asked questions",
        "Straight answers about {name}, our services and how to reach us.",
    ),
    "contact": ("Contact {name}", "Phone or email — reach us the way you prefer."),
    "features": ("Features", "What {name} does, and how it helps."),
    "pricing": ("Pricing", "What {name} costs, and what each plan includes."),
    "work": ("Work", "Selected projects by {name}."),
    "case-studies": ("Case studies", "How {name} works, told through real projects."),
}

WORDS: dict[str, str] = {
    "and": "and",
    "call": "Call {phone}",
    "email": "Email us",
    "in_city": "in {city}",
    "services_count": "{count} services to choose from",
    "services_count_one": "One service, done properly",
    "services_sentence": "{name} offers {services} in {city}.",
    "hours_highlight": "Open {hours}",
    "city_highlight": "Proudly based in {city}",
    "testimonial_highlight": "Recommended by our clients",
    "meta_page": "{heading} — {name}, {industry} in {city}.",
    "hours_sentence": "We're open {hours}.",
    "no_hours": "Call {phone} and we will find a time that suits you.",
    "location_address": "at {address}, {city}",
    "location_city": "in {city}",
    "visit": ", or visit us at {address}",
    "brief_title": "Creative brief",
    "voice": "{tone} voice: {adjectives}.",
}

# Phrases that fit what the template sells (a product, a studio's work) better than the
# tone's own, which were written for a local business.
TEMPLATE_TONE: dict[str, dict[str, tuple[str, ...]]] = {
    "saas": {
        "cta": ("Get started", "Start now", "Talk to us"),
        "hero_close": (
            "{name} brings {services} together in one place.",
            "Everything in one place: {services}.",
        ),
    },
    "portfolio": {"cta": ("Start a project", "Discuss your project", "Get in touch")},
}

# For businesses with no place to visit ('Remote', 'Online'): words that don't name one.
PLACELESS_WORDS: dict[str, str] = {
    "location_address": "at {address}",
    "in_city": "online",
    "city_highlight": "Working with clients wherever they are",
    "goal_local": "Be found by people searching for {industry}",
}

TONE_ADJECTIVES: dict[Tone, str] = {
    Tone.FRIENDLY: "warm, welcoming, plain-spoken",
    Tone.PROFESSIONAL: "confident, precise, reassuring",
    Tone.PLAYFUL: "light-hearted, energetic, witty",
    Tone.LUXURY: "refined, understated, exclusive",
    Tone.TECHNICAL: "exact, evidence-based, no jargon for its own sake",
}

# Generated when the client gave no FAQ: answers drawn only from onboarding data.
FAQ_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Where is {name}?", "You'll find us {location}. Call {phone} if you need directions."),
    ("What are your opening hours?", "{hours_sentence}"),
    ("How do I book or ask for a quote?", "Call {phone} or email {email} and we'll reply quickly."),
    ("What services do you offer?", "{services_sentence}"),
)

BRIEF: dict[str, str] = {
    "business": "Business",
    "audience": "Audience",
    "pains": "What they struggle with",
    "goals": "Goals",
    "messages": "Key messages",
    "voice": "Voice and tone",
    "pages": "Pages",
    "ctas": "Calls to action",
    "goal_contact": "Turn visitors into calls and emails to {name}",
    "goal_services": "Explain {count} services clearly enough to choose one",
    "goal_trust": "Build trust with {proof}",
    "goal_local": "Rank for local searches in {city}",
    "proof_testimonials": "real client testimonials",
    "proof_facts": "concrete facts about the business",
}
