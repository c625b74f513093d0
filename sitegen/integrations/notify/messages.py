"""What each notification says: a subject that names what happened, a plain-text body and a
simple HTML alternative, per kind. Client messages speak the project's language (en or
pt-BR); the agency's own are in English, the language of its tools.

Wording only: values come from the outbox row's payload, exactly as the notify activities
wrote it, and every one is HTML-escaped in the HTML part.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

# (subject, paragraphs); {names} are filled from the payload, a missing one reads as "".
Wording = tuple[str, tuple[str, ...]]

CLIENT: dict[str, dict[str, Wording]] = {
    "en": {
        "onboarding_link": (
            "Thank you for your order: tell us about {project}",
            (
                "Hello {customer_name},",
                "Thank you for your order. To build your website we need a few details about "
                "your business: your services, colours, logo and the pages you want. Fill them "
                "in here: {onboarding_url}",
                "The link is yours alone and works until {link_expires}. We start building as "
                "soon as you send the form.",
            ),
        ),
        "preview_ready": (
            "Your website preview is ready: {project}",
            (
                "Hello {customer_name},",
                "The first version of {project} is ready for you to look at: {preview_url}",
                "{missing_assets}",
                "Reply with anything you would like changed, or approve it when you are happy.",
            ),
        ),
        "plan_ready": (
            "The plan for {project} is ready for your sign-off",
            (
                "Hello {customer_name},",
                "We have planned the pages and sections of {project}. Please review the plan "
                "and approve it, or tell us what to change, so we can build the site.",
            ),
        ),
        "revision_applied": (
            "Your change to {project} is live on the preview",
            (
                "Hello {customer_name},",
                "What changed: {summary}",
                "See it here: {preview_url}",
            ),
        ),
        "revision_rejected": (
            "We could not make your change to {project}",
            (
                "Hello {customer_name},",
                "Your change request was not applied: {reason}",
                "The preview is unchanged. Reply and we will sort it out together.",
            ),
        ),
        "review_reminder": (
            "A reminder: the preview of {project} is waiting for you",
            (
                "Hello {customer_name},",
                "The preview of {project} is still waiting for your review: {preview_url}",
                "Ask for changes or approve it whenever you are ready.",
            ),
        ),
        "delivered": (
            "{project} is live",
            (
                "Hello {customer_name},",
                "Your website is published: {production_url}",
                "Thank you for working with us.",
            ),
        ),
    },
    "pt-BR": {
        "onboarding_link": (
            "Obrigado pelo seu pedido: conte-nos sobre {project}",
            (
                "Olá, {customer_name},",
                "Obrigado pelo seu pedido. Para criar o seu site precisamos de alguns dados do "
                "seu negócio: serviços, cores, logotipo e as páginas que deseja. Preencha-os "
                "aqui: {onboarding_url}",
                "O link é só seu e vale até {link_expires}. Começamos a criar assim que "
                "recebermos o formulário.",
            ),
        ),
        "preview_ready": (
            "A prévia do seu site está pronta: {project}",
            (
                "Olá, {customer_name},",
                "A primeira versão de {project} está pronta para você conferir: {preview_url}",
                "{missing_assets}",
                "Responda com o que quiser mudar, ou aprove quando estiver satisfeito.",
            ),
        ),
        "plan_ready": (
            "O plano de {project} está pronto para a sua aprovação",
            (
                "Olá, {customer_name},",
                "Planejamos as páginas e seções de {project}. Revise o plano e aprove, ou diga "
                "o que mudar, para começarmos a construir o site.",
            ),
        ),
        "revision_applied": (
            "A sua alteração em {project} já está na prévia",
            (
                "Olá, {customer_name},",
                "O que mudou: {summary}",
                "Confira aqui: {preview_url}",
            ),
        ),
        "revision_rejected": (
            "Não conseguimos fazer a sua alteração em {project}",
            (
                "Olá, {customer_name},",
                "O seu pedido de alteração não foi aplicado: {reason}",
                "A prévia continua como estava. Responda e resolvemos juntos.",
            ),
        ),
        "review_reminder": (
            "Lembrete: a prévia de {project} está esperando por você",
            (
                "Olá, {customer_name},",
                "A prévia de {project} ainda aguarda a sua revisão: {preview_url}",
                "Peça alterações ou aprove quando puder.",
            ),
        ),
        "delivered": (
            "{project} está no ar",
            (
                "Olá, {customer_name},",
                "O seu site foi publicado: {production_url}",
                "Obrigado por trabalhar conosco.",
            ),
        ),
    },
}

WORKSPACE: dict[str, Wording] = {
    "preview_ready": (
        "Preview ready: {project} ({slug})",
        ("The preview of {project} is live: {preview_url}", "{asset_failures}"),
    ),
    "delivered": (
        "Delivered: {project} ({slug})",
        ("{project} is in production: {production_url}",),
    ),
    "needs_attention": (
        "Needs attention: {project} ({slug}), step {step} failed",
        (
            "Step {step} of {project} failed for good and waits for an operator to retry, "
            "skip or abort it (workflow {workflow_id}).",
            "Error: {error}",
        ),
    ),
    "review_stalled": (
        "Review stalled: {project} ({slug})",
        (
            "The client has not reviewed version {version} of {project} since {since}: "
            "{preview_url}",
        ),
    ),
    "rollback_failed": (
        "Rollback failed: {project} ({slug})",
        ("Rolling {project} back to version {version} failed; the live version is unchanged.",),
    ),
}

GENERIC: dict[str, Wording] = {
    "en": ("Update on {project}: {kind}", ("There is news about {project}: {kind}.",)),
    "pt-BR": ("Novidades sobre {project}: {kind}", ("Há novidades sobre {project}: {kind}.",)),
}

MISSING_ASSETS = {
    "en": "Some of your images could not be used and were left out: {}.",
    "pt-BR": "Algumas das suas imagens não puderam ser usadas e ficaram de fora: {}.",
}

_URL = re.compile(r"https?://[^\s<>\"']+")
_NAME = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    html: str


def _values(kind: str, payload: dict[str, Any], locale: str) -> dict[str, str]:
    values = {k: str(v) for k, v in payload.items() if isinstance(v, str | int | float)}
    values["kind"] = kind.replace("_", " ")
    missing = [str(a) for a in payload.get("missing_assets") or []]
    values["missing_assets"] = MISSING_ASSETS[locale].format(", ".join(missing)) if missing else ""
    failures = payload.get("asset_failures") or []
    values["asset_failures"] = (
        f"{len(failures)} asset(s) could not be used; the pipeline's download_assets step "
        "lists them."
        if failures
        else ""
    )
    return values


def _fill(template: str, values: dict[str, str]) -> str:
    return _NAME.sub(lambda m: values.get(m.group(1), ""), template)


def _html_paragraph(text: str) -> str:
    """Escaped text, its URLs made links (the URL itself escaped into the href)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return f"<p>{''.join(out)}</p>"


def compose(kind: str, payload: dict[str, Any], locale: str | None) -> Content:
    """The message for one outbox row. A client row carries customer_name; the agency's
    carry the slug instead (see activities/notify.py)."""
    client = "customer_name" in payload
    lang = locale if locale in CLIENT else "en"
    if client:
        subject, paragraphs = CLIENT[lang].get(kind) or GENERIC[lang]
    else:
        lang = "en"
        subject, paragraphs = WORKSPACE.get(kind) or GENERIC["en"]
    values = _values(kind, payload, lang)
    filled = [p for p in (_fill(p, values).strip() for p in paragraphs) if p]
    title = _fill(subject, values)
    body = "\n".join(_html_paragraph(p) for p in filled)
    return Content(
        subject=" ".join(title.split()),
        text="\n\n".join(filled) + "\n",
        html=(
            f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
        ),
    )
