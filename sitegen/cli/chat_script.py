"""A short scripted client for the discovery conversation: what `sitegen demo --chat` says,
in English or Portuguese (the tests use the same lines)."""

from __future__ import annotations

from enum import StrEnum


class ChatLocale(StrEnum):
    EN = "en"
    PT_BR = "pt-BR"


SCRIPTS: dict[str, list[str]] = {
    "en": [
        "Hi! I run Sunflower Café, a small family café in Brighton.",
        "Our customers are locals, families and visitors to the seafront. They are tired of "
        "crowded chain cafés and nowhere to sit with a pushchair.",
        "All-day breakfast from £8.50, homemade cakes, private hire for birthdays",
        "Friendly and warm please, with yellow and dark green colours.",
        "About, services and contact pages. Phone 01273 960 123, hello@sunflowercafe.co.uk",
    ],
    "pt-BR": [
        "Olá! Tenho a Padaria Pão & Afeto, somos uma padaria artesanal em São Paulo.",
        "Nossos clientes são famílias e vizinhos de Pinheiros. Eles estão cansados de pão "
        "industrializado sem sabor.",
        "Pães de fermentação natural a partir de R$ 18, cestas de café da manhã por R$ 149 e "
        "bolos por encomenda",
        "Acolhedor, com as cores terracota e amarelo",
        "Sobre, serviços e contato. Telefone (11) 3456-7890, email ola@paoeafeto.com.br",
    ],
}
