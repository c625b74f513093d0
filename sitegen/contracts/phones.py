"""Phone numbers as links: the international form a `tel:` or WhatsApp link needs, from the
number as the client wrote it and the business's country."""

from __future__ import annotations

import phonenumbers

# Where a form gives no country, the site's language is the best guess there is.
COUNTRY_BY_LOCALE = {"pt-BR": "BR"}


def e164(phone: str, country: str | None) -> str | None:
    """`+551134567890` for `(11) 3456-7890` in BR; None when the number cannot be placed
    (no country to read it in, or not a valid number there)."""
    region = None if phone.strip().startswith("+") else country
    if region is None and not phone.strip().startswith("+"):
        return None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):  # possible is not enough: 3456-7890 in BR
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
