"""Banco de frases em português (pt-BR) para o redator offline.

Mesma estrutura de `copy_en`: os slots por tom dão a voz; os compartilhados variam pela
semente. Frases evitam artigo antes do nome do negócio ("a Padaria" / "o Studio"), já
que o gênero do nome não é conhecido.
"""

from __future__ import annotations

from sitegen.contracts.onboarding import Tone

TONE: dict[Tone, dict[str, tuple[str, ...]]] = {
    Tone.FRIENDLY: {
        "hero_heading": (
            "Seu cantinho de {industry} em {city}",
            "Tem coisa boa acontecendo aqui: {name}",
            "{industry} feito com carinho em {city}",
        ),
        "hero_close": (
            "Venha conhecer: {services} esperando por você.",
            "Trabalhamos com {services} — e adoramos receber você.",
        ),
        "cta": ("Fale com a gente", "Mande uma mensagem", "Venha nos visitar"),
        "services_heading": (
            "O que preparamos para você",
            "Como podemos ajudar",
            "Nossos queridinhos",
        ),
        "about_heading": ("Prazer, somos {name}", "Nossa história", "Quem está por trás de {name}"),
        "cta_heading": ("Estamos esperando por você", "Bora combinar?", "Passe aqui ou ligue"),
        "cta_text": (
            "Ligue, escreva ou venha até nós — respondemos cada mensagem pessoalmente.",
            "Conte o que você precisa e a gente cuida do resto, sem complicação.",
        ),
        "contact_heading": ("Venha dar um oi", "Adoramos receber mensagens"),
        "promise": ("Atendimento acolhedor, sempre", "Gente de verdade que lembra do seu nome"),
    },
    Tone.PROFESSIONAL: {
        "hero_heading": (
            "{industry} de confiança em {city}",
            "{name}: {industry} com excelência em {city}",
            "{industry} com cuidado e seriedade",
        ),
        "hero_close": (
            "Oferecemos {services}, com orientação clara em cada etapa.",
            "Nossa equipe realiza {services} com a pontualidade que você espera.",
        ),
        "cta": ("Agende um horário", "Solicite um orçamento", "Fale com nossa equipe"),
        "services_heading": ("Nossos serviços", "O que oferecemos", "Serviços sob medida"),
        "about_heading": ("Sobre {name}", "Por que nos escolhem", "Experiência em que você confia"),
        "cta_heading": (
            "Vamos conversar sobre o que você precisa",
            "Agende seu primeiro atendimento",
            "Fale hoje com nossa equipe",
        ),
        "cta_text": (
            "Resposta clara e plano claro — normalmente em até um dia útil.",
            "Primeiro ouvimos, depois indicamos o melhor próximo passo para você.",
        ),
        "contact_heading": ("Contato", "Fale com nossa equipe"),
        "promise": (
            "Orientação clara antes de qualquer compromisso",
            "Pontualidade e transparência",
        ),
    },
    Tone.PLAYFUL: {
        "hero_heading": (
            "{city}, conheça seu novo lugar favorito",
            "{industry} sério. Gente nem tanto.",
            "Oi, {city}! Aqui é {name}",
        ),
        "hero_close": (
            "Pense em {services} — com um sorriso de brinde.",
            "A gente faz {services} e se diverte muito no caminho.",
        ),
        "cta": ("Bora lá!", "Manda um alô", "Chega mais"),
        "services_heading": ("As coisas boas", "Tem pra todo gosto", "Escolha o seu favorito"),
        "about_heading": ("Quem somos nós, afinal?", "A história de {name}", "Bastidores"),
        "cta_heading": ("Vai, você sabe que quer", "Sua vez!", "Vamos fazer algo incrível"),
        "cta_text": (
            "Mande uma mensagem ou ligue — prometemos que somos legais.",
            "Uma conversa rápida e pronto. Fácil assim.",
        ),
        "contact_heading": ("Ache a gente, ligue, escreva", "Vamos bater um papo"),
        "promise": ("Bom humor incluso sem custo extra", "Zero momentos chatos, garantido"),
    },
    Tone.LUXURY: {
        "hero_heading": (
            "A arte de {industry_lower}, em {city}",
            "{name}. Feito sem concessões.",
            "Uma experiência excepcional de {industry_lower}",
        ),
        "hero_close": (
            "Descubra {services}, cada detalhe preparado com esmero.",
            "Oferecemos {services} para quem aprecia os detalhes mais finos.",
        ),
        "cta": ("Reserve sua visita", "Agende um atendimento exclusivo", "Solicite informações"),
        "services_heading": ("Nossas assinaturas", "A coleção", "Serviços selecionados"),
        "about_heading": ("A casa {name}", "Um padrão de excelência", "Nossa filosofia"),
        "cta_heading": (
            "Sua experiência começa aqui",
            "Permita-nos receber você",
            "Reserve seu momento",
        ),
        "cta_text": (
            "Cada visita é preparada com antecedência, de acordo com suas preferências.",
            "Entre em contato reservadamente e cuidaremos de cada detalhe.",
        ),
        "contact_heading": ("Atendimento reservado", "Agende sua visita"),
        "promise": ("Atenção pessoal desde o primeiro contato", "Qualidade sem concessões"),
    },
    Tone.TECHNICAL: {
        "hero_heading": (
            "{industry} feito para funcionar",
            "{name}: {industry_lower} do jeito certo",
            "{industry} com precisão em {city}",
        ),
        "hero_close": (
            "Entregamos {services}, com resultados mensuráveis e sem achismo.",
            "Nosso escopo cobre {services}, documentado e dentro da especificação.",
        ),
        "cta": (
            "Converse sobre seu projeto",
            "Peça uma avaliação técnica",
            "Solicite um orçamento",
        ),
        "services_heading": ("Capacidades", "O que entregamos", "Serviços e escopo"),
        "about_heading": ("Como trabalhamos", "Método, não mágica", "Sobre {name}"),
        "cta_heading": (
            "Conte qual é o problema",
            "Comece por uma avaliação",
            "Receba um orçamento",
        ),
        "cta_text": (
            "Envie os detalhes e respondemos com um plano concreto e uma estimativa.",
            "Uma conversa curta basta para definirmos o escopo e o orçamento honesto.",
        ),
        "contact_heading": ("Fale com a equipe técnica", "Inicie uma conversa"),
        "promise": ("Trabalho documentado e estimativas honestas", "Métodos comprovados"),
    },
}

SHARED: dict[str, tuple[str, ...]] = {
    "services_intro": (
        "Tudo o que {name} oferece, explicado de forma simples para você escolher com segurança.",
        "Cada serviço é feito pela nossa própria equipe em {city}, com o mesmo cuidado.",
    ),
    "about_audience": (
        "Criamos {name} pensando em quem atendemos: {audience_lc}",
        "Nossos clientes estão no centro de tudo o que fazemos. {audience}",
    ),
    "about_pains": (
        "Conhecemos as dores — {pains} — e trabalhamos para que você não passe por isso.",
        "{pains}: são exatamente esses problemas que resolvemos.",
    ),
    "testimonials_heading": ("O que dizem nossos clientes", "Palavras de quem já conhece"),
    "faq_heading": ("Perguntas frequentes", "Dúvidas mais comuns"),
    "contact_intro": (
        "Ligue ou mande um e-mail{visit}. Respondemos rápido.",
        "O jeito mais rápido de falar com a gente é pelo telefone; o e-mail também funciona.",
    ),
    "secondary": ("Conheça nossos serviços", "Veja o que oferecemos"),
    "features_heading": ("O que {name} faz por você", "Tudo o que você precisa, sem excesso"),
    "features_intro": (
        "Feito para {audience_lc}",
        "Cada recurso existe para poupar o seu tempo.",
    ),
    "pricing_heading": ("Preços", "Quanto custa"),
    "pricing_intro": (
        "Cada plano mostra exatamente o que inclui.",
        "Tudo o que um plano inclui está listado junto dele.",
    ),
    "plan_cta": ("Começar agora", "Escolher este plano"),
    "work_heading": ("Trabalhos selecionados", "Trabalhos recentes"),
    "work_intro": (
        "Trabalhos feitos para clientes, um a um.",
        "Uma seleção do que fizemos para nossos clientes.",
    ),
    "work_more": ("Leia os estudos de caso", "Veja como o trabalho foi feito"),
    "secondary_about": ("Conheça {name}", "Saiba mais sobre {name}"),
    "work_all": ("Ver todos os trabalhos", "Veja todos os projetos"),
    "secondary_features": ("Conheça os recursos", "Veja os recursos"),
    "secondary_work": ("Veja os trabalhos", "Conheça o portfólio"),
    "case_studies_heading": ("Estudos de caso", "Como o trabalho foi feito"),
    "case_studies_intro": (
        "O problema, a abordagem e o que mudou, projeto a projeto.",
        "Do que cada cliente precisava, o que fizemos e o que resultou disso.",
    ),
    "meta_home": (
        "{name} — {industry_lower} em {city}: {services}. Ligue ou escreva hoje mesmo.",
        "{name} oferece {services} em {city}. Entre em contato e agende.",
    ),
}

LABELS: dict[str, str] = {
    "skip_link": "Pular para o conteúdo",
    "menu": "Menu principal",
    "at_a_glance": "Em resumo",
    "where": "Onde",
    "phone": "Telefone",
    "email": "E-mail",
    "address": "Endereço",
    "hours": "Horário de funcionamento",
    "pages": "Páginas",
    "contact": "Contato",
    "follow": "Siga-nos",
    "rights": "Todos os direitos reservados.",
    "not_found": "Desculpe, não encontramos esta página.",
    "challenge": "O desafio",
    "approach": "Nossa abordagem",
    "outcome": "O resultado",
    "popular": "Recomendado",
    "includes": "O que está incluído",
    "client": "Cliente",
}

NAV: dict[str, str] = {
    "home": "Início",
    "about": "Sobre",
    "services": "Serviços",
    "faq": "Dúvidas",
    "contact": "Contato",
    "features": "Recursos",
    "pricing": "Preços",
    "work": "Trabalhos",
    "case-studies": "Estudos de caso",
}

PAGE_HERO: dict[str, tuple[str, str]] = {
    "about": ("Sobre {name}", "{first_sentence}"),
    "services": ("Serviços", "{services_sentence}"),
    "faq": (
        "Perguntas frequentes",
        "Respostas diretas sobre {name}, nossos serviços e como falar com a gente.",
    ),
    "contact": ("Fale com {name}", "Telefone ou e-mail — fale com a gente como preferir."),
    "features": ("Recursos", "O que {name} faz, e como ajuda."),
    "pricing": ("Preços", "Quanto custa, e o que cada plano inclui."),
    "work": ("Trabalhos", "Projetos selecionados — {name}."),
    "case-studies": ("Estudos de caso", "Como o trabalho é feito, contado por projetos reais."),
}

WORDS: dict[str, str] = {
    "and": "e",
    "call": "Ligar {phone}",
    "email": "Enviar e-mail",
    "in_city": "em {city}",
    "services_count": "{count} serviços para você escolher",
    "services_count_one": "Um serviço, feito com cuidado",
    "services_sentence": "{name} oferece {services} em {city}.",
    "hours_highlight": "Aberto {hours}",
    "city_highlight": "Com orgulho em {city}",
    "testimonial_highlight": "Recomendado por nossos clientes",
    "meta_page": "{heading} — {name}, {industry_lower} em {city}.",
    "hours_sentence": "Funcionamos {hours}.",
    "no_hours": "Ligue para {phone} e combinamos um horário.",
    "location_address": "em {address}, {city}",
    "visit": ", ou venha nos visitar em {address}",
    "location_city": "em {city}",
    "brief_title": "Briefing criativo",
    "voice": "Voz {tone}: {adjectives}.",
}

# Frases que combinam com o que o modelo vende (um produto, o trabalho de um estúdio)
# melhor do que as do tom, escritas para um negócio local.
TEMPLATE_TONE: dict[str, dict[str, tuple[str, ...]]] = {
    "saas": {
        "cta": ("Começar agora", "Comece já", "Fale com a gente"),
        "hero_close": (
            "{name} reúne {services} num só lugar.",
            "Tudo num só lugar: {services}.",
        ),
    },
    "portfolio": {"cta": ("Comece um projeto", "Converse sobre seu projeto", "Fale com a gente")},
}

# Para negócios sem endereço para visitar ('Remoto', 'Online'): palavras que não citam um.
PLACELESS_WORDS: dict[str, str] = {
    "location_address": "em {address}",
    "in_city": "online",
    "city_highlight": "Atendendo clientes onde eles estiverem",
    "goal_local": "Ser encontrado por quem procura {industry_lower}",
}

TONE_ADJECTIVES: dict[Tone, str] = {
    Tone.FRIENDLY: "acolhedora, próxima, simples",
    Tone.PROFESSIONAL: "confiante, precisa, tranquilizadora",
    Tone.PLAYFUL: "leve, animada, bem-humorada",
    Tone.LUXURY: "refinada, discreta, exclusiva",
    Tone.TECHNICAL: "exata, baseada em evidências, sem jargão à toa",
}

FAQ_TEMPLATES: tuple[tuple[str, str], ...] = (
    (
        "Onde fica {name}?",
        "Estamos {location}. Ligue para {phone} se precisar de ajuda para chegar.",
    ),
    ("Qual é o horário de funcionamento?", "{hours_sentence}"),
    ("Como faço para agendar ou pedir orçamento?", "Ligue para {phone} ou escreva para {email}."),
    ("Quais serviços vocês oferecem?", "{services_sentence}"),
)

BRIEF: dict[str, str] = {
    "business": "Negócio",
    "audience": "Público",
    "pains": "Dores do público",
    "goals": "Objetivos",
    "messages": "Mensagens-chave",
    "voice": "Voz e tom",
    "pages": "Páginas",
    "ctas": "Chamadas para ação",
    "goal_contact": "Transformar visitas em ligações e e-mails para {name}",
    "goal_services": "Apresentar {count} serviços com clareza suficiente para a escolha",
    "goal_trust": "Gerar confiança com {proof}",
    "goal_local": "Aparecer nas buscas locais em {city}",
    "proof_testimonials": "depoimentos reais de clientes",
    "proof_facts": "fatos concretos sobre o negócio",
}
