"""In-memory state of the Cloudflare API fake: Pages projects, deployments, assets, custom
domains and one DNS zone, as the v4 API returns them (the fields the SDK's models name).

``site_for_host`` is the edge: which deployment a hostname serves, the way Pages picks one
(``{project}.pages.dev`` the latest production deployment, ``{alias}.{project}.pages.dev`` a
deployment's short id or a branch, a custom domain through its proxied CNAME, and only if the
domain is attached to that project).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class FakeDeployment:
    id: str
    short_id: str
    project: str
    branch: str
    manifest: dict[str, str]
    commit_hash: str
    commit_message: str
    created_on: datetime
    config: dict[str, bytes] = field(default_factory=dict)


@dataclass
class FakeRecord:
    id: str
    name: str
    type: str
    content: str
    proxied: bool
    ttl: int
    comment: str | None
    created_on: datetime
    modified_on: datetime


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class CloudflareState:
    def __init__(self, account_id: str, zone_id: str, zone_name: str, token: str) -> None:
        self.account_id, self.zone_id, self.zone_name, self.token = (
            account_id, zone_id, zone_name, token,
        )  # fmt: skip
        self.projects: dict[str, dict[str, Any]] = {}
        self.deployments: dict[str, list[FakeDeployment]] = {}  # newest first
        self.assets: dict[str, tuple[bytes, str]] = {}
        self.jwts: set[str] = set()
        self.domains: dict[str, dict[str, dict[str, Any]]] = {}  # project -> name -> domain
        self.records: dict[str, FakeRecord] = {}
        self._clock = itertools.count()
        self._epoch = datetime(2025, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        # Strictly increasing, so "newer" never depends on the machine's clock resolution.
        return self._epoch + timedelta(milliseconds=next(self._clock))

    # -- Pages -----------------------------------------------------------------------------
    def project(self, name: str) -> dict[str, Any]:
        if name not in self.projects:
            raise ApiError(404, 8000007, "Project not found. The specified project name does "
                           "not match any of your existing projects.")  # fmt: skip
        return self.projects[name]

    def create_project(self, name: str, production_branch: str) -> dict[str, Any]:
        if name in self.projects:
            raise ApiError(409, 8000002, "A project with this name already exists.")
        now = _iso(self.now())
        self.projects[name] = {
            "id": str(uuid.uuid4()), "name": name, "subdomain": f"{name}.pages.dev",
            "production_branch": production_branch, "created_on": now, "domains": [],
            "build_config": {}, "deployment_configs": {"preview": {}, "production": {}},
            "canonical_deployment": None, "latest_deployment": None, "source": None,
        }  # fmt: skip
        self.deployments[name] = []
        self.domains[name] = {}
        return self.projects[name]

    def project_json(self, name: str) -> dict[str, Any]:
        project = dict(self.project(name))
        project["domains"] = sorted(self.domains[name])
        latest = self.deployments[name][:1]
        project["latest_deployment"] = self.deployment_json(latest[0]) if latest else None
        return project

    def add_deployment(
        self, project: str, branch: str, manifest: dict[str, str], commit_hash: str,
        commit_message: str, config: dict[str, bytes],
    ) -> FakeDeployment:  # fmt: skip
        self.project(project)
        missing = sorted(set(manifest.values()) - set(self.assets))
        if missing:
            raise ApiError(400, 8000096, f"Missing file hashes: {', '.join(missing[:3])}")
        deployment_id = str(uuid.uuid4())
        deployment = FakeDeployment(
            deployment_id, deployment_id[:8], project, branch, dict(manifest), commit_hash,
            commit_message, self.now(), config,
        )  # fmt: skip
        self.deployments[project].insert(0, deployment)
        return deployment

    def deployment(self, project: str, deployment_id: str) -> FakeDeployment:
        for d in self.deployments.get(project, []):
            if d.id == deployment_id:
                return d
        raise ApiError(404, 8000009, "The deployment ID you have specified does not exist.")

    def deployment_json(self, d: FakeDeployment) -> dict[str, Any]:
        project = self.projects[d.project]
        sub = project["subdomain"]
        production = d.branch == project["production_branch"]
        stage = {"name": "deploy", "status": "success",
                 "started_on": _iso(d.created_on), "ended_on": _iso(d.created_on)}  # fmt: skip
        return {
            "id": d.id, "short_id": d.short_id, "project_id": project["id"],
            "project_name": d.project, "url": f"https://{d.short_id}.{sub}",
            "aliases": None if production else [f"https://{d.branch}.{sub}"],
            "environment": "production" if production else "preview",
            "created_on": _iso(d.created_on), "modified_on": _iso(d.created_on),
            "latest_stage": stage, "stages": [stage], "is_skipped": False,
            "build_config": {"build_caching": False, "build_command": "", "destination_dir": "",
                             "root_dir": ""},
            "deployment_trigger": {"type": "ad_hoc", "metadata": {
                "branch": d.branch, "commit_hash": d.commit_hash,
                "commit_message": d.commit_message, "commit_dirty": False}},
            "env_vars": {}, "uses_functions": False, "source": None,
        }  # fmt: skip

    def domain_json(self, project: str, name: str) -> dict[str, Any]:
        domain = self.domains[project][name]
        return {
            "id": domain["id"], "name": name, "status": "active", "domain_id": domain["id"],
            "certificate_authority": "google", "created_on": domain["created_on"],
            "zone_tag": self.zone_id,
            "validation_data": {"method": "http", "status": "active"},
            "verification_data": {"status": "active"},
        }  # fmt: skip

    def add_domain(self, project: str, name: str) -> dict[str, Any]:
        self.project(project)
        for other, names in self.domains.items():
            if name in names:
                raise ApiError(409, 8000018, "You have already added this custom domain."
                               if other == project else "This domain is already in use.")  # fmt: skip
        self.domains[project][name] = {"id": str(uuid.uuid4()), "created_on": _iso(self.now())}
        return self.domain_json(project, name)

    def remove_domain(self, project: str, name: str) -> None:
        self.project(project)
        if self.domains[project].pop(name, None) is None:
            raise ApiError(404, 8000035, "Domain not found.")

    # -- DNS -------------------------------------------------------------------------------
    def record_json(self, r: FakeRecord) -> dict[str, Any]:
        return {
            "id": r.id, "zone_id": self.zone_id, "zone_name": self.zone_name, "name": r.name,
            "type": r.type, "content": r.content, "proxied": r.proxied, "ttl": r.ttl,
            "proxiable": r.type == "CNAME", "comment": r.comment, "tags": [], "settings": {},
            "meta": {}, "created_on": _iso(r.created_on), "modified_on": _iso(r.modified_on),
        }  # fmt: skip

    def create_record(self, body: dict[str, Any]) -> FakeRecord:
        name = str(body.get("name", "")).lower().rstrip(".")
        rtype = str(body.get("type", ""))
        content = str(body.get("content", ""))
        if not name.endswith(self.zone_name) or rtype not in ("CNAME", "TXT"):
            raise ApiError(400, 9000, f"DNS name is invalid or not in the zone: {name}")
        same_name = [r for r in self.records.values() if r.name == name]
        if (rtype == "CNAME" and same_name) or any(r.type == "CNAME" for r in same_name):
            raise ApiError(400, 81053, "An A, AAAA, or CNAME record with that host already "
                           "exists.")  # fmt: skip
        if any(r.type == rtype and r.content == content for r in same_name):
            raise ApiError(400, 81058, "An identical record already exists.")
        now = self.now()
        record = FakeRecord(uuid.uuid4().hex, name, rtype, content, bool(body.get("proxied")),
                            int(body.get("ttl", 1)), body.get("comment"), now, now)  # fmt: skip
        self.records[record.id] = record
        return record

    def record(self, record_id: str) -> FakeRecord:
        if record_id not in self.records:
            raise ApiError(404, 81044, "Record does not exist.")
        return self.records[record_id]

    def list_records(self, query: dict[str, str]) -> list[FakeRecord]:
        found = sorted(self.records.values(), key=lambda r: (r.name, r.created_on))
        if "name.exact" in query or "name" in query:
            name = (query.get("name.exact") or query["name"]).lower().rstrip(".")
            found = [r for r in found if r.name == name]
        if "comment.exact" in query:
            wanted = query["comment.exact"].lower()
            found = [r for r in found if (r.comment or "").lower() == wanted]
        if "type" in query:
            found = [r for r in found if r.type == query["type"]]
        return found

    # -- the edge --------------------------------------------------------------------------
    def _by_pages_host(self, host: str) -> FakeDeployment | None:
        for name, project in self.projects.items():
            sub = project["subdomain"]
            deployments = self.deployments[name]
            if host == sub:
                prod = [d for d in deployments if d.branch == project["production_branch"]]
                return prod[0] if prod else None
            if host.endswith("." + sub):
                alias = host.removesuffix("." + sub)
                for d in deployments:  # newest first: a branch alias is its latest deployment
                    if alias in (d.short_id, d.branch):
                        return d
        return None

    def site_for_host(self, host: str) -> tuple[int, FakeDeployment | None]:
        """(status, deployment): 200 and what is served, or why not (404, 522)."""
        host = host.split(":", 1)[0].lower().rstrip(".")
        if host.endswith(".pages.dev"):
            found = self._by_pages_host(host)
            return (200, found) if found else (404, None)
        cname = [r for r in self.records.values() if r.name == host and r.type == "CNAME"]
        if not cname or not cname[0].proxied:
            return 404, None  # real DNS: NXDOMAIN
        found = self._by_pages_host(cname[0].content.lower())
        if found is None or host not in self.domains.get(found.project, {}):
            return 522, None  # Pages answers hostnames it was told about, only
        return 200, found

    def file_for(self, d: FakeDeployment, path: str) -> tuple[int, bytes, str] | str:
        """(status, body, type), or a path to redirect to."""
        manifest = d.manifest
        candidates = [path + "index.html"] if path.endswith("/") else [path, path + ".html"]
        for candidate in candidates:
            if candidate in manifest:
                data, ctype = self.assets[manifest[candidate]]
                return 200, data, ctype
        if not path.endswith("/") and path + "/index.html" in manifest:
            return path + "/"
        if "/404.html" in manifest:
            data, ctype = self.assets[manifest["/404.html"]]
            return 404, data, ctype
        return 404, b"Not found", "text/plain"
