"""The pages on the preview host beside each version, and from the API before any deploy:
rendered from each version's own artifacts, linked from the project's response."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, update
from temporalio.testing import ActivityEnvironment

from sitegen.activities.deploy import DeployActivities
from sitegen.activities.support import ArtifactStore
from sitegen.contracts.activities import DeployInput, NewVersion, ProjectRef
from sitegen.contracts.site import LayoutPlan
from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import Artifact
from sitegen.design.style_guide import style_guide
from sitegen.design.wireframe import wireframe
from sitegen.settings import Settings
from sitegen.worker import build_clients
from tests.api.support import PROJECTS, create
from tests.design.support import HOSTILE, Plan, dist, plan
from tests.pipeline.helpers import PreviewSite

GUIDE, FRAME = "_design/style-guide.html", "_design/wireframe.html"


async def _store_plan(
    store: ArtifactStore, project_id: uuid.UUID, site: Plan, n: int
) -> dict[str, str]:
    """The version's artifacts in storage, under the keys a version records."""
    keys = {
        "spec_key": store.key(project_id, f"site_spec_v{n}.json"),
        "sitemap_key": store.key(project_id, f"sitemap_v{n}.json"),
        "layout_key": store.key(project_id, f"layout_plan_v{n}.json"),
    }
    for key, model in zip(keys.values(), (site.spec, site.site_map, site.layout), strict=True):
        await store.storage.put(key, model.model_dump_json().encode(), "application/json")
    return keys


async def _deploy(
    deploy: DeployActivities, project: dict[str, Any], n: int, keys: dict[str, str]
) -> str:
    """Version `n` of a one-page build; its version URL."""
    ref = ProjectRef(
        project_id=uuid.UUID(project["id"]),
        workflow_id=f"test-{project['id']}",
        slug=project["slug"],
        template_id="landing",
    )
    sha = uuid.uuid4().hex * 2
    dist_key = f"projects/{project['id']}/builds/{sha}.tar.gz"
    await deploy.storage.put(dist_key, dist(), "application/gzip")
    version = NewVersion(number=n, kind="generation", subdomain=project["slug"], artifact_keys=keys)
    outcome = await ActivityEnvironment().run(
        deploy.deploy_preview, DeployInput(project=ref, dist_key=dist_key, sha=sha, version=version)
    )
    assert outcome.version_url is not None
    return outcome.version_url


async def test_each_version_serves_its_own_design_pages(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    project = await create(api)
    project_id = uuid.UUID(project["id"])
    clients = build_clients(settings, engine)
    store = ArtifactStore(clients.sessions, clients.storage)
    deploy = DeployActivities(
        clients.sessions,
        clients.storage,
        clients.hosting,
        settings.work_root,
        settings.templates_dir,
    )
    first = plan(settings, name=HOSTILE)
    url1 = await _deploy(deploy, project, 1, await _store_plan(store, project_id, first, 1))
    # Version 2 drops a page and changes the primary colour.
    second = plan(settings, name="Harbour Two")
    second.spec = second.spec.model_copy(
        update={"design": second.spec.design.model_copy(update={"primary": "#7a1f5c"})}
    )
    second.layout = LayoutPlan(pages=second.layout.pages[:-1])
    url2 = await _deploy(deploy, project, 2, await _store_plan(store, project_id, second, 2))

    v1, v2 = PreviewSite(settings.sites_root, url1), PreviewSite(settings.sites_root, url2)
    guide1, frame1 = await v1.get(f"/{GUIDE}"), await v1.get(f"/{FRAME}")
    guide2, frame2 = await v2.get(f"/{GUIDE}"), await v2.get(f"/{FRAME}")
    for response in (guide1, frame1, guide2, frame2):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
    assert (await v1.get("/")).text.startswith("<!doctype html>")  # the site itself
    # Each from its own artifacts: the old version keeps its own name, colours and pages.
    assert "&lt;script&gt;" in guide1.text and "<script" not in guide1.text
    assert "version 1" in guide1.text and "version 2" in guide2.text
    assert "Harbour Two" in guide2.text and "Harbour Two" not in guide1.text
    assert "#7a1f5c" in guide2.text.lower() and "#7a1f5c" not in guide1.text.lower()
    dropped = first.layout.pages[-1].path
    assert dropped in frame1.text and dropped not in frame2.text

    # The project's links follow the current (latest) version on the preview host.
    links = (await api.get(f"{PROJECTS}/{project_id}")).json()["design"]
    assert links == {"style_guide_url": url2 + GUIDE, "wireframe_url": url2 + FRAME}


async def test_a_version_without_design_artifacts_deploys_without_the_pages(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    project = await create(api)
    clients = build_clients(settings, engine)
    deploy = DeployActivities(
        clients.sessions,
        clients.storage,
        clients.hosting,
        settings.work_root,
        settings.templates_dir,
    )
    gone = f"projects/{project['id']}/artifacts/site_spec_v9.json"
    keys = {"spec_key": gone, "layout_key": gone.replace("site_spec", "layout_plan")}
    url1 = await _deploy(deploy, project, 1, {})  # a version recorded before the keys were
    # The latest names its artifacts (as versions deployed before the pages existed do),
    # but they are missing from storage: deployed without the pages.
    url2 = await _deploy(deploy, project, 2, keys)
    for url in (url1, url2):
        site = PreviewSite(settings.sites_root, url)
        assert (await site.get("/")).status_code == 200
        assert (await site.get(f"/{GUIDE}")).status_code == 404
    # Nothing to show yet: the project links nowhere rather than at a 404.
    assert (await api.get(f"{PROJECTS}/{project['id']}")).json()["design"] is None


async def test_api_serves_the_pages_before_any_deploy(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    project = await create(api, name=HOSTILE)
    project_id = uuid.UUID(project["id"])
    base = f"{PROJECTS}/{project_id}/design"
    # Nothing yet: 404s in the API's own shape, and a design answer with nothing in it.
    for kind in ("style-guide", "wireframe"):
        missing = await api.get(f"{base}/{kind}")
        assert missing.status_code == 404
        assert missing.json() == {"detail": f"{kind.replace('-', ' ')} not found"}
    empty = (await api.get(base)).json()
    assert empty["style_guide"] is None and empty["wireframe"] is None
    assert empty["links"] == {"style_guide_url": None, "wireframe_url": None}
    assert (await api.get(f"{PROJECTS}/{uuid.uuid4()}/design")).status_code == 404

    clients = build_clients(settings, engine)
    store = ArtifactStore(clients.sessions, clients.storage)
    site = plan(settings)
    guide = style_guide(site.spec.design)
    await store.save_model(project_id, ArtifactType.STYLE_GUIDE, 1, "style_guide", guide)
    frame = wireframe(site.site_map, site.template)
    await store.save_model(project_id, ArtifactType.WIREFRAME, 1, "wireframe", frame)
    # As a wireframe too big to keep inline is stored: read from storage alone.
    async with clients.sessions() as session, session.begin():
        await session.exec(
            update(Artifact)
            .where(col(Artifact.project_id) == project_id)
            .where(col(Artifact.type) == ArtifactType.WIREFRAME)
            .values(inline_content=None)
        )
    radii = [r.model_copy(update={"value": "21px"}) if r.name == "card" else r for r in guide.radii]
    newer = guide.model_copy(update={"radii": radii})
    await store.save_model(project_id, ArtifactType.STYLE_GUIDE, 2, "style_guide", newer)

    design = (await api.get(base)).json()
    assert design["style_guide"]["version"] == 2
    assert {"name": "card", "value": "21px"} in design["style_guide"]["style_guide"]["radii"]
    assert design["wireframe"]["version"] == 1
    assert design["wireframe"]["wireframe"] == frame.model_dump(mode="json")
    public = settings.public_url.rstrip("/")
    expected = {
        "style_guide_url": f"{public}{base}/style-guide",
        "wireframe_url": f"{public}{base}/wireframe",
    }
    assert design["links"] == expected
    # Plan time: the project's response points at the API's pages.
    assert (await api.get(f"{PROJECTS}/{project_id}")).json()["design"] == expected

    page = await api.get(f"{base}/style-guide")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "style guide version 2" in page.text and "border-radius: 21px" in page.text
    assert "&lt;script&gt;" in page.text and "<script" not in page.text
    old = await api.get(f"{base}/style-guide", params={"version": 1})
    assert old.status_code == 200 and "style guide version 1" in old.text
    assert "21px" not in old.text
    assert (await api.get(f"{base}/style-guide", params={"version": 3})).status_code == 404
    assert (await api.get(f"{base}/style-guide", params={"version": 0})).status_code == 422
    wire = await api.get(f"{base}/wireframe")
    assert wire.status_code == 200
    for p in frame.pages:
        assert p.path in wire.text
