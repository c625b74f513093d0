"""The portal's words in English and Brazilian Portuguese (the locales the onboarding form
offers). Every key has both; a test checks it."""

from __future__ import annotations

from typing import Any

LOCALES = ("en", "pt-BR")

# key: (English, Portuguese)
_TEXT: dict[str, tuple[str, str]] = {
    "brand": ("sitegen", "sitegen"),
    "skip": ("Skip to content", "Ir para o conteúdo"),
    "nav": ("Account", "Conta"),
    "sign_in": ("Sign in", "Entrar"),
    "sign_out": ("Sign out", "Sair"),
    "email": ("E-mail", "E-mail"),
    "password": ("Password", "Senha"),
    "new_password": ("Choose a password", "Escolha uma senha"),
    "password_hint": ("At least 12 characters.", "Pelo menos 12 caracteres."),
    "sign_in_failed": ("The e-mail or the password is wrong.", "E-mail ou senha incorretos."),
    "too_many": (
        "Too many attempts. Wait a minute and try again.",
        "Tentativas demais. Espere um minuto e tente de novo.",
    ),
    "welcome": ("Welcome", "Boas-vindas"),
    "start_intro": (
        "Create your account to tell us about your business. You will follow your site "
        "being built, ask for changes and approve it here.",
        "Crie sua conta para nos contar sobre o seu negócio. Aqui você acompanha a criação "
        "do site, pede ajustes e aprova.",
    ),
    "start_sign_in": (
        "Your account exists: sign in to continue.",
        "Sua conta já existe: entre para continuar.",
    ),
    "create_account": ("Create account", "Criar conta"),
    "link_invalid": (
        "This link is not valid. Check it, or ask the agency for a new one.",
        "Este link não é válido. Confira-o ou peça um novo à agência.",
    ),
    "link_expired": (
        "This link has expired: ask the agency for a new one.",
        "Este link expirou: peça um novo à agência.",
    ),
    "not_found": ("This page does not exist.", "Esta página não existe."),
    "forbidden": (
        "This form expired or came from elsewhere. Reload the page and try again.",
        "Este formulário expirou ou veio de outro lugar. Recarregue a página e tente de novo.",
    ),
    "unavailable": (
        "We cannot do that just now. Try again in a minute.",
        "Não conseguimos fazer isso agora. Tente de novo em um minuto.",
    ),
    "not_allowed": ("You may not do this.", "Você não pode fazer isso."),
    "error_title": ("Something went wrong", "Algo deu errado"),
    "back_home": ("Back to your projects", "Voltar aos seus projetos"),
    "your_projects": ("Your projects", "Seus projetos"),
    "no_projects": ("No projects yet.", "Nenhum projeto ainda."),
    # The onboarding form
    "form_title": ("Tell us about your business", "Conte-nos sobre o seu negócio"),
    "form_intro": (
        "Fields marked required must be filled in. Your draft is kept in this browser "
        "until you send it.",
        "Os campos marcados como obrigatórios devem ser preenchidos. O rascunho fica "
        "guardado neste navegador até você enviar.",
    ),
    "required": ("required", "obrigatório"),
    "errors_title": ("Please correct these fields", "Corrija estes campos"),
    "save_draft": ("Save draft", "Salvar rascunho"),
    "draft_saved": ("Draft saved in this browser.", "Rascunho salvo neste navegador."),
    "send_form": ("Send and build my site", "Enviar e criar meu site"),
    "form_closed": (
        "The form is closed: your site is being built. Ask for changes on your project page.",
        "O formulário está fechado: seu site está sendo criado. Peça ajustes na página do projeto.",
    ),
    "add_row": ("Add another", "Adicionar outro"),
    "section_business": ("Your business", "Seu negócio"),
    "section_social": ("Social media", "Redes sociais"),
    "section_hours": ("Opening hours", "Horário de funcionamento"),
    "section_audience": ("Your customers", "Seus clientes"),
    "section_services": ("Services", "Serviços"),
    "section_pages": ("Pages", "Páginas"),
    "section_style": ("Look and feel", "Visual"),
    "section_images": ("Logo and images", "Logo e imagens"),
    "section_address": ("Site address and search", "Endereço do site e busca"),
    "section_testimonials": ("Testimonials", "Depoimentos"),
    "section_faq": ("Questions and answers", "Perguntas frequentes"),
    "section_plans": ("Price plans", "Planos e preços"),
    "section_projects": ("Your work", "Seus trabalhos"),
    "row": ("{what} {n}", "{what} {n}"),
    "logo": ("Logo", "Logo"),
    "image": ("Image", "Imagem"),
    "alt": ("Describe the image", "Descreva a imagem"),
    "uploaded": ("Uploaded", "Enviada"),
    "one_per_line": ("One per line.", "Um por linha."),
    # Field labels, by the API's field name (rows use `*` for the index).
    "f.locale": ("Language of the site", "Idioma do site"),
    "f.business.name": ("Business name", "Nome do negócio"),
    "f.business.tagline": ("Tagline", "Slogan"),
    "f.business.description": ("What your business does", "O que o seu negócio faz"),
    "f.business.industry": ("Industry", "Ramo de atividade"),
    "f.business.city": ("City", "Cidade"),
    "f.business.region": ("State or region", "Estado ou região"),
    "f.business.country": ("Country code (e.g. GB, BR)", "Código do país (ex.: BR, PT)"),
    "f.business.phone": ("Phone", "Telefone"),
    "f.business.email": ("Public e-mail", "E-mail de contato"),
    "f.business.address": ("Street address", "Endereço"),
    "f.business.social.instagram": ("Instagram", "Instagram"),
    "f.business.social.facebook": ("Facebook", "Facebook"),
    "f.business.social.linkedin": ("LinkedIn", "LinkedIn"),
    "f.business.social.youtube": ("YouTube", "YouTube"),
    "f.business.social.tiktok": ("TikTok", "TikTok"),
    "f.business.social.x": ("X", "X"),
    "f.business.social.whatsapp": ("WhatsApp number", "Número do WhatsApp"),
    "f.business.opening_hours.*.days": ("Days", "Dias"),
    "f.business.opening_hours.*.hours": ("Hours", "Horário"),
    "f.audience.description": ("Who your customers are", "Quem são seus clientes"),
    "f.audience.pains": ("What they need solved", "O que eles precisam resolver"),
    "f.services.*.name": ("Service", "Serviço"),
    "f.services.*.description": ("Description", "Descrição"),
    "f.services.*.price": ("Price", "Preço"),
    "f.new_logo": (
        "Logo file (PNG, JPEG, WebP or GIF)",
        "Arquivo do logo (PNG, JPEG, WebP ou GIF)",
    ),
    "f.new_image.*": (
        "Image file (PNG, JPEG, WebP or GIF)",
        "Arquivo de imagem (PNG, JPEG, WebP ou GIF)",
    ),
    "f.assets.*.alt": ("Description of the image", "Descrição da imagem"),
    "f.pages": ("Pages of the site", "Páginas do site"),
    "f.style.primary_color": ("Main colour", "Cor principal"),
    "f.style.secondary_color": ("Second colour", "Cor secundária"),
    "f.style.tone": ("Tone of the text", "Tom do texto"),
    "f.style.font": ("Font (optional)", "Fonte (opcional)"),
    "f.subdomain": ("Site address", "Endereço do site"),
    "f.seo_keywords": ("Search keywords", "Palavras-chave de busca"),
    "f.testimonials.*.author": ("Who said it", "Quem disse"),
    "f.testimonials.*.quote": ("What they said", "O que disse"),
    "f.testimonials.*.role": ("Their role", "Cargo ou relação"),
    "f.faq.*.question": ("Question", "Pergunta"),
    "f.faq.*.answer": ("Answer", "Resposta"),
    "f.plans.*.name": ("Plan", "Plano"),
    "f.plans.*.price": ("Price", "Preço"),
    "f.plans.*.period": ("Period (e.g. per month)", "Período (ex.: por mês)"),
    "f.plans.*.description": ("Description", "Descrição"),
    "f.plans.*.features": ("What it includes", "O que inclui"),
    "f.plans.*.highlighted": ("Highlight this plan", "Destacar este plano"),
    "f.projects.*.title": ("Title", "Título"),
    "f.projects.*.client": ("Client", "Cliente"),
    "f.projects.*.year": ("Year", "Ano"),
    "f.projects.*.summary": ("Summary", "Resumo"),
    "f.projects.*.challenge": ("The challenge", "O desafio"),
    "f.projects.*.approach": ("The approach", "A abordagem"),
    "f.projects.*.outcome": ("The outcome", "O resultado"),
    "f.projects.*.image": (
        "Picture: the number an uploaded image shows under Logo and images",
        "Imagem: o número que uma imagem enviada mostra em Logo e imagens",
    ),
    "tone.friendly": ("Friendly", "Amigável"),
    "tone.professional": ("Professional", "Profissional"),
    "tone.playful": ("Playful", "Descontraído"),
    "tone.luxury": ("Luxury", "Sofisticado"),
    "tone.technical": ("Technical", "Técnico"),
    "subdomain_hint": (
        "Letters, numbers and hyphens; your preview will live at this name.",
        "Letras, números e hífens; a prévia do site usará este nome.",
    ),
    # The project page
    "project_status": ("Status", "Situação"),
    "status.pending": ("Waiting for your answers", "Aguardando suas respostas"),
    "status.onboarding": ("Checking your answers", "Conferindo suas respostas"),
    "status.generating": ("Building your site", "Criando seu site"),
    "status.preview_ready": ("Your preview is ready", "Sua prévia está pronta"),
    "status.in_review": ("In review", "Em revisão"),
    "status.approved": ("Approved: going live", "Aprovado: publicando"),
    "status.delivered": ("Live", "No ar"),
    "status.cancelled": ("Cancelled", "Cancelado"),
    "status.needs_attention": (
        "Our team is looking at a problem",
        "Nossa equipe está resolvendo um problema",
    ),
    "fill_form": ("Fill in the form", "Preencher o formulário"),
    "progress": ("Progress", "Progresso"),
    "progress_done": ("{percent}% done", "{percent}% concluído"),
    "state.queued": ("waiting", "na fila"),
    "state.running": ("in progress", "em andamento"),
    "state.success": ("done", "concluído"),
    "state.failed": ("stopped", "parado"),
    "state.skipped": ("skipped", "pulado"),
    "state.manual": ("with our team", "com nossa equipe"),
    "step.validate_onboarding": ("Checking your answers", "Conferindo suas respostas"),
    "step.download_assets": ("Preparing your images", "Preparando suas imagens"),
    "step.create_site_spec": ("Planning your site", "Planejando seu site"),
    "step.generate_brief": ("Writing the brief", "Escrevendo o briefing"),
    "step.generate_sitemap": ("Choosing the pages", "Definindo as páginas"),
    "step.generate_content": ("Writing your pages", "Escrevendo suas páginas"),
    "step.provision_repository": ("Setting up the code", "Preparando o código"),
    "step.setup_project_structure": ("Laying out the files", "Organizando os arquivos"),
    "step.generate_layout_plan": ("Designing the layout", "Desenhando o layout"),
    "step.generate_code_patch": ("Building the pages", "Montando as páginas"),
    "step.apply_patch": ("Putting the pages in place", "Aplicando as páginas"),
    "step.build_and_test": ("Testing your site", "Testando seu site"),
    "step.deploy_preview": ("Publishing your preview", "Publicando sua prévia"),
    "step.provision_subdomain": ("Setting up your address", "Configurando seu endereço"),
    "step.notify_client": ("Letting you know", "Avisando você"),
    "step.notify_workspace": ("Telling the team", "Avisando a equipe"),
    "step.generate_fix_patch": ("Fixing a problem found in testing", "Corrigindo um problema"),
    "step.generate_revision_patch": ("Making your changes", "Fazendo seus ajustes"),
    "step.revise_plan": ("Revising the plan", "Revisando o plano"),
    "step.restore_version": ("Restoring a version", "Restaurando uma versão"),
    "step.merge_to_main": ("Preparing delivery", "Preparando a entrega"),
    "step.build_production": ("Building the final site", "Gerando o site final"),
    "step.deploy_production": ("Going live", "Publicando"),
    "steps_detail": ("Each step", "Cada etapa"),
    "live_updates": ("This list updates by itself.", "Esta lista se atualiza sozinha."),
    "preview": ("Your preview", "Sua prévia"),
    "preview_frame": ("Preview of your site", "Prévia do seu site"),
    "open_preview": ("Open the preview in a new tab", "Abrir a prévia em uma nova aba"),
    "design_links": ("What the site is built from:", "Do que o site é feito:"),
    "style_guide": ("the style guide", "o guia de estilo"),
    "wireframe": ("the wireframe", "o wireframe"),
    "live_site": ("Your live site", "Seu site no ar"),
    "versions": ("Versions", "Versões"),
    "version_n": ("Version {n}", "Versão {n}"),
    "current": ("current", "atual"),
    "revisions": ("Changes", "Ajustes"),
    "revision_ask": ("Ask for a change", "Pedir um ajuste"),
    "revision_message": ("What should change?", "O que deve mudar?"),
    "revision_pages": ("Which pages (optional)", "Quais páginas (opcional)"),
    "revision_send": ("Send the request", "Enviar o pedido"),
    "revision_none": ("No changes asked for yet.", "Nenhum ajuste pedido ainda."),
    "rev.pending": ("waiting", "na fila"),
    "rev.processing": ("being made", "em andamento"),
    "rev.applied": ("done", "feito"),
    "rev.rejected": ("not possible", "não foi possível"),
    "plan": ("The plan of your site", "O plano do seu site"),
    "plan_intro": (
        "Before we build, check the pages we plan. Approve, or say what to change.",
        "Antes de criar, confira as páginas planejadas. Aprove ou diga o que mudar.",
    ),
    "plan_approve": ("Approve the plan", "Aprovar o plano"),
    "plan_change": ("Ask for a change to the plan", "Pedir ajuste no plano"),
    "your_name": ("Your name", "Seu nome"),
    "approve": ("Approve and publish", "Aprovar e publicar"),
    "approve_intro": (
        "Happy with the preview? Approve it and we publish your site.",
        "Gostou da prévia? Aprove e nós publicamos o seu site.",
    ),
    "approve_note": ("A note (optional)", "Um recado (opcional)"),
    "notice.revision": (
        "Your request is in the queue. This page shows when it is done.",
        "Seu pedido está na fila. Esta página mostra quando estiver pronto.",
    ),
    "notice.approved": (
        "Thank you! Your site is being published.",
        "Obrigado! Seu site está sendo publicado.",
    ),
    "notice.plan": ("Thank you, noted.", "Obrigado, anotado."),
    "notice.sent": ("Thank you! We are building your site.", "Obrigado! Estamos criando seu site."),
    "notice.done": ("Done.", "Feito."),
}


def pick_locale(asked: str | None, cookie: str | None, accept_language: str) -> str:
    for choice in (asked, cookie):
        if choice in LOCALES:
            return choice
    return "pt-BR" if accept_language.lower().startswith("pt") else "en"


def text(locale: str, key: str, **values: Any) -> str:
    english, portuguese = _TEXT[key]
    words = portuguese if locale == "pt-BR" else english
    return words.format(**values) if values else words


def has(key: str) -> bool:
    return key in _TEXT


def all_keys() -> frozenset[str]:
    return frozenset(_TEXT)


def both(key: str) -> tuple[str, str]:
    return _TEXT[key]
