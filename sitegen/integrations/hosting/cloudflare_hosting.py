"""CloudflareHosting: the Hosting port on Cloudflare Pages (one project per site) and DNS.

Addresses are those of ``SiteAddresses`` (``https``, no port), each a proxied CNAME in the
zone (``SITEGEN_CLOUDFLARE_ZONE_ID``) and a custom domain of the site's Pages project:

- preview ``{subdomain}.{preview_domain}`` -> the current deployment's own host;
- version ``{subdomain}--v{n}.{preview_domain}`` -> one deployment's host, never changed;
- production ``{subdomain}.{production_domain}`` -> the published deployment's host.

Every Pages deployment has its own immutable host ``{short_id}.{project}.pages.dev``, so
"activate", "pin" and "publish" are each a DNS edit (PATCH, in place), and a rollback is too
(Pages itself can only roll back production deployments). Deployments all go on the preview
branch: the port's ``activate=False`` covers both versioned previews and production builds, and
the production address is chosen by its record, not by Pages' production branch.

Each site also has a state record, TXT ``_sitegen.{site}.{preview_domain}``: the deployment
the preview serves (``current``) and whether it was taken down. It is written last, like
LocalHosting's meta file: a deploy retried after a crash re-does the DNS edits, and a replayed
old deploy never rolls the preview back (it only activates a deployment newer than current).

``take_down`` removes the preview and version records and custom domains; production, the
project and every deployment stay, and later deploys do not bring the preview back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from cloudflare import AsyncCloudflare

from sitegen.integrations.hosting.base import (
    DeployError,
    Deployment,
    HostingError,
    InvalidSiteName,
    SiteAddresses,
    SubdomainRecord,
    SubdomainTaken,
    VersionPinned,
    validate_label,
    validate_subdomain,
)
from sitegen.integrations.hosting.cloudflare_dns import DnsRecord, Role, Zone, comment_for, owner_of
from sitegen.integrations.hosting.cloudflare_pages import (
    Pages,
    PagesDeployment,
    Project,
    validate_deploy_id,
)

if TYPE_CHECKING:
    from sitegen.settings import Settings

log = structlog.get_logger()


@dataclass(frozen=True)
class SiteState:
    current: str | None = None  # deploy id the preview serves
    host: str | None = None  # that deployment's own host
    taken_down: bool = False

    def text(self) -> str:
        return (f'"sitegen current={self.current or "-"} host={self.host or "-"} '
                f'down={int(self.taken_down)}"')  # fmt: skip

    @staticmethod
    def parse(text: str) -> SiteState:
        fields = dict(p.split("=", 1) for p in text.strip('"').split() if "=" in p)

        def value(key: str) -> str | None:
            v = fields.get(key)
            return None if v in (None, "-") else v

        return SiteState(value("current"), value("host"), fields.get("down") == "1")


class CloudflareHosting:
    def __init__(
        self, client: AsyncCloudflare, account_id: str, zone_id: str, addresses: SiteAddresses
    ) -> None:
        self.pages = Pages(client, account_id)
        self.zone = Zone(client, zone_id)
        self.addresses = addresses
        # Serialises this worker's changes to one site; across workers, the DNS lookups before
        # every create and the state record written last keep retries and races safe.
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, site: str) -> asyncio.Lock:
        return self._locks.setdefault(site, asyncio.Lock())

    # -- the site's state record ---------------------------------------------------------
    def _state_name(self, site: str) -> str:
        return f"_sitegen.{site}.{self.addresses.preview_domain}"

    async def _state_record(self, site: str) -> DnsRecord | None:
        for record in await self.zone.by_name(self._state_name(site)):
            if record.type == "TXT" and record.comment == comment_for(site, "state"):
                return record
        return None

    async def _state(self, site: str) -> SiteState | None:
        record = await self._state_record(site)
        return SiteState.parse(record.content) if record else None

    async def _write_state(self, site: str, state: SiteState) -> None:
        record = await self._state_record(site)
        if record is None:
            await self.zone.create(
                self._state_name(site), "TXT", state.text(), comment_for(site, "state")
            )
        elif SiteState.parse(record.content) != state:
            await self.zone.set_content(record, state.text())

    # -- hostnames -----------------------------------------------------------------------
    async def _point(
        self, site: str, project: Project, hostname: str, role: Role, target: str
    ) -> tuple[DnsRecord, bool]:
        """The CNAME ``hostname`` -> ``target`` for ``site``, made or moved in place.

        Returns the record as it was found (or made) and whether this call changed DNS.
        """
        found = await self.zone.by_name(hostname)
        mine = [r for r in found if r.comment == comment_for(site, role) and r.type == "CNAME"]
        if found and not mine:
            owner = next((owner_of(r) for r in found if owner_of(r)), None)
            raise SubdomainTaken(
                f"{hostname!r} belongs to another site" if owner and owner != site
                else f"{hostname!r} already has DNS records sitegen did not make"
            )  # fmt: skip
        changed = False
        if not mine:
            record = await self.zone.create(hostname, "CNAME", target, comment_for(site, role))
            changed = True
        else:
            record = mine[0]
        if record.content != target:
            if role == "version":  # a version address never moves
                raise VersionPinned(f"{hostname!r} already serves another deploy")
            record = await self.zone.set_content(record, target)
            changed = True
        await self.pages.attach_domain(project, hostname)
        return record, changed

    async def _claim(self, site: str, project: Project, subdomain: str) -> bool:
        """The preview address of ``subdomain`` is ``site``'s (made if absent)."""
        if subdomain != site and await self._state_record(subdomain) is not None:
            raise SubdomainTaken(f"{subdomain!r} is the name of another site")
        state = await self._state(site) or SiteState()
        hostname = self.addresses.preview_host(subdomain)
        if state.taken_down:
            return False  # a cancelled site's preview stays down
        # Before the first deploy, the project's own pages.dev host (which serves nothing).
        target = state.host or project.subdomain
        _, changed = await self._point(site, project, hostname, "preview", target)
        return changed

    async def _activate(self, site: str, project: Project, deployment: PagesDeployment) -> None:
        state = await self._state(site) or SiteState()
        if not state.taken_down:
            for record in await self.zone.by_comment(site, "preview"):
                if record.content != deployment.host:
                    await self.zone.set_content(record, deployment.host)
        await self._write_state(site, SiteState(deployment.id, deployment.host, state.taken_down))

    # -- the port ------------------------------------------------------------------------
    async def deploy(
        self, site: str, source_dir: Path, deploy_key: str, *, activate: bool = True
    ) -> Deployment:
        """Upload a build as a new deployment; ``url`` is that deployment's own address."""
        validate_label(site)
        if not deploy_key:
            raise ValueError("deploy_key must not be empty")
        async with self._lock(site):
            project = await self.pages.ensure_project(site)
            deployment = await self.pages.find_deployment(project, deploy_key)
            created = deployment is None
            if deployment is None:
                deployment = await self.pages.create_deployment(
                    project, source_dir, deploy_key, activate
                )
            # Like LocalHosting's meta file: the first attempt's `activate` is what counts.
            if deployment.activate and (
                created or await self._newer_than_current(site, project, deployment)
            ):
                await self._activate(site, project, deployment)
                created = True
        log.info("hosting.deploy", site=site, deploy_id=deployment.id, created=created,
                 activate=activate)  # fmt: skip
        return Deployment(site, deployment.id, deployment.url, created)

    async def _newer_than_current(
        self, site: str, project: Project, deployment: PagesDeployment
    ) -> bool:
        """A found deployment is activated only if an earlier attempt died before doing it."""
        state = await self._state(site)
        if state is None or state.current is None:
            return True
        if state.current == deployment.id:
            return False
        try:
            current = await self.pages.get_deployment(project, state.current)
        except DeployError:  # deleted by hand since: nothing to roll back to
            return True
        return deployment.created_on > current.created_on

    async def activate(self, site: str, deploy_id: str) -> None:
        """Make an existing deployment the one the preview serves (operator rollback)."""
        validate_label(site)
        validate_deploy_id(deploy_id)
        async with self._lock(site):
            project = await self.pages.require_project(site)
            deployment = await self.pages.get_deployment(project, deploy_id)
            await self._activate(site, project, deployment)

    async def current(self, site: str) -> str | None:
        validate_label(site)
        state = await self._state(site)
        return state.current if state else None

    async def ensure_subdomain(self, site: str, subdomain: str) -> SubdomainRecord:
        validate_label(site)
        validate_subdomain(subdomain)
        async with self._lock(site):
            project = await self.pages.ensure_project(site)
            created = await self._claim(site, project, subdomain)
        hostname = self.addresses.preview_host(subdomain)
        log.info("hosting.subdomain", site=site, hostname=hostname, created=created)
        return SubdomainRecord(hostname, self.addresses.preview(subdomain), created)

    async def pin_version(
        self, site: str, subdomain: str, version: int, deploy_id: str
    ) -> SubdomainRecord:
        validate_label(site)
        validate_subdomain(subdomain)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidSiteName(f"invalid version {version!r}: versions start at 1")
        validate_label(f"{subdomain}--v{version}", "version label")
        validate_deploy_id(deploy_id)
        hostname = self.addresses.version_host(subdomain, version)
        async with self._lock(site):
            project = await self.pages.require_project(site)
            deployment = await self.pages.get_deployment(project, deploy_id)
            await self._claim(site, project, subdomain)
            state = await self._state(site)
            created = False
            if not (state and state.taken_down):  # a cancelled site gets no new addresses
                _, created = await self._point(site, project, hostname, "version", deployment.host)
        log.info("hosting.pin_version", site=site, hostname=hostname, deploy_id=deploy_id,
                 created=created)  # fmt: skip
        return SubdomainRecord(hostname, self.addresses.version(subdomain, version), created)

    async def publish_production(
        self, site: str, subdomain: str, deploy_id: str
    ) -> SubdomainRecord:
        validate_label(site)
        validate_subdomain(subdomain)
        validate_deploy_id(deploy_id)
        hostname = self.addresses.production_host(subdomain)
        async with self._lock(site):
            project = await self.pages.require_project(site)
            deployment = await self.pages.get_deployment(project, deploy_id)
            await self._claim(site, project, subdomain)
            _, created = await self._point(site, project, hostname, "production", deployment.host)
        log.info("hosting.publish_production", site=site, hostname=hostname,
                 deploy_id=deploy_id, created=created)  # fmt: skip
        return SubdomainRecord(hostname, self.addresses.production(subdomain), created)

    def production_url(self, subdomain: str) -> str:
        return self.addresses.production(validate_label(subdomain, "subdomain"))

    async def take_down(self, site: str) -> bool:
        """Preview and version addresses stop resolving; production and deployments stay."""
        validate_label(site)
        async with self._lock(site):
            state = await self._state(site)
            if state is None or state.taken_down:
                changed = False
            else:
                project = await self.pages.require_project(site)
                roles: tuple[Role, ...] = ("preview", "version")
                for role in roles:
                    for record in await self.zone.by_comment(site, role):
                        await self.pages.detach_domain(project, record.name)
                        await self.zone.delete(record)
                # Last: a take-down that dies half-way is retried in full.
                await self._write_state(site, SiteState(state.current, state.host, taken_down=True))
                changed = True
        log.info("hosting.take_down", site=site, changed=changed)
        return changed


class CloudflareMisconfigured(HostingError):
    """A setting the adapter needs is missing: the worker stops at start, naming it."""


def cloudflare_hosting_from_settings(settings: Settings) -> CloudflareHosting:
    """Built once per worker: one SDK client, ``max_retries=0`` (Temporal owns retries)."""
    missing = [
        f"SITEGEN_CLOUDFLARE_{name.upper()}"
        for name, value in [
            ("api_token", settings.cloudflare_api_token),
            ("account_id", settings.cloudflare_account_id),
            ("zone_id", settings.cloudflare_zone_id),
        ]
        if not value
    ]
    if missing:
        raise CloudflareMisconfigured(f"hosting on Cloudflare needs {', '.join(missing)}")
    assert settings.cloudflare_api_token and settings.cloudflare_account_id
    assert settings.cloudflare_zone_id
    client = AsyncCloudflare(
        api_token=settings.cloudflare_api_token.get_secret_value(),
        base_url=settings.cloudflare_api_url,
        max_retries=0,
        timeout=settings.cloudflare_timeout_seconds,
    )
    return CloudflareHosting(
        client, settings.cloudflare_account_id, settings.cloudflare_zone_id, settings.addresses
    )
