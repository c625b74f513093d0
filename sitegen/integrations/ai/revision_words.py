"""Vocabulary for change requests: both languages' words merged into patterns.

A client may write in either language whatever the site's locale, so parsing always uses
both vocabularies; only the answers follow the site's locale. Every pattern runs on folded
text (see `fold`): lower case, no accents, quoted text masked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sitegen.contracts.onboarding import Locale
from sitegen.integrations.ai import copy_en, copy_pt
from sitegen.integrations.ai import revision_words_en as en
from sitegen.integrations.ai import revision_words_pt as pt


def fold(text: str) -> str:
    """Lower case without accents, exactly one output character per input character, so a
    match in folded text slices the original at the same offsets."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[:1] or char
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out).replace("\u2013", "-").replace("\u2014", "-")


def norm(text: str) -> str:
    """For comparing names: 'Café coado!' and 'cafe  coado' are the same service."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def page_name(locale: Locale, page_id: str) -> str:
    """A page as the client sees it in the menu: 'Sobre', 'FAQ'."""
    return (copy_pt.NAV if locale is Locale.PT_BR else copy_en.NAV).get(page_id, page_id)


def alt(words: Iterable[str]) -> str:
    """A regex alternation, longest first so 'dark green' wins over 'green'."""
    parts = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in parts)


def words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w#])(?:{pattern})(?![\w])")


COLOURS: dict[str, str] = {**en.COLOURS, **pt.COLOURS}
COLOUR_NAME = words(alt(COLOURS))
HEX = re.compile(r"(?<!\w)#(?:[0-9a-f]{6}|[0-9a-f]{3})(?![0-9a-z])")
COLOUR_WORD = words(r"colou?rs?|cor|cores")
PRIMARY = words(r"primary|main|brand|principal|primaria|da marca")
SECONDARY = words(r"secondary|accent|secundaria|de destaque|destaque")

ADD = words(alt((*en.ADD, *pt.ADD)))
REMOVE = words(alt((*en.REMOVE, *pt.REMOVE)))
CHANGE = words(alt((*en.CHANGE, *pt.CHANGE)))

HEADLINE = words(
    r"headline|heading|main title|hero title|title|titulo(?: principal)?|manchete"
    r"|chamada principal"
)
SUBHEADING = words(
    r"intro(?:duction)?(?: text)?|subtitle|sub-title|subheading|sub-heading|subhead"
    r"|lead (?:text|line)|subtitulo|sub-titulo|introducao|texto de (?:abertura|introducao)"
    r"|linha de apoio"
)
PARAGRAPH = words(r"paragraphs?|paragrafos?")
ORDINALS: dict[str, int] = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "last": -1,
    "final": -1,
    "primeiro": 1,
    "1o": 1,
    "segundo": 2,
    "2o": 2,
    "terceiro": 3,
    "3o": 3,
    "quarto": 4,
    "4o": 4,
    "quinto": 5,
    "5o": 5,
    "sexto": 6,
    "6o": 6,
    "ultimo": -1,
}
ORDINAL = words(alt(ORDINALS))
PARAGRAPH_NUMBER = re.compile(r"(?:paragraphs?|paragrafos?)\s*(?:n[o.]?\s*)?(\d)\b")

SERVICE = words(r"services?|servicos?")
# "Add Pilates classes to our services": the noun sits after the unquoted name.
TO_SERVICES = re.compile(
    r"\s(?:to|in|on|into|aos|nos|na lista de)\s+(?:the\s+|our\s+|os\s+|nossos\s+)?"
    r"(?:list of\s+)?(?:services|servicos)(?:\s+list)?\b"
)
SERVICE_LEAD = re.compile(
    r"(?:services?|servicos?)\b\s*(?:called|named|chamado|de nome|:)?\s*(?:de\s+)?"
)
FAQ = words(
    r"faqs?|frequently asked questions?|questions?|perguntas? frequentes?|perguntas?|duvidas?"
)
FAQ_LEAD = re.compile(
    r"(?:faqs?|frequently asked questions?|questions?|perguntas? frequentes?|perguntas?"
    r"|duvidas?)\b(?:\s+(?:entry|item|question))?\s*(?:to the faqs?|nas? (?:faq|duvidas))?"
    r"\s*[:-]?\s*"
)
ANSWER_MARK = re.compile(r"(?:^|\s)(?:(?:with\s+)?(?:the\s+)?answer|a|resposta|r)\s*[:-]\s*|\s-\s")
PRICE = re.compile(
    r"\(?\s*\b(?:price|priced at|costs?|preco|valor|custa)\b\s*(?:is|e|de)?\s*[:=]?\s*"
    r"(?P<price>[^()\n]+?)\s*\)?\s*[.;]?\s*$"
)
PRICE_PARENS = re.compile(r"\((?P<price>[^()]*\d[^()]*)\)")

# Contact fields, e-mail first so "email address" and "endereço de e-mail" are e-mails.
CONTACT_FIELDS: tuple[tuple[str, str], ...] = (
    ("email", r"e-?mail(?: address)?|endereco de e-?mail|correio eletronico"),
    (
        "phone",
        r"(?:tele)?phone(?: number)?|mobile(?: number)?|contact number|numero de telefone"
        r"|telefone|celular|fone|tel",
    ),
    ("address", r"(?:street |postal )?address|endereco|morada"),
    (
        "hours",
        r"opening (?:hours|times)|business hours|hours|horarios?(?: de "
        r"(?:funcionamento|atendimento|abertura))?",
    ),
)
CONTACT = re.compile(
    "|".join(rf"(?<![\w-])(?P<{name}>{pattern})(?![\w-])" for name, pattern in CONTACT_FIELDS)
)
# Where unquoted new text starts: "... to X", "... para X", "X is now Y", "novo endereço: Y".
_MARKS = (
    r"to|into|with|should (?:be|say|read)|is now|are now|para|pra|por|deve ser|deve dizer"
    r"|agora e|e agora|passa a ser|passou a ser"
)
VALUE_MARK = re.compile(rf"\s(?:{_MARKS})\s+|(?<!\d):\s*")  # not the ":" of "09:00"
# Contact values also follow a plain "is"/"é": "our address is 5 Quay Street".
CONTACT_MARK = re.compile(rf"\s(?:{_MARKS}|is|are|e|sera)\s+|(?<!\d):\s*")
# Politeness inside a request, blanked before parsing ("por favor" is not "por X").
POLITE = re.compile(r"\b(?:please|pls|kindly|por favor|por gentileza)\b,?")

PAGE_EN = re.compile(
    rf"(?<![\w-])(?P<w>homepage|{alt(en.PAGES)}|[a-z][\w-]*)\s+pages?\b|\bhomepage\b"
)
PAGE_PT = re.compile(
    rf"\bpaginas?\s+(?:de\s+|do\s+|da\s+|dos\s+|das\s+)?(?P<w>{alt(pt.PAGES)}|[a-z][\w-]*)\b"
    r"|\b(?:na|da|a)\s+(?P<h>home)\b"
)
PAGE_NAMES: dict[str, str] = {**en.PAGES, **pt.PAGES}
# Words the generic "<word> page" pattern must not read as a page name.
PAGE_FILLERS = frozenset({
    "a", "an", "the", "new", "this", "that", "our", "my", "another", "one", "extra", "separate",
    "own", "whole", "each", "every", "same", "other", "web", "single", "nova", "novo", "uma",
    "um", "essa", "esta", "outra", "mesma", "cada",
})  # fmt: skip

INJECTION = re.compile(
    r"</?[a-z!]|javascript\s*:|vbscript\s*:|data\s*:\s*text/html|\bon[a-z]+\s*=|\{\{|\{%|%\}"
    r"|\}\}|\$\{|<\?|```|\brm\s+-rf\b|\bdrop\s+table\b"
    r"|\b(?:ignore|disregard|forget|override)\b[^.\n]{0,30}\b(?:instructions?|rules|prompts?)\b"
    r"|\bsystem prompt\b|\bjailbreak|\bdeveloper mode\b|\breveal your (?:prompt|instructions)"
    r"|\b(?:you are now|act as|pretend (?:to be|you are))\s+(?:[a-z]+\s+){0,2}"
    r"(?:ai|assistant|model|system|admin|developer|root|dan|chatgpt|gpt)\b"
    r"|\b(?:ignore|esqueca|desconsidere)\b[^.\n]{0,30}\b(?:instrucoes|regras|comandos)\b"
    r"|\bprompt do sistema\b|\b(?:voce agora e|aja como|finja ser)\s+(?:[a-z]+\s+){0,2}"
    r"(?:ia|assistente|modelo|sistema|administrador|desenvolvedor)\b"
)
_DESTROY = alt((*en.DESTRUCTIVE_VERBS, *pt.DESTRUCTIVE_VERBS))
_FILLER = (
    r"(?:(?:the|my|our|this|that|entire|whole|all|of|complete|o|a|os|as|meu|minha|nosso|nossa"
    r"|todo|toda|todos|todas|este|esta|esse|essa|inteiro|inteira)\s+){0,4}"
)
_TARGET = (
    r"(?:web\s*site|site|everything|all\s+(?:the\s+)?pages|all\s+(?:of\s+)?the\s+content"
    r"|home\s*page|front\s+page|main\s+page|tudo|paginas|conteudo|pagina\s+(?:inicial|principal)"
    r"|home)"
)
DESTRUCTIVE = re.compile(
    rf"\b(?:{_DESTROY})\s+{_FILLER}{_TARGET}(?![\w-])(?!\s*'s\b)"
    r"(?!\s*(?:headline|heading|title|text|paragraph|intro|subtitle|section|button|image"
    r"|photo|banner|colou?r))"
    r"|\btake\s+(?:the\s+|my\s+|our\s+)?(?:web\s*)?site\s+(?:down|offline)\b"
    r"|\b(?:tire|tirar|tira|retire|retirar)\b[^.\n;]{0,30}\bdo\s+ar\b(?![\s-]*condicionado)"
    r"|\b(?:deixe|coloque|ponha|bote)\b[^.\n;]{0,30}\bfora\s+do\s+ar\b"
)
PLEASANTRY = re.compile(
    r"^(?:hi|hello|hey|dear|thanks?|thank you|many thanks|cheers|please|ok|okay|great|perfect"
    r"|love it|ola|oi|bom dia|boa tarde|boa noite|obrigad[oa]|muito obrigad[oa]|valeu"
    r"|por favor|tudo bem|perfeito|otimo|abracos?|att|atenciosamente|regards|best)"
    r"(?:[\s,!.]+[\w'-]+){0,3}[\s!?.,:)]*$"
)
# Splits "... and remove ...", "... e adicione ...": a joined second request.
AND_THEN = re.compile(
    r"(?:,\s*|\s+)(?:and|then|also|e|depois|tambem)(?:\s+(?:also|then|tambem|depois))?\s+"
    rf"(?=(?:{alt((*en.ADD, *pt.ADD, *en.REMOVE, *pt.REMOVE, *en.CHANGE, *pt.CHANGE))})\b)"
)
# A sentence with none of these is read as the continuation of the one before it.
TRIGGERS = re.compile(
    "|".join(
        p.pattern
        for p in (ADD, REMOVE, CHANGE, COLOUR_WORD, HEADLINE, SUBHEADING, PARAGRAPH, CONTACT)
    )
    + r"|\b(?:faqs?|page|pagina|services?|servicos?)\b"
)

BANKS = {Locale.EN: en.MESSAGES, Locale.PT_BR: pt.MESSAGES}


class Term(str):
    """A message key to translate when the message is written, not text to show as is."""

    __slots__ = ()


def say(locale: Locale, key: str, **args: object) -> str:
    """A message in the site's language; `Term` arguments are translated too."""
    bank = BANKS[locale]
    values = {k: bank[v] if isinstance(v, Term) else v for k, v in args.items()}
    return bank[key].format(**values)


@dataclass(frozen=True)
class Refusal:
    """Why a request is not done: a message key and its arguments, worded on demand."""

    key: str
    args: Mapping[str, object] = field(default_factory=dict)

    def text(self, locale: Locale) -> str:
        return say(locale, self.key, **self.args)


def refuse(key: str, **args: object) -> Refusal:
    return Refusal(key, args)


# Patterns for pulling values out of a request (on raw or folded text, as noted).
# Straight, curly, guillemet and low-9 quotes; a single quote must not touch a letter
# outside it, so apostrophes (don't, Harbour's) never open or close a quote.
QUOTES = re.compile(
    '"([^"\\n]+)"|\u201c([^\u201d\\n]+)[\u201d\u201c]|\u201d([^\u201d\\n]+)\u201d'
    "|\u00ab([^\u00bb\\n]+)\u00bb|\u201e([^\u201c\\n]+)\u201c|\u2018(.+?)\u2019(?!\\w)"
    "|(?<!\\w)'(.+?)'(?!\\w)"
)
QUOTE_CHARS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e"
DASHES = ":\u2013\u2014-,"
TOKEN = re.compile(r"⟦(\d+)⟧")
SPLIT = re.compile(r"\s*[\n;]\s*|(?<=[.!?])\s+|" + AND_THEN.pattern)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d\)?")
AND_TAIL = re.compile(r"[\s,]+(?:and|e)(?:\s+(?:the|our|my|o|a|nosso|nossa|meu|minha))?\s*$")
ARTICLES = re.compile(r"^(?:(?:a|an|the|new|our|o|um|uma|novo|nova|os|as)\s+)*")
# "remove sports massage from the list": the words after the name.
TAIL_WORDS = re.compile(
    r"(?:\s+(?:from|off|of|in|on|do|da|dos|das|de|no|na|nos|nas)\b"
    r"(?:\s+(?:the|our|my|o|a|os|as|nosso|nossos)\b)?"
    r"(?:\s+(?:web\s*site|site|list|lista|services|servicos|menu|page|pagina)\b.*)?)\s*$"
)
ON_PAGE = re.compile(r"\s+(?:on|in|for|at|na|da|no|do)\s+(?:the\s+|a\s+|o\s+)?")
# "..., and the email to ...": a field word that starts a second field phrase.
NEXT_FIELD = re.compile(
    r"(?:\band|\be|,)\s+(?:(?:the|our|my|o|a|nosso|nossa|meu|minha|new|novo|nova)\s+)*$"
)
HOURS_SLOT = re.compile(r"^(?P<days>.*?[^\d\s:])\s*:?\s+(?P<hours>\d.*|closed|fechado)$", re.I)
