"""The copywriter's voice: text helpers and the phrase picker bound to one site spec.

Phrases are chosen per slot by a hash of the business, so the same onboarding always
yields the same words and two businesses with the same tone still read differently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from types import ModuleType

from sitegen.contracts.onboarding import Locale
from sitegen.contracts.site import SiteSpec
from sitegen.integrations.ai import copy_en, copy_pt


def lower_first(text: str) -> str:
    """'Sports massage' -> 'sports massage' mid-sentence, but keep 'SaaS' or 'iFix'."""
    word = text.split(" ", 1)[0]
    if len(word) > 1 and word[1:].islower() and word[0].isupper():
        return text[0].lower() + text[1:]
    return text


# What clients write as their city when they have no place to visit.
PLACELESS = frozenset(
    {"remote", "remotely", "online", "on-line", "worldwide", "anywhere", "everywhere", "global",
     "internet", "web", "remoto", "remota", "todo o brasil", "em todo o brasil", "mundo todo"}
)  # fmt: skip
# 'in {city}', 'for {city}', 'em {city}', "{city}'s ", '{city}, ' and the like.
_CITY_PHRASE = re.compile(r"(?:,?\s*\b(?:in|for|em|para|de)\s+\{city\})|(?:\{city\}(?:'s|,)?\s*)")


# Phrases that invite a visit: only a business with an address may say them.
_VISIT = re.compile(
    r"\b(?:pop in|stop by|come and see|come on over|find us|visits?|say hello|welcome you|venha|"
    r"passe aqui|visitas?|visitar|receber você|dar um oi)\b",
    re.IGNORECASE,
)


def is_place(city: str) -> bool:
    return " ".join(city.lower().split()) not in PLACELESS


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(?:\s|$)", text.strip(), re.DOTALL)
    return (match.group(1) if match else text.strip()).strip()


def after_first_sentence(text: str) -> str:
    return text.strip()[len(first_sentence(text)) :].strip()


def ensure_period(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def clip(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis, for meta tags with hard length limits."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


class Voice:
    """Phrase picker bound to one spec: its locale bank, tone and seed."""

    def __init__(self, spec: SiteSpec) -> None:
        self.spec = spec
        self.bank: ModuleType = copy_pt if spec.locale is Locale.PT_BR else copy_en
        self.seed = f"{spec.business.name}|{spec.business.industry}|{spec.tone.value}"
        self.has_place = is_place(spec.business.city)
        self.facts = self._facts()

    def choose(self, slot: str, options: Sequence[str]) -> str:
        if not self.has_place:
            # 'Trusted design in Remote' pastes a field into a sentence: prefer phrasings
            # without the city, else drop the city's phrase from them.
            options = [o for o in options if "{city}" not in o] or [
                _CITY_PHRASE.sub("", o).strip() for o in options
            ]
        if self.spec.business.address is None:
            options = [o for o in options if not _VISIT.search(o)] or list(options)
        digest = hashlib.sha256(f"{self.seed}|{slot}".encode()).digest()
        return options[int.from_bytes(digest[:4], "big") % len(options)]

    def fmt(self, template: str, **extra: str) -> str:
        text = template.format(**{**self.facts, **extra})
        # A phrase that opens with a lower-cased fact ('{industry} ...') still starts with
        # a capital; fragments written in lower case ('in {city}') stay as they are.
        return upper_first(text) if template.startswith("{") else text

    def tone(self, slot: str) -> str:
        options = self.bank.TONE[self.spec.tone][slot]
        options = self.bank.TEMPLATE_TONE.get(self.spec.template_id, {}).get(slot, options)
        return self.fmt(self.choose(slot, options))

    def shared(self, slot: str, **extra: str) -> str:
        return self.fmt(self.choose(slot, self.bank.SHARED[slot]), **extra)

    def word(self, key: str, **extra: str) -> str:
        return self.fmt(self._word(key), **extra)

    def _word(self, key: str) -> str:
        if self.has_place:
            return str(self.bank.WORDS[key])
        text = self.bank.PLACELESS_WORDS.get(key) or self.bank.WORDS[key]
        return _CITY_PHRASE.sub("", text).strip()

    def join(self, items: Sequence[str]) -> str:
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.bank.WORDS['and']} {items[-1]}"

    def _facts(self) -> dict[str, str]:
        spec, biz = self.spec, self.spec.business
        services = self.join([lower_first(s.name) for s in spec.services[:3]])
        hours = "; ".join(f"{h.days} {h.hours}" for h in biz.opening_hours)
        facts = {
            "name": biz.name,
            "city": biz.city,
            "industry": lower_first(biz.industry),
            "industry_lower": lower_first(biz.industry),
            "services": services,
            "first_service": lower_first(spec.services[0].name),
            "audience": ensure_period(spec.audience.description),
            "audience_lc": lower_first(ensure_period(spec.audience.description)),
            "pains": self.join([lower_first(p) for p in spec.audience.pains[:3]]),
            "hours": hours,
            "phone": biz.phone,
            "email": str(biz.email),
            "first_sentence": first_sentence(biz.description),
            "address": biz.address or "",
        }
        word = self._word
        facts["services_sentence"] = word("services_sentence").format(**facts)
        facts["location"] = word("location_address" if biz.address else "location_city").format(
            **facts
        )
        # Only a business with an address asks to be visited.
        facts["visit"] = word("visit").format(**facts) if biz.address else ""
        facts["hours_sentence"] = word("hours_sentence" if hours else "no_hours").format(**facts)
        return facts
