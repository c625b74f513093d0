"""Reading a change request: free text in English or Portuguese -> typed edits, or a refusal.

Quoted text is the client's own words, so it is lifted out first and never searched for
keywords; the rest is folded (lower case, no accents) character for character, so a match
in the folded text slices the original text at the same offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from sitegen.integrations.ai import revision_words as w
from sitegen.integrations.ai.revision_words import Refusal, fold, refuse

Role = Literal["primary", "secondary"]
ContactField = Literal["phone", "email", "address", "hours"]
# Which text of a page: its headline, the intro under it, or about paragraph N (-1: last).
TextPart = Literal["headline", "intro"] | int
MAX_EDITS, MAX_HOURS = 20, 14


@dataclass(frozen=True)
class SetColour:
    role: Role
    value: str  # '#rrggbb', lower case
    name: str | None = None  # as the client wrote it, for the change line


@dataclass(frozen=True)
class SetText:
    page: str | None  # None: ask.affected_pages, else the default page
    part: TextPart
    text: str


@dataclass(frozen=True)
class AddService:
    name: str
    description: str | None = None
    price: str | None = None


@dataclass(frozen=True)
class RemoveService:
    name: str


@dataclass(frozen=True)
class AddFaq:
    question: str
    answer: str


@dataclass(frozen=True)
class PageEdit:
    page: str  # a page id, or the client's word when it names no known page
    add: bool


@dataclass(frozen=True)
class SetContact:
    field: ContactField
    value: str


Edit = SetColour | SetText | AddService | RemoveService | AddFaq | PageEdit | SetContact


@dataclass(frozen=True)
class Clause:
    """One request: the message text with quotes masked, its folded twin, the quotes."""

    raw: str
    key: str
    quotes: tuple[str, ...]

    def tokens(self, start: int = 0) -> list[str]:
        return [self.quotes[int(m.group(1))] for m in w.TOKEN.finditer(self.key, start)]

    def unmask(self, text: str) -> str:
        return w.TOKEN.sub(lambda m: f'"{self.quotes[int(m.group(1))]}"', text)

    def frame(self) -> str:
        # Without quotes the new text follows "to"/"para"/":"; keywords count only before.
        if w.TOKEN.search(self.key):
            return self.key
        mark = w.VALUE_MARK.search(self.key)
        return self.key[: mark.start()] if mark else self.key


# What the "didn't understand" answers offer instead: the kinds of change, one example.
_HELP = {"capabilities": w.Term("capabilities"), "example": w.Term("example")}


def parse(message: str) -> list[Edit] | Refusal:
    """The edits a message asks for, in order; or why it cannot be done at all."""
    if w.INJECTION.search(fold(message)):
        return refuse("injection")
    quotes: list[str] = []

    def mask(match: re.Match[str]) -> str:
        quotes.append(" ".join(next(g for g in match.groups() if g is not None).split()))
        return f"⟦{len(quotes) - 1}⟧"

    # The mask brackets are ours; a message that types them must not forge a quote.
    raw = w.QUOTES.sub(mask, message.replace("⟦", "[").replace("⟧", "]"))
    key = w.POLITE.sub(lambda m: " " * len(m.group(0)), fold(raw))
    if w.DESTRUCTIVE.search(key):
        return refuse("destructive")
    clauses = _split(raw, key, tuple(quotes))
    edits: list[Edit] = []
    for clause in clauses:
        result = _clause(clause)
        if result is None and len(clauses) > 1:
            return refuse("part_unclear", part=clause.unmask(clause.raw)[:100], **_HELP)
        if result is None:
            return refuse("unintelligible", **_HELP)
        if isinstance(result, Refusal):
            return result
        edits.extend(result)
    if not edits:
        return refuse("unintelligible", **_HELP)
    return edits if len(edits) <= MAX_EDITS else refuse("too_many_changes", limit=MAX_EDITS)


def _split(raw: str, key: str, quotes: tuple[str, ...]) -> list[Clause]:
    cuts = [0, *(i for m in w.SPLIT.finditer(key) for i in m.span()), len(key)]
    clauses: list[Clause] = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=True):
        # Trim by the key's blanks (politeness is blanked there), so offsets stay aligned.
        a, b = a + len(key[a:b]) - len(key[a:b].lstrip()), a + len(key[a:b].rstrip())
        piece, text = key[a:b], raw[a:b]
        if not piece.strip(" .!?,"):
            continue
        trigger = bool(w.TRIGGERS.search(piece)) or "⟦" in piece
        if not trigger and w.PLEASANTRY.match(piece):
            continue
        if not trigger and clauses:
            # "Add a FAQ: Do you park? Yes, behind the shop." -- the answer is no request.
            last = clauses.pop()
            piece, text = f"{last.key} {piece}", f"{last.raw} {text}"
        clauses.append(Clause(text, piece, quotes))
    return clauses


def _clause(c: Clause) -> list[Edit] | Refusal | None:
    frame = c.frame()
    refs = page_refs(frame)
    bare = _blank(frame, refs)  # page names are not nouns: "the services page" is a page
    verb = _first_verb(frame)
    if verb and (w.SERVICE.search(bare) or (verb == "add" and w.TO_SERVICES.search(c.key))):
        return _service(c, verb)
    if verb == "add" and w.FAQ.search(bare):
        return _faq(c)
    others = (w.HEADLINE, w.SUBHEADING, w.PARAGRAPH, w.COLOUR_WORD, w.CONTACT, w.FAQ, w.SERVICE)
    if verb and refs and not any(p.search(bare) for p in others):
        return _pages(frame, refs, verb == "add")
    if verb == "remove":
        # "Remove Sports massage": services are what can go by name; "remove the red
        # colour" or "remove the intro" has nothing to change to, so it is not understood.
        return None if any(p.search(bare) for p in others) else _service(c, verb)
    if w.SUBHEADING.search(frame) or w.PARAGRAPH.search(frame) or w.HEADLINE.search(frame):
        return _text(c, frame, refs)
    roles = w.PRIMARY.search(bare) or w.SECONDARY.search(bare)
    colour = w.HEX.search(c.key) or w.COLOUR_NAME.search(frame)
    if w.COLOUR_WORD.search(bare) or (roles and colour):
        return _colours(c, _blank(c.key, page_refs(c.key)))
    return _contacts(c) if w.CONTACT.search(frame) else None


def _first_verb(frame: str) -> Literal["add", "remove"] | None:
    add, remove = w.ADD.search(frame), w.REMOVE.search(frame)
    if add and (not remove or add.start() < remove.start()):
        return "add"
    return "remove" if remove else None


def _blank(text: str, spans: list[tuple[int, int, str]]) -> str:
    for a, b, _ in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def page_refs(key: str) -> list[tuple[int, int, str]]:
    """Pages named in folded text as (start, end, page id or unknown word), in order."""
    found: list[tuple[int, int, str]] = []
    for m in (*w.PAGE_EN.finditer(key), *w.PAGE_PT.finditer(key)):
        groups = m.groupdict()
        word = re.sub(r"[\s-]+", " ", groups.get("w") or groups.get("h") or "home")
        overlaps = any(a < m.end() and m.start() < b for a, b, _ in found)
        if word not in w.PAGE_FILLERS and not overlaps:
            found.append((m.start(), m.end(), w.PAGE_NAMES.get(word, word)))
    return sorted(found)


def _pages(frame: str, refs: list[tuple[int, int, str]], add: bool) -> list[Edit]:
    pages = [page for _, _, page in refs]
    if re.search(r"\b(?:pages|paginas)\b", frame):
        # "add the about and FAQ pages": the names before the plural are pages too.
        named = w.words(w.alt(w.PAGE_NAMES)).finditer(frame)
        pages = [w.PAGE_NAMES[re.sub(r"[\s-]+", " ", m.group(0))] for m in named] + pages
    return [PageEdit(page, add) for page in dict.fromkeys(pages)]


def _value(c: Clause, start: int, mark: re.Pattern[str] = w.VALUE_MARK) -> str | None:
    """The client's new text after `start`: the next quote, else what follows "to"/"para"."""
    if tokens := c.tokens(start) or c.tokens():
        return tokens[0]
    m = mark.search(c.key, start)
    text = c.raw[m.end() :].strip().strip(w.QUOTE_CHARS).strip() if m else ""
    return text or None


def _trailing_page(text: str) -> tuple[str, str | None]:
    """'Move freely again on the home page' -> ('Move freely again', 'home')."""
    folded = fold(text)
    for m in w.ON_PAGE.finditer(folded):
        tail = folded[m.end() :].rstrip(" .!")
        refs = page_refs(tail)
        if refs and refs[0][0] == 0 and refs[0][1] >= len(tail):
            return text[: m.start()], refs[0][2]
    return text, None


def _text(c: Clause, frame: str, refs: list[tuple[int, int, str]]) -> list[Edit] | Refusal:
    anchor = w.SUBHEADING.search(frame) or w.PARAGRAPH.search(frame) or w.HEADLINE.search(frame)
    assert anchor is not None
    part: TextPart = "headline"
    if w.SUBHEADING.search(frame):
        part = "intro"
    elif w.PARAGRAPH.search(frame):
        number, ordinal = w.PARAGRAPH_NUMBER.search(frame), w.ORDINAL.search(frame)
        part = int(number.group(1)) if number else w.ORDINALS[ordinal.group(0)] if ordinal else 1
    text, page = _value(c, anchor.end()), refs[0][2] if refs else None
    if text and not c.tokens():
        text, tail_page = _trailing_page(text)
        page = page or tail_page
        text = text.rstrip(".") if part == "headline" else text
    if not text or not text.strip():
        noun = part if isinstance(part, str) else "paragraph"
        return refuse("missing_text", what=w.Term(noun))
    return [SetText(page, part, " ".join(text.split()))]


def _colours(c: Clause, bare: str) -> list[Edit] | Refusal:
    marks: list[tuple[int, Role]] = sorted(
        [(m.start(), "primary") for m in w.PRIMARY.finditer(bare)]
        + [(m.start(), "secondary") for m in w.SECONDARY.finditer(bare)]
    )
    # "primary navy and secondary gold": each role owns the text up to the next one.
    cuts = [0] + [start for start, _ in marks[1:]] + [len(c.key)]
    roles: list[Role] = [r for _, r in marks] or ["primary"]
    edits: list[Edit] = []
    for role, a, b in zip(roles, cuts, cuts[1:], strict=False):
        found = _colour_in(c, a, b)
        if isinstance(found, Refusal):
            return found
        edits.append(SetColour(role, *found))
    return edits


def _colour_in(c: Clause, a: int, b: int) -> tuple[str, str | None] | Refusal:
    seg = c.key[a:b]
    if m := w.HEX.search(seg):
        return _hex6(m.group(0)), None
    for quote in c.tokens(a):
        folded = re.sub(r"[\s-]+", " ", fold(quote).strip())
        if w.HEX.fullmatch(folded):
            return _hex6(folded), None
        if folded in w.COLOURS:
            return w.COLOURS[folded], quote
    if m := w.COLOUR_NAME.search(seg):
        return w.COLOURS[re.sub(r"[\s-]+", " ", m.group(0))], c.raw[a + m.start() : a + m.end()]
    asked = _value(Clause(c.raw[a:b], seg, c.quotes), 0)
    return refuse("unknown_colour", colour=asked[:60]) if asked else refuse("no_colour")


def _hex6(colour: str) -> str:
    colour = colour.lower()
    return "#" + "".join(ch * 2 for ch in colour[1:]) if len(colour) == 4 else colour


def _contacts(c: Clause) -> list[Edit] | Refusal:
    frame = c.frame()
    # A field word inside a value ("5 Phone Street") is not a second field.
    found = [
        m
        for m in w.CONTACT.finditer(c.key)
        if m.end() <= len(frame) or w.NEXT_FIELD.search(c.key[: m.start()])
    ]
    edits: list[Edit] = []
    for m, nxt in zip(found, [*found[1:], None], strict=True):
        name = cast(ContactField, m.lastgroup)
        end = nxt.start() if nxt else len(c.key)
        value = _contact_value(Clause(c.raw[:end], c.key[:end], c.quotes), m.end(), name)
        if value is None:
            return refuse("missing_value", what=w.Term(name))
        edits.append(SetContact(name, value))
    return edits


def _contact_value(c: Clause, start: int, name: str) -> str | None:
    if tokens := c.tokens(start):
        return tokens[0]
    pattern = {"email": w.EMAIL, "phone": w.PHONE}.get(name)
    if pattern and (m := pattern.search(c.raw, start)):
        return m.group(0).strip()
    value = _value(c, start, w.CONTACT_MARK)
    value = w.AND_TAIL.sub("", value or "").strip().rstrip(".").strip()
    return value or None


def opening_hours(value: str) -> list[tuple[str, str]] | None:
    """'Mon-Fri 09:00-18:00, Sat 10:00-14:00' -> [(days, hours), ...], None if unreadable."""
    slots = [w.HOURS_SLOT.match(part.strip()) for part in re.split(r",|;|\s+and\s+", value)]
    if not all(slots) or not 0 < len(slots) <= MAX_HOURS:
        return None
    return [(m.group("days"), m.group("hours")) for m in slots if m]


def _service(c: Clause, verb: str) -> list[Edit] | Refusal:
    tokens = c.tokens()
    if verb == "remove":
        name = tokens[0] if tokens else _unquoted_service(c, verb)
        return [RemoveService(name)] if name else refuse("service_name", name="…")
    if tokens:
        price = tokens[2] if len(tokens) > 2 else _price(w.TOKEN.sub(" ", c.raw))
        return [AddService(tokens[0], tokens[1] if len(tokens) > 1 else None, price)]
    name, description, price = _name_description(_unquoted_service(c, verb).lstrip(w.DASHES))
    if not name:
        return refuse("missing_value", what=w.Term("service name"))
    return [AddService(name, description, price)]


def _name_description(text: str) -> tuple[str, str | None, str | None]:
    """'Pilates classes: Small groups (price £20)' -> name, description, price."""
    if price := _price(text):
        m = w.PRICE.search(fold(text)) or w.PRICE_PARENS.search(text)
        text = text[: m.start()].rstrip(" ,.") if m else text
    parts = [p.strip() for p in re.split(":|\\s[\u2013\u2014-]\\s", text, maxsplit=1)]
    description = parts[1] if len(parts) > 1 and parts[1] else None
    return parts[0].rstrip(".").strip(), description, price


def _price(text: str) -> str | None:
    if m := w.PRICE.search(fold(text)):
        return text[m.start("price") : m.end("price")].strip().rstrip(".") or None
    m2 = w.PRICE_PARENS.search(text)
    return m2.group("price").strip() if m2 else None


def _unquoted_service(c: Clause, verb: str) -> str:
    key = c.key
    v = (w.ADD if verb == "add" else w.REMOVE).search(key)
    start, end = (v.end() if v else 0), len(key)
    to_services = w.TO_SERVICES.search(key, start)
    noun = w.SERVICE.search(key, start)
    if verb == "add" and to_services and not (noun and noun.start() < to_services.start()):
        end = to_services.start()  # "add Pilates classes to our services"
    elif noun and w.ARTICLES.sub("", key[start : noun.start()].strip() + " ").strip():
        end = noun.start()  # "remove the sports massage service"
    elif noun:
        lead = w.SERVICE_LEAD.match(key, noun.start())  # "add a service called X: ..."
        start = lead.end() if lead else noun.end()
    text = c.raw[start:end].strip()
    text = text[len(w.ARTICLES.match(fold(text)).group(0)) :]  # type: ignore[union-attr]
    if verb == "remove" and (tail := w.TAIL_WORDS.search(fold(text))):
        text = text[: tail.start()]
    return text.strip().strip(".,?!").strip()


def _faq(c: Clause) -> list[Edit] | Refusal:
    tokens = c.tokens()
    if len(tokens) >= 2:
        return [AddFaq(tokens[0], tokens[1])]
    if tokens:  # 'Add a FAQ "Do you park?" answer: yes, behind the shop'
        question, rest = tokens[0], c.raw[w.TOKEN.search(c.key).end() :]  # type: ignore[union-attr]
        if mark := w.ANSWER_MARK.match(fold(rest)):
            rest = rest[mark.end() :]
    else:  # "Add a FAQ: Do you park? Yes, behind the shop."
        lead = w.FAQ_LEAD.search(c.key)
        colon = re.compile(r"(?<!\d):\s*").search(c.key, lead.start()) if lead else None
        text = c.raw[(colon or lead).end() :] if lead else ""
        mark = w.ANSWER_MARK.search(fold(text))
        if "?" in text:
            question, _, rest = text.partition("?")
            question += "?"
        elif mark:
            question, rest = text[: mark.start()], text[mark.end() :]
        else:
            return refuse("faq_incomplete")
    question = question.strip().strip(w.QUOTE_CHARS).strip()
    answer = rest.strip().lstrip(w.DASHES).strip().strip(w.QUOTE_CHARS).strip()
    return [AddFaq(question, answer)] if question and answer else refuse("faq_incomplete")
