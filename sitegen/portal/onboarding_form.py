"""The onboarding form as HTML fields and back: field names are the API's own error paths
(`business.name`, `services.0.price`), so a 422 from the API lands beside the field it names.

Repeated groups (services, testimonials, ...) come back as `group.N.field`; rows left empty
are dropped and the rest renumbered, and the form is shown again from what was kept, so an
error's index always names the row on the screen."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# One value per line in a textarea.
LINE_LISTS = frozenset({"audience.pains", "seo_keywords", "plans.*.features"})
CHECKBOXES = frozenset({"plans.*.highlighted"})
NUMBERS = frozenset({"projects.*.year", "projects.*.image"})
# Groups of rows, the fields of each row, and how many rows an empty form shows.
GROUPS: dict[str, tuple[tuple[str, ...], int]] = {
    "business.opening_hours": (("days", "hours"), 2),
    "services": (("name", "description", "price"), 3),
    "testimonials": (("author", "quote", "role"), 1),
    "faq": (("question", "answer"), 1),
    "plans": (("name", "price", "period", "description", "features", "highlighted"), 1),
    "projects": (
        ("title", "client", "year", "summary", "challenge", "approach", "outcome", "image"),
        1,
    ),
    "assets": (("kind", "storage_key", "url", "alt"), 0),
}
# Text fields outside the groups, in the order the form shows them.
SINGLE_FIELDS = (
    "business.name",
    "business.tagline",
    "business.description",
    "business.industry",
    "business.city",
    "business.region",
    "business.country",
    "business.phone",
    "business.email",
    "business.address",
    "business.social.instagram",
    "business.social.facebook",
    "business.social.linkedin",
    "business.social.youtube",
    "business.social.tiktok",
    "business.social.x",
    "business.social.whatsapp",
    "audience.description",
    "audience.pains",
    "style.primary_color",
    "style.secondary_color",
    "style.tone",
    "style.font",
    "subdomain",
    "seo_keywords",
    "locale",
)
MAX_ROWS = 20
_ROW = re.compile(r"[0-9]{1,2}")  # ASCII digits only: `²` is a digit to str.isdigit
_NUMBER = re.compile(r"-?[0-9]{1,6}")
# Fields the form carries hidden (an uploaded image's key): an error there is no one's to fix
# on the screen, so it goes to the summary.
HIDDEN = frozenset({"assets.*.kind", "assets.*.storage_key", "assets.*.url"})


def _pattern(name: str) -> str:
    parts = name.split(".")
    return ".".join("*" if _ROW.fullmatch(p) else p for p in parts)


def _value(name: str, raw: str) -> Any:
    kind = _pattern(name)
    if kind in LINE_LISTS:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if kind in CHECKBOXES:
        return True
    if kind in NUMBERS:
        # Not a number: sent as typed, so the API names the field and the reason.
        return int(raw.strip()) if _NUMBER.fullmatch(raw.strip()) else raw
    return raw


def _set(tree: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def to_onboarding(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The API's JSON from posted fields. Empty fields are left out (the API says which are
    required); `pages` may repeat (checkboxes)."""
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    pages: list[str] = []
    for name, raw in fields:
        if name == "pages":
            pages.append(raw)
            continue
        if not raw.strip() or name == "csrf":
            continue
        group = next((g for g in GROUPS if name.startswith(g + ".")), None)
        if group is not None:
            index, _, field = name[len(group) + 1 :].partition(".")
            if _ROW.fullmatch(index) and int(index) < MAX_ROWS and field in GROUPS[group][0]:
                rows.setdefault(group, {}).setdefault(int(index), {})[field] = _value(name, raw)
            continue
        if name in SINGLE_FIELDS:
            _set(data, name.split("."), _value(name, raw))
    for group, by_index in rows.items():
        kept = [row for _, row in sorted(by_index.items()) if row]
        _set(data, group.split("."), kept)
    if pages:
        data["pages"] = pages
    return data


def to_fields(data: dict[str, Any]) -> dict[str, str]:
    """Flat field values for showing a form again: the inverse of `to_onboarding`."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, list) and _pattern(prefix) in LINE_LISTS:
            out[prefix] = "\n".join(str(v) for v in value)
        elif isinstance(value, list) and prefix != "pages":
            for i, item in enumerate(value):
                walk(f"{prefix}.{i}", item)
        elif value is True:
            out[prefix] = "on"
        elif value is not None and value is not False and prefix != "pages":
            out[prefix] = str(value)

    walk("", data)
    return out


def row_count(group: str, data: dict[str, Any]) -> int:
    """Rows to show: what the client has, and one empty row to add another."""
    node: Any = data
    for key in group.split("."):
        node = node.get(key, {}) if isinstance(node, dict) else {}
    filled = len(node) if isinstance(node, list) else 0
    return min(MAX_ROWS, max(GROUPS[group][1], filled + 1 if group != "assets" else filled))


@dataclass(frozen=True)
class FieldErrors:
    """The API's 422 as a message per field; what names no field on the form is general."""

    by_field: dict[str, str]
    general: list[tuple[str, str]]

    @classmethod
    def from_api(cls, errors: list[dict[str, str]], shown: set[str]) -> FieldErrors:
        by_field: dict[str, str] = {}
        general: list[tuple[str, str]] = []
        for error in errors:
            field, reason = error.get("field", ""), error.get("reason", "")
            reason = reason.removeprefix("Value error, ")  # pydantic's, not the client's words
            # `audience.pains.2` is a line of the `audience.pains` box.
            parts = field.split(".")
            while parts and (".".join(parts) not in shown or _pattern(".".join(parts)) in HIDDEN):
                parts.pop()
            target = ".".join(parts)
            if target and target not in by_field:
                by_field[target] = reason
            else:
                general.append((field, reason))
        return cls(by_field, general)
