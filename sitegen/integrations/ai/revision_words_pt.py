"""Palavras em português para ler pedidos de alteração, e as respostas em português.

As chaves do vocabulário estão "dobradas" (minúsculas, sem acento, hífen como espaço),
como o texto que o parser compara; as mensagens são modelos `str.format` para o cliente.
"""

from __future__ import annotations

COLOURS: dict[str, str] = {
    "azul marinho": "#1b2a4a",
    "azul escuro": "#1e3a8a",
    "azul royal": "#2251cc",
    "azul": "#1d4ed8",
    "azul claro": "#7cb9e8",
    "azul celeste": "#38bdf8",
    "azul bebe": "#a7c7e7",
    "azul petroleo": "#0f5e6b",
    "turquesa": "#1abc9c",
    "ciano": "#06b6d4",
    "verde": "#2e7d32",
    "verde escuro": "#1f4d2b",
    "verde musgo": "#4a5d23",
    "verde oliva": "#6b7d2a",
    "verde bandeira": "#009c3b",
    "verde esmeralda": "#059669",
    "esmeralda": "#059669",
    "verde menta": "#98e2c6",
    "menta": "#98e2c6",
    "verde limao": "#84cc16",
    "verde claro": "#90ee90",
    "verde agua": "#66cdaa",
    "verde salvia": "#8a9a5b",
    "vermelho": "#c62828",
    "vermelho escuro": "#8b0000",
    "carmim": "#b91c3c",
    "vinho": "#722f37",
    "bordo": "#800020",
    "grena": "#7b1f2b",
    "rosa": "#ec4899",
    "rosa claro": "#f9c6d3",
    "rosa choque": "#ff1493",
    "magenta": "#c026d3",
    "roxo": "#6b21a8",
    "violeta": "#7c3aed",
    "lilas": "#c8a2c8",
    "lavanda": "#b57edc",
    "laranja": "#ea580c",
    "coral": "#ff7f50",
    "pessego": "#ffcba4",
    "salmao": "#fa8072",
    "amarelo": "#facc15",
    "dourado": "#d4a017",
    "mostarda": "#d4a72c",
    "ambar": "#f59e0b",
    "bege": "#d8c3a5",
    "creme": "#f5ecd7",
    "marfim": "#fffff0",
    "caramelo": "#c68e17",
    "marrom": "#795548",
    "castanho": "#6f4e37",
    "cafe": "#6f4e37",
    "chocolate": "#5d3a1a",
    "terracota": "#c65d3b",
    "ferrugem": "#b7410e",
    "preto": "#111111",
    "branco": "#ffffff",
    "cinza": "#6b7280",
    "cinza escuro": "#374151",
    "cinza claro": "#d1d5db",
    "grafite": "#333a44",
    "chumbo": "#475569",
    "prata": "#c0c0c0",
    # Feminine forms, as in "a cor amarela".
    "amarela": "#facc15",
    "vermelha": "#c62828",
    "preta": "#111111",
    "branca": "#ffffff",
    "roxa": "#6b21a8",
    "dourada": "#d4a017",
}

# Words after "página (de)" that name a template page ("página de serviços").
PAGES: dict[str, str] = {
    "inicial": "home",
    "principal": "home",
    "inicio": "home",
    "home": "home",
    "sobre": "about",
    "sobre nos": "about",
    "quem somos": "about",
    "servicos": "services",
    "servico": "services",
    "duvidas": "faq",
    "perguntas frequentes": "faq",
    "perguntas": "faq",
    "faq": "faq",
    "contato": "contact",
    "contatos": "contact",
    "fale conosco": "contact",
    "recursos": "features",
    "funcionalidades": "features",
    "precos": "pricing",
    "planos": "pricing",
    "trabalhos": "work",
    "portfolio": "work",
    "projetos": "work",
    "estudos de caso": "case-studies",
    "casos": "case-studies",
}

ADD = (
    "adicione",
    "adicionar",
    "adiciona",
    "acrescente",
    "acrescentar",
    "acrescenta",
    "inclua",
    "incluir",
    "inclui",
    "crie",
    "criar",
    "cria",
    "coloque",
    "colocar",
    "coloca",
    "ponha",
    "insira",
    "inserir",
    "bote",
    "novo",
    "nova",
)
REMOVE = (
    "remova",
    "remover",
    "remove",
    "tire",
    "tirar",
    "tira",
    "retire",
    "retirar",
    "retira",
    "apague",
    "apagar",
    "apaga",
    "exclua",
    "excluir",
    "exclui",
    "delete",
    "deletar",
    "elimine",
    "eliminar",
    "esconda",
    "oculte",
)
CHANGE = (
    "mude",
    "mudar",
    "muda",
    "altere",
    "alterar",
    "altera",
    "troque",
    "trocar",
    "troca",
    "substitua",
    "substituir",
    "deixe",
    "deixar",
    "use",
    "usar",
    "atualize",
    "atualizar",
    "edite",
    "editar",
    "reescreva",
    "corrija",
    "corrigir",
)
DESTRUCTIVE_VERBS = (
    "apague",
    "apagar",
    "apaga",
    "delete",
    "deletar",
    "exclua",
    "excluir",
    "remova",
    "remover",
    "tire",
    "tirar",
    "retire",
    "retirar",
    "derrube",
    "derrubar",
    "desative",
    "desativar",
    "destrua",
    "destruir",
    "elimine",
    "eliminar",
    "cancele",
    "cancelar",
)

MESSAGES: dict[str, str] = {
    "destructive": (
        "Não consigo apagar o site nem tirá-lo do ar por um pedido de alteração. Se você "
        "quer parar ou cancelar o projeto, fale diretamente com a gente."
    ),
    "injection": (
        "Descreva a alteração com palavras simples, sem código, HTML ou instruções para o "
        'sistema. Por exemplo: Mude o título da página inicial para "Pão quentinho todo dia".'
    ),
    "unintelligible": (
        "Desculpe, não entendi o que devo alterar. {capabilities} Por exemplo: {example}"
    ),
    "part_unclear": (
        'Desculpe, não entendi esta parte da sua mensagem: "{part}". Nada foi alterado. '
        "{capabilities} Por exemplo: {example}"
    ),
    "capabilities": (
        "Posso mudar as cores, o título ou os parágrafos de uma página, adicionar ou remover "
        "serviços, perguntas frequentes e páginas, e atualizar telefone, e-mail, endereço ou "
        "horário de funcionamento."
    ),
    "example": 'Mude o título da página inicial para "Pão quentinho todo dia"',
    "too_many_changes": "Envie no máximo {limit} alterações por mensagem.",
    "too_long": "O novo {what} tem {length} caracteres; o limite é {limit}. Encurte o texto, por favor.",
    "missing_text": (
        "O que o novo {what} deve dizer? Coloque o novo texto entre aspas, por exemplo: "
        'Mude o título da página inicial para "Pão quentinho todo dia".'
    ),
    "plan_content": (
        "Títulos e parágrafos podem ser alterados quando a prévia do site estiver pronta. "
        "Agora posso mudar páginas, serviços, cores, contatos e perguntas frequentes."
    ),
    "not_affected": (
        "Você mencionou a página {page}, mas esta alteração é para: {pages}. Envie as "
        "alterações de outras páginas separadamente."
    ),
    "no_such_page": "O site não tem a página {page}. As páginas são: {pages}.",
    "no_headline": "A página {page} não tem título para alterar.",
    "no_about": "A página {page} não tem parágrafos de texto para alterar.",
    "paragraph_range": "O texto da página {page} tem {count} parágrafos, então não existe o parágrafo {n}.",
    "unknown_colour": (
        'Não conheço a cor "{colour}". Use um código como #1b2a4a ou um nome comum, como '
        "azul-marinho, verde-escuro, vinho ou terracota."
    ),
    "no_colour": (
        "Qual cor você quer? Use um código como #1b2a4a ou um nome comum, como azul-marinho, "
        "verde-escuro, vinho ou terracota."
    ),
    "service_exists": 'Já existe um serviço chamado "{name}".',
    "too_many_services": "O site pode listar no máximo {limit} serviços. Remova um antes.",
    "last_service": (
        'O site precisa de pelo menos um serviço, então "{name}" não pode ser removido. '
        "Adicione o novo serviço primeiro."
    ),
    "unknown_service": 'Não existe um serviço chamado "{name}". Os serviços são: {names}.',
    "ambiguous_service": '"{name}" corresponde a mais de um serviço: {names}. Use o nome completo.',
    "service_name": 'Qual serviço? Coloque o nome entre aspas, por exemplo: Remova o serviço "{name}".',
    "faq_incomplete": (
        "Para adicionar uma pergunta frequente preciso da pergunta e da resposta, por exemplo: "
        'Adicione uma pergunta frequente: "Vocês entregam?" "Sim, em todo o bairro."'
    ),
    "faq_exists": 'As perguntas frequentes já têm a pergunta "{question}".',
    "too_many_faq": "As perguntas frequentes podem ter no máximo {limit} perguntas.",
    "faq_nowhere": (
        'O site ainda não tem perguntas frequentes. Adicione a página primeiro, ex.: "Adicione '
        'a página de dúvidas".'
    ),
    "page_exists": "O site já tem a página {page}.",
    "page_not_offered": 'Este modelo de site não tem a página "{page}". As páginas oferecidas são: {pages}.',
    "page_missing": "O site não tem a página {page} para remover.",
    "invalid_phone": (
        'Isso não parece um número de telefone: "{value}". Use números, espaços, parênteses '
        "ou hífens, com um + opcional no início."
    ),
    "invalid_email": 'Isso não parece um endereço de e-mail: "{value}".',
    "invalid_address": 'Isso não parece um endereço: "{value}".',
    "invalid_hours": (
        'Não consegui ler esse horário: "{value}". Escreva assim: Seg a Sex 09:00-18:00, '
        "Sáb 09:00-13:00."
    ),
    "missing_value": "Qual deve ser o novo {what}?",
    "same": "Isso não mudaria nada: {detail}.",
    "invalid": "Essa alteração não pode ser feita: {detail}.",
    "refused_summary": "Alteração não realizada",
    "ch_colour": "Cor {role} {old} → {new}{name}",
    "ch_headline": 'Título da página {page}: "{text}"',
    "ch_subheading": 'Subtítulo da página {page}: "{text}"',
    "ch_paragraph": 'Parágrafo {n} da página {page}: "{text}"',
    "ch_add_service": 'Novo serviço "{name}"',
    "ch_remove_service": 'Serviço removido "{name}"',
    "ch_add_faq": 'Nova pergunta frequente "{question}"',
    "ch_add_page": "Nova página: {page}",
    "ch_remove_page": "Página removida: {page}",
    "ch_contact": "{field}: {old} → {new}",
    "same_colour": "a cor {role} já é {value}",
    "same_text": "o {what} já diz isso",
    "same_site": "o site já está assim",
    "same_contact": "o {field} já é {value}",
    "primary": "principal",
    "secondary": "secundária",
    "Primary": "principal",
    "Secondary": "secundária",
    "headline": "título",
    "intro": "subtítulo",
    "paragraph": "parágrafo",
    "service name": "nome do serviço",
    "service description": "texto da descrição",
    "price": "preço",
    "question": "texto da pergunta",
    "answer": "texto da resposta",
    "phone": "telefone",
    "email": "e-mail",
    "address": "endereço",
    "hours": "horário de funcionamento",
    "Phone": "Telefone",
    "Email": "E-mail",
    "Address": "Endereço",
    "Hours": "Horário de funcionamento",
    "none": "nenhum",
    "service_blurb": "{name} em {city}, por {business}. Fale com a gente para saber mais.",
}
