"""Reading a client's answers into onboarding fields, deterministically, in both languages.

Each reader takes one message and returns what it found, or nothing; the interviewer
(sitegen/integrations/ai/interview.py) decides which readers to trust for the question it
asked. Names and places are read from the text as written (their capitals mark them);
word lists match folded text (see `revision_words.fold`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sitegen.contracts.conversation import PlannedService
from sitegen.contracts.onboarding import Locale, Tone
from sitegen.integrations.ai import interview_words_en as en
from sitegen.integrations.ai import interview_words_pt as pt
from sitegen.integrations.ai.revision_words import (
    COLOUR_NAME,
    COLOURS,
    HEX,
    alt,
    fold,
    words,
)
from sitegen.integrations.ai.revision_words_en import PAGES as PAGES_EN
from sitegen.integrations.ai.revision_words_pt import PAGES as PAGES_PT

BOTH = (en, pt)
_FLAGS = re.IGNORECASE | re.UNICODE
# A proper name: capitalised words, with the small words names carry between them.
_CAP = r"[A-Z0-9À-Ý][\w'\u2019&.+-]*"
_NAME = rf"({_CAP}(?:\s+(?:&|and|e|de|do|da|dos|das|of|the|{_CAP}))*)"
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w£$€])\+?\(?\d[\d ().-]{5,23}\d(?![\w%])")
_PRICE = re.compile(
    rf"(?:(?:{en.FROM}|{pt.FROM})\s+)?(?:(?:R\$|US\$|£|\$|€)\s?\d+(?:[.,]\d+)*"
    r"|\d+(?:[.,]\d+)*\s?(?:€|euros?|reais|dollars|pounds))(?:\s?(?:/|per|por)\s?\w+)?",
    _FLAGS,
)
_TONES = {**en.TONES, **pt.TONES}
_TONE_WORD = words(alt(_TONES))
_PAGE_WORDS = {**PAGES_EN, **PAGES_PT}
_PAGE_WORD = words(alt(_PAGE_WORDS))
_TRIM = " \t\n,.;:!?-\u2013\u2014\"'\u201c\u201d()"


def clean(text: str, limit: int = 120) -> str:
    """One line, trimmed, at most `limit` characters (cut at a word)."""
    line = " ".join(text.split()).strip(_TRIM)
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].strip(_TRIM)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|ola|oi|bom dia|boa tarde|boa noite)"
    r"(?:\s+there)?\s*[!,.]*\s*",
)


def without_greeting(text: str) -> str:
    """'Hi! I run...' -> 'I run...': a description starts with the business."""
    found = _GREETING.match(fold(text))
    return text[found.end() :] if found else text


def guess_locale(text: str) -> Locale:
    """The language of a message, by its common words: Portuguese only when it clearly is."""
    tokens = re.findall(r"[a-z]+", fold(text))
    pt_hits = sum(t in pt.CUES for t in tokens)
    en_hits = sum(t in en.CUES for t in tokens)
    return Locale.PT_BR if pt_hits > en_hits else Locale.EN


_FILLER = frozenset({"hm", "hmm", "ok", "okay", "sure", "yes", "yeah", "sim", "certo", "ta", "uh"})


def is_none(text: str) -> bool:
    """An answer that gives nothing: 'no preference', 'tanto faz', 'hmm'."""
    folded = clean(fold(text), 60)
    return folded in en.NONE or folded in pt.NONE or folded in _FILLER


def _first(patterns: Iterable[str], text: str) -> re.Match[str] | None:
    found = [m for p in patterns if (m := re.search(p, text, _FLAGS))]
    return min(found, key=lambda m: m.start()) if found else None


def name(text: str) -> str | None:
    """'We're called Sunflower Café', 'Eu tenho a Padaria Pão & Afeto', 'Ana Lima Design is
    a studio...': the name, as written."""
    for lang in BOTH:
        found = re.search(rf"\b{lang.NAME_BEFORE}\s+{_NAME}", text, _FLAGS)
        if found and found.group(1)[0].isupper():
            return clean(_case_sensitive_name(found.group(1)))
    first = sentences(text)[0] if text.strip() else ""
    found = re.match(rf"\s*{_NAME}\s+(?:is|are|é|somos)\s", first)
    if found and not re.fullmatch(r"(?:We|I|It|Our|My|Nós|Eu|Ela|Ele|A|O)", found.group(1)):
        return clean(found.group(1))
    return None


def _case_sensitive_name(captured: str) -> str:
    # The pattern runs case-insensitively to find the cue; a name ends at the first word
    # that is neither capitalised nor a small joining word.
    joining = {"&", "and", "e", "de", "do", "da", "dos", "das", "of", "the"}
    kept: list[str] = []
    for word in captured.split():
        if word[0].isupper() or word[0].isdigit() or (kept and word in joining):
            kept.append(word)
        else:
            break
    while kept and kept[-1] in joining:
        kept.pop()
    return " ".join(kept)


def industry(text: str) -> str | None:
    """'... is a small family café in Brighton' -> 'small family café'."""
    found = _first(
        (
            rf"\b{lang.IS_A}\s+(?P<what>[^,.;!?\n]+?)(?=\s+{lang.CLAUSE_END}\b|[,.;!?\n]|$)"
            for lang in BOTH
        ),
        text,
    )
    if found is None:
        return None
    what = clean(found.group("what"), 60)
    return what or None


def city(text: str) -> str | None:
    found = _first((rf"\b{lang.PLACE_BEFORE}\s+{_NAME}" for lang in BOTH), text)
    if found is None:
        return None
    place = _case_sensitive_name(found.group(1))
    return clean(place, 60) if place and place[0].isupper() else None


def audience(text: str) -> str | None:
    found = _first((rf"\b{lang.AUDIENCE}\s+(?P<who>[^.;!?\n]+)" for lang in BOTH), text)
    return clean(found.group("who"), 500) if found else None


def pains(text: str) -> list[str]:
    found = _first((rf"\b{lang.PAINS}\s+(?P<what>[^.;!?\n]+)" for lang in BOTH), text)
    if found is None:
        return []
    return _items(found.group("what"), 120)[:8]


def _items(text: str, limit: int) -> list[str]:
    parts = re.split(rf"[,;\n•]|{en.LIST_AND}|{pt.LIST_AND}|\s+or\s+|\s+ou\s+", text)
    out: list[str] = []
    for part in parts:
        item = clean(re.sub(r"^\s*(?:[-*]|\d+[.)])\s*", "", part), limit)
        if item and item not in out:
            out.append(item)
    return out


def services_text(text: str) -> str | None:
    """The part of a message that lists services, when a cue says so."""
    found = _first((rf"\b{lang.SERVICES}\s*:?\s*(?P<list>.+)" for lang in BOTH), text)
    return found.group("list") if found else None


def services(text: str, business: str, locale: Locale) -> list[PlannedService]:
    """'Breakfast from £8, cakes and private hire' -> three services, one with a price.
    Each line or item is a service; 'Name: what it is' keeps its description."""
    lines = [ln for ln in re.split(r"\n+", text) if ln.strip()]
    chunks = lines if len(lines) > 1 else _split_services(text)
    bank = pt if locale is Locale.PT_BR else en
    out: list[PlannedService] = []
    for chunk in chunks:
        price_match = _PRICE.search(chunk)
        price = clean(price_match.group(0), 40) if price_match else None
        rest = _PRICE.sub("", chunk) if price_match else chunk
        rest = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", rest)
        pieces = re.split("\\s*[:\u2013\u2014]\\s*|\\s+-\\s+", rest, maxsplit=1)
        described = pieces[1] if len(pieces) > 1 else ""
        head = re.sub(r"\s+(?:for|at|por|a)\s*$", "", pieces[0].strip(), flags=_FLAGS)
        service_name = clean(head, 120)
        if not service_name or fold(service_name) in ("and more", "e mais", "etc"):
            continue
        service_name = service_name[0].upper() + service_name[1:]
        description = clean(described, 500) or bank.MESSAGES["service_description"].format(
            name=service_name, business=business
        )
        if all(fold(s.name) != fold(service_name) for s in out):
            out.append(PlannedService(name=service_name, description=description, price=price))
    return out[:12]


def _split_services(text: str) -> list[str]:
    # Commas and "and" split a one-line list; a price's own comma ("R$ 18,50") does not.
    masked = _PRICE.sub(lambda m: m.group(0).replace(",", "\0"), text)
    parts = re.split(rf"[;,]|{en.LIST_AND}|{pt.LIST_AND}", masked)
    return [p.replace("\0", ",") for p in parts if p.strip(_TRIM)]


def tone(text: str, cued: bool) -> Tone | None:
    """A tone word; outside an answer about style only next to a cue ('make it playful'),
    so 'a friendly café' in a description sets nothing."""
    folded = fold(text)
    if not cued and not re.search(rf"\b(?:{en.TONE_CUE}|{pt.TONE_CUE})\b", folded):
        return None
    found = _TONE_WORD.search(folded)
    return Tone(_TONES[found.group(0).replace("-", " ")]) if found else None


def colours(text: str, cued: bool) -> list[str]:
    """Hex codes and colour names, in the order written; outside an answer about style only
    when the message speaks of colours."""
    folded = fold(text)
    if not cued and not re.search(rf"\b(?:{en.COLOUR_CUE}|{pt.COLOUR_CUE})\b", folded):
        return []
    found: list[tuple[int, str]] = [(m.start(), m.group(0)) for m in HEX.finditer(folded)]
    for m in COLOUR_NAME.finditer(folded):
        if not any(start <= m.start() < start + 7 for start, _ in found):
            found.append((m.start(), COLOURS[re.sub(r"[\s-]+", " ", m.group(0))]))
    out: list[str] = []
    for _, code in sorted(found):
        if code.lower() not in out:
            out.append(code.lower())
    return out[:2]


def pages(text: str, offered: list[str], cued: bool) -> list[str]:
    folded = fold(text)
    if not cued and not re.search(rf"\b(?:{en.PAGE_CUE}|{pt.PAGE_CUE})\b", folded):
        return []
    chosen = [_PAGE_WORDS[re.sub(r"[\s-]+", " ", m.group(0))] for m in _PAGE_WORD.finditer(folded)]
    ordered = [p for p in offered if p in chosen]
    return ["home", *(p for p in ordered if p != "home")] if ordered else []


def email(text: str) -> str | None:
    found = _EMAIL.search(text)
    return found.group(0).strip(".") if found else None


def phone(text: str) -> str | None:
    for found in _PHONE.finditer(text):
        candidate = found.group(0).strip()
        digits = re.sub(r"\D", "", candidate)
        if 8 <= len(digits) <= 15:
            return candidate
    return None
