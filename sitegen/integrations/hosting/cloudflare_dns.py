"""DNS records in the agency's zone, through the `cloudflare` SDK (``dns.records``).

Every record sitegen makes carries a comment ``sitegen:{site}:{role}``; that comment is how a
hostname's owner is known, so a record without it (made by hand) is never changed or deleted,
and another site's record is ``SubdomainTaken``. A record is looked up by name before it is
made, so a retry finds the one an earlier attempt made (also when Cloudflare's answer was lost),
and a create that loses a race to another worker finds the winner's. A record whose target
changes is edited in place (PATCH): same id, never a second record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import cloudflare
from cloudflare import AsyncCloudflare

from sitegen.integrations.hosting.cloudflare_errors import (
    ZONE_SETTING,
    call,
    error_codes,
    translate,
)

Role = Literal["preview", "version", "production", "state"]
# "A record with the same name already exists" (CNAME), "an identical record already exists".
_EXISTS_CODES = frozenset({81053, 81057, 81058})


@dataclass(frozen=True)
class DnsRecord:
    id: str
    name: str
    type: str
    content: str
    comment: str


def comment_for(site: str, role: Role) -> str:
    return f"sitegen:{site}:{role}"


def owner_of(record: DnsRecord) -> str | None:
    """The site a record belongs to, or None for a record sitegen did not make."""
    parts = record.comment.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "sitegen" else None


def _record(raw: Any) -> DnsRecord:
    return DnsRecord(
        id=raw.id,
        name=str(raw.name).rstrip(".").lower(),
        type=str(raw.type),
        content=str(raw.content or "").rstrip(".").lower() if raw.type == "CNAME" else
        str(raw.content or ""),
        comment=str(raw.comment or ""),
    )  # fmt: skip


class Zone:
    def __init__(self, client: AsyncCloudflare, zone_id: str) -> None:
        self.client = client
        self.zone_id = zone_id

    async def _list(self, **filters: Any) -> list[DnsRecord]:
        async def collect() -> list[DnsRecord]:
            pages = self.client.dns.records.list(zone_id=self.zone_id, **filters)
            return [_record(raw) async for raw in pages]

        return await call("list DNS records", ZONE_SETTING, collect)

    async def by_name(self, name: str) -> list[DnsRecord]:
        return await self._list(name={"exact": name})

    async def by_comment(self, site: str, role: Role) -> list[DnsRecord]:
        # Comment filters are case-insensitive; site names are lowercase, so the check is exact.
        wanted = comment_for(site, role)
        found = await self._list(comment={"exact": wanted})
        return [r for r in found if r.comment == wanted]

    async def create(
        self, name: str, type: Literal["CNAME", "TXT"], content: str, comment: str
    ) -> DnsRecord:
        records = self.client.dns.records
        try:
            if type == "CNAME":
                raw: Any = await records.create(
                    zone_id=self.zone_id, name=name, type="CNAME", content=content,
                    proxied=True, ttl=1, comment=comment,
                )  # fmt: skip
            else:
                raw = await records.create(
                    zone_id=self.zone_id, name=name, type="TXT", content=content,
                    ttl=1, comment=comment,
                )  # fmt: skip
        except cloudflare.APIStatusError as error:
            if set(error_codes(error)) & _EXISTS_CODES:
                existing = [r for r in await self.by_name(name) if r.type == type]
                if existing:
                    return existing[0]
            raise translate(error, f"create DNS record {name}", ZONE_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, f"create DNS record {name}", ZONE_SETTING) from None
        return _record(raw)

    async def set_content(self, record: DnsRecord, content: str) -> DnsRecord:
        """Edit in place (PATCH): the record keeps its id."""
        records = self.client.dns.records
        try:
            if record.type == "CNAME":
                raw: Any = await records.edit(
                    record.id, zone_id=self.zone_id, name=record.name, type="CNAME",
                    content=content, proxied=True, ttl=1,
                )  # fmt: skip
            else:
                raw = await records.edit(
                    record.id, zone_id=self.zone_id, name=record.name, type="TXT",
                    content=content, ttl=1,
                )  # fmt: skip
        except cloudflare.CloudflareError as error:
            raise translate(error, f"update DNS record {record.name}", ZONE_SETTING) from None
        return _record(raw)

    async def delete(self, record: DnsRecord) -> None:
        try:
            await self.client.dns.records.delete(record.id, zone_id=self.zone_id)
        except cloudflare.APIStatusError as error:
            if error.status_code == 404 and not set(error_codes(error)) - {81044}:
                return  # already gone (81044: record not found): a retried take-down
            raise translate(error, f"delete DNS record {record.name}", ZONE_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, f"delete DNS record {record.name}", ZONE_SETTING) from None
