"""Palavras em português para a entrevista de descoberta: o que perguntar, como confirmar e
os padrões que leem as respostas (como em interview_words_en)."""

from __future__ import annotations

CUES = frozenset(
    [
        "o",
        "a",
        "os",
        "as",
        "e",
        "nos",
        "nossa",
        "nosso",
        "minha",
        "meu",
        "sou",
        "somos",
        "e",
        "uma",
        "um",
        "com",
        "para",
        "de",
        "do",
        "da",
        "em",
        "no",
        "na",
        "que",
        "quem",
        "clientes",
        "pessoas",
        "servicos",
        "oferecemos",
        "vendemos",
        "voce",
        "nao",
        "sao",
        "tem",
        "temos",
    ]
)

QUESTIONS: dict[str, str] = {
    "business": "Qual é o nome do seu negócio, e o que ele faz?",
    "name": "Qual é o nome do seu negócio?",
    "industry": "O que a {name} faz, em uma ou duas frases?",
    "place": "Onde vocês ficam (cidade)?",
    "audience": "Quem são os seus clientes, e que problema eles trazem para vocês?",
    "services": (
        "Quais serviços ou produtos vocês oferecem? Pode ser uma lista, com preços se quiser."
    ),
    "style": (
        "Como o site deve soar: amigável, profissional, divertido, sofisticado ou técnico? "
        "E vocês têm cores da marca?"
    ),
    "contact": "Qual telefone e qual e-mail o site deve mostrar?",
    "pages": "Quais páginas você quer? Posso fazer: {pages}.",
}

LABELS: dict[str, str] = {
    "name": "o nome",
    "industry": "o que vocês fazem",
    "city": "onde vocês ficam",
    "audience": "os seus clientes",
    "pains": "as dificuldades deles",
    "services": "os seus serviços",
    "tone": "o tom",
    "colours": "as cores",
    "pages": "as páginas",
    "phone": "o telefone",
    "email": "o e-mail",
}

MESSAGES: dict[str, str] = {
    "hello": "Olá! Vou fazer algumas perguntas e depois montar um plano para o seu site.",
    "noted": "Obrigado, anotei {what}.",
    "not_understood": "Desculpe, não entendi bem.",
    "invalid": "{what} não parece certo: {reason}.",
    "plan": (
        "Este é o plano para {name}: {tagline}.\n"
        "Clientes: {audience}\n"
        "Serviços: {services}\n"
        "Tom: {tone}. Páginas: {pages}.\n"
        "Se estiver certo, confirme e eu começo a construir; ou diga o que mudar."
    ),
    "updated": "Atualizei {what}.",
    "nothing_to_change": (
        "Não encontrei nada para mudar nisso. Você pode me dizer um novo tom, cores, páginas "
        "ou contatos, ou confirmar o plano (e corrigir qualquer campo ao confirmar)."
    ),
    "service_description": "{name}, oferecido por {business}.",
    "described": "{name} é uma {industry} em {city}.",
    "tagline": "{industry} em {city}",
    "revision_queued": (
        "Obrigado, passei isso adiante como uma alteração da sua prévia; é a número "
        "{position} da fila, e a prévia mostra quando estiver pronta."
    ),
    "and": "e",
}

TONES: dict[str, str] = {
    "amigavel": "friendly",
    "acolhedor": "friendly",
    "acolhedora": "friendly",
    "descontraido": "friendly",
    "descontraida": "friendly",
    "proximo": "friendly",
    "caloroso": "friendly",
    "leve": "friendly",
    "profissional": "professional",
    "serio": "professional",
    "seria": "professional",
    "confiavel": "professional",
    "formal": "professional",
    "corporativo": "professional",
    "divertido": "playful",
    "divertida": "playful",
    "alegre": "playful",
    "descolado": "playful",
    "descolada": "playful",
    "elegante": "luxury",
    "luxo": "luxury",
    "luxuoso": "luxury",
    "sofisticado": "luxury",
    "sofisticada": "luxury",
    "requintado": "luxury",
    "tecnico": "technical",
    "tecnica": "technical",
    "preciso": "technical",
}

TONE_NAMES: dict[str, str] = {
    "friendly": "amigável",
    "professional": "profissional",
    "playful": "divertido",
    "luxury": "sofisticado",
    "technical": "técnico",
}

NAME_BEFORE = (
    r"(?:se chama|chamad[oa]|nome (?:é|e)|o nome da \w+ (?:é|e)|tenho a|tenho o|temos a"
    r"|bem-vindos? (?:à|a|ao))"
)
IS_A = r"(?:(?:é|somos|sou|tenho|temos)\s+|,\s*)uma?"
CLAUSE_END = r"(?:em|no|na|perto|que|para|com|desde|chamad[oa]|e)"
PLACE_BEFORE = r"(?:ficamos em|estamos em|fica em|localizad[oa] em|em)"
AUDIENCE = r"(?:clientes|público|publico|alunos|pacientes)\s+(?:são|sao|é|e)"
PAINS = (
    r"(?:cansad[oa]s? de|sofrem com|problemas? (?:é|e|são|sao|com)|reclamam de|não encontram"
    r"|nao encontram|dificuldade (?:de|em|com)|preocupad[oa]s? com|sem tempo para)"
)
SERVICES = r"(?:oferecemos|vendemos|fazemos|produzimos|servi[cç]os s[aã]o|produtos s[aã]o)"
LIST_AND = r"\s+(?:e|&)\s+"
NONE = frozenset({"nao", "nenhum", "nenhuma", "tanto faz", "qualquer", "sem preferencia", "pular"})
TONE_CUE = r"(?:tom|jeito|estilo|clima|cara|soar|deixe)"
PAGE_CUE = r"(?:p[aá]ginas?)"
COLOUR_CUE = r"(?:cor|cores)"
FROM = r"(?:a partir de|desde)"
