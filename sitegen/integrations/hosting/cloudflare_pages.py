"""Pages projects and direct-upload deployments, through the `cloudflare` SDK.

Every call here is in the SDK (``pages.projects``, ``pages.projects.deployments``,
``pages.projects.domains``, ``pages.assets``); nothing goes around it. Asset calls authenticate
with the project's short-lived upload JWT, given to a copy of the client as its token so it is
sent like the API token (never as a per-request header, which the SDK's debug log prints).

A deployment carries its idempotency key as ``commit_hash`` (a digest of the key, 40 hex digits
like a Git SHA) and ``commit_message``; a retried deploy lists the project's deployments and
returns the one with its key instead of uploading again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import cloudflare
import structlog
from cloudflare import AsyncCloudflare

from sitegen.integrations.hosting.base import DeployError
from sitegen.integrations.hosting.cloudflare_errors import (
    ACCOUNT_SETTING,
    ROUTING_CODES,
    CloudflareRejected,
    CloudflareUnavailable,
    call,
    error_codes,
    translate,
)
from sitegen.integrations.hosting.cloudflare_manifest import (
    BuildFiles,
    buckets,
    read_build,
    upload_payload,
)

log = structlog.get_logger()

PREVIEW_BRANCH = "preview"
PRODUCTION_BRANCH = "main"
_BUCKET_BYTES = 40 * 1024 * 1024  # under the 50 MiB request limit, with room for JSON
_BUCKET_FILES = 2000
_UPLOAD_CONCURRENCY = 3
# Pages deployment ids are UUIDs; anything else never reaches a URL path.
_DEPLOY_ID_RE = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_MAX_PROJECT_NAME = 58
_ACTIVATE_MARK = " [preview]"


@dataclass(frozen=True)
class Project:
    name: str
    subdomain: str  # "acme.pages.dev", or "acme-3x9.pages.dev" when the name was taken


@dataclass(frozen=True)
class PagesDeployment:
    id: str
    host: str  # "{short_id}.{project subdomain}": this deployment and nothing else, forever
    url: str
    created_on: datetime
    key_hash: str
    activate: bool  # what the deploy that made it asked for; its retries do the same


def project_name(site: str) -> str:
    """Site names are DNS labels (63); Pages project names stop at 58."""
    if len(site) <= _MAX_PROJECT_NAME:
        return site
    return f"{site[:49]}-{hashlib.sha256(site.encode()).hexdigest()[:8]}"


def key_hash(deploy_key: str) -> str:
    return hashlib.sha256(deploy_key.encode()).hexdigest()[:40]


def validate_deploy_id(deploy_id: str) -> str:
    if not isinstance(deploy_id, str) or not _DEPLOY_ID_RE.fullmatch(deploy_id):
        raise DeployError(f"invalid deploy id {deploy_id!r}")
    return deploy_id


def _deployment(raw: cloudflare.types.pages.Deployment) -> PagesDeployment:
    url = raw.url if raw.url.endswith("/") else raw.url + "/"
    return PagesDeployment(
        id=raw.id,
        host=urlsplit(url).hostname or "",
        url=url,
        created_on=raw.created_on,
        key_hash=raw.deployment_trigger.metadata.commit_hash,
        activate=raw.deployment_trigger.metadata.commit_message.endswith(_ACTIVATE_MARK),
    )


def _not_found(error: cloudflare.APIStatusError) -> bool:
    return error.status_code == 404 and not set(error_codes(error)) & ROUTING_CODES


class Pages:
    def __init__(self, client: AsyncCloudflare, account_id: str) -> None:
        self.client = client
        self.account_id = account_id

    async def get_project(self, site: str) -> Project | None:
        name = project_name(site)
        try:
            raw = await self.client.pages.projects.get(name, account_id=self.account_id)
        except cloudflare.APIStatusError as error:
            if _not_found(error):
                return None
            raise translate(error, f"get Pages project {name}", ACCOUNT_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, f"get Pages project {name}", ACCOUNT_SETTING) from None
        return Project(raw.name or name, raw.subdomain or f"{name}.pages.dev")

    async def require_project(self, site: str) -> Project:
        project = await self.get_project(site)
        if project is None:
            raise DeployError(f"no Pages project for {site!r}: nothing was deployed")
        return project

    async def ensure_project(self, site: str) -> Project:
        """Get the site's project, or create it; a create that raced another finds it."""
        found = await self.get_project(site)
        if found is not None:
            return found
        name = project_name(site)
        try:
            raw = await self.client.pages.projects.create(
                account_id=self.account_id, name=name, production_branch=PRODUCTION_BRANCH
            )
        except cloudflare.APIStatusError as error:
            if error.status_code in (400, 409):  # "already exists": a retry, or a race
                again = await self.get_project(site)
                if again is not None:
                    return again
            raise translate(error, f"create Pages project {name}", ACCOUNT_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, f"create Pages project {name}", ACCOUNT_SETTING) from None
        log.info("hosting.cloudflare.project_created", project=name)
        return Project(raw.name or name, raw.subdomain or f"{name}.pages.dev")

    async def get_deployment(self, project: Project, deploy_id: str) -> PagesDeployment:
        validate_deploy_id(deploy_id)
        try:
            raw = await self.client.pages.projects.deployments.get(
                deploy_id, account_id=self.account_id, project_name=project.name
            )
        except cloudflare.APIStatusError as error:
            if _not_found(error):
                raise DeployError(f"deploy {deploy_id!r} not found in {project.name!r}") from None
            raise translate(error, "get Pages deployment", ACCOUNT_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, "get Pages deployment", ACCOUNT_SETTING) from None
        return _deployment(raw)

    async def find_deployment(self, project: Project, deploy_key: str) -> PagesDeployment | None:
        """The project's deployment made with this key, if an earlier attempt made it."""
        wanted = key_hash(deploy_key)

        async def scan() -> PagesDeployment | None:
            pages = self.client.pages.projects.deployments.list(
                project.name, account_id=self.account_id
            )
            async for raw in pages:
                if raw.deployment_trigger.metadata.commit_hash != wanted:
                    continue
                if raw.latest_stage.status in ("failure", "canceled"):
                    continue  # a failed attempt: deploy again
                return _deployment(raw)
            return None

        return await call("list Pages deployments", ACCOUNT_SETTING, scan)

    async def create_deployment(
        self, project: Project, source: Path, deploy_key: str, activate: bool
    ) -> PagesDeployment:
        files = await asyncio.to_thread(read_build, source)
        await self._upload(project, files)
        config = {
            name: (name, data, "application/octet-stream") for name, data in files.config.items()
        }
        raw = await call(
            "create Pages deployment",
            ACCOUNT_SETTING,
            self.client.pages.projects.deployments.create,
            project.name,
            account_id=self.account_id,
            branch=PREVIEW_BRANCH,
            manifest=json.dumps(files.manifest, sort_keys=True),
            commit_hash=key_hash(deploy_key),
            commit_message=f"sitegen deploy {deploy_key[:300]}"
            + (_ACTIVATE_MARK if activate else ""),
            commit_dirty="false",
            _headers=config.get("_headers", cloudflare.omit),
            _redirects=config.get("_redirects", cloudflare.omit),
        )
        deployment = _deployment(raw)
        log.info("hosting.cloudflare.deployed", project=project.name, deploy_id=deployment.id,
                 files=len(files.manifest))  # fmt: skip
        return deployment

    async def _upload(self, project: Project, files: BuildFiles) -> None:
        """The direct-upload protocol: token, check-missing, upload, upsert-hashes."""
        token = await call(
            "get Pages upload token",
            ACCOUNT_SETTING,
            self.client.pages.projects.get_upload_token,
            project.name,
            account_id=self.account_id,
        )
        assets = self.client.with_options(api_token=token.jwt).pages.assets
        hashes = sorted(files.contents)
        if not hashes:
            return

        async def check_missing() -> list[str]:
            return [h async for h in assets.check_missing(hashes=hashes)]

        try:
            missing = await call("check missing Pages assets", "", check_missing)
        except CloudflareRejected as error:
            if error.status != 401:
                raise
            # The JWT is short-lived: a retry of the deploy asks for a fresh one.
            raise CloudflareUnavailable("Cloudflare refused the Pages upload JWT") from None
        limit = asyncio.Semaphore(_UPLOAD_CONCURRENCY)

        async def upload(group: list[str]) -> None:
            async with limit:
                body = upload_payload(group, files)
                await call("upload Pages assets", "", assets.upload, body=body)

        groups = buckets(sorted(set(missing) & set(hashes)), files, _BUCKET_BYTES, _BUCKET_FILES)
        await asyncio.gather(*(upload(g) for g in groups))
        await call("register Pages assets", "", assets.upsert_hashes, hashes=hashes)

    async def attach_domain(self, project: Project, hostname: str) -> None:
        """The hostname is one of the project's custom domains (Pages serves only those)."""
        domains = self.client.pages.projects.domains
        try:
            await domains.get(hostname, account_id=self.account_id, project_name=project.name)
            return
        except cloudflare.APIStatusError as error:
            if not _not_found(error):
                raise translate(error, "get Pages domain", ACCOUNT_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, "get Pages domain", ACCOUNT_SETTING) from None
        try:
            await domains.create(project.name, account_id=self.account_id, name=hostname)
        except cloudflare.APIStatusError as error:
            if error.status_code != 409:  # 409: added by an attempt whose answer was lost
                raise translate(error, "add Pages domain", ACCOUNT_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, "add Pages domain", ACCOUNT_SETTING) from None

    async def detach_domain(self, project: Project, hostname: str) -> None:
        try:
            await self.client.pages.projects.domains.delete(
                hostname, account_id=self.account_id, project_name=project.name
            )
        except cloudflare.APIStatusError as error:
            if not _not_found(error):
                raise translate(error, "remove Pages domain", ACCOUNT_SETTING) from None
        except cloudflare.CloudflareError as error:
            raise translate(error, "remove Pages domain", ACCOUNT_SETTING) from None
