"""The version history end to end: every change to the spec, sitemap, wireframe, style guide
and copy is recorded with who, a diff and why, and a revert puts one back through the
workflow as a new version (on a live preview and on a plan waiting for sign-off)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sitegen.activities.design_chain import DesignChain
from sitegen.activities.support import ArtifactStore
from sitegen.contracts.design import HistoryArtifact, HistoryNote
from sitegen.contracts.site import SiteSpec
from sitegen.design.style_guide import style_guide
from sitegen.integrations.providers import make_storage
from sitegen.settings import Settings
from sitegen.worker import build_clients
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import order_site, wait_status
from tests.pipeline.test_revisions import page, revise, settled

pytestmark = pytest.mark.usefixtures("worker")

NAVY = "#1b2a4a"


async def history(api: httpx.AsyncClient, pid: str, **params: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v1/projects/{pid}/history", params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def latest(entries: list[dict[str, Any]], artifact: str) -> dict[str, Any]:
    return [e for e in entries if e["artifact"] == artifact][-1]


async def test_changes_are_recorded_and_a_revert_is_a_new_version(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    created = await order_site(api, unique_onboarding("harbour-physio"))
    project = await wait_status(api, created["id"])
    pid = created["id"]
    first = await history(api, pid)
    # The first generation: the spec from the form, and what the AI and the chain made of it.
    assert {(e["artifact"], e["artifact_version"]) for e in first} == {
        ("spec", 1),
        ("style_guide", 1),
        ("sitemap", 1),
        ("wireframe", 1),
        ("content", 1),
    }
    assert [e["version"] for e in first] == list(range(1, 6))
    assert latest(first, "spec")["author"] == "client"
    assert latest(first, "content")["author"] == "ai"
    assert latest(first, "wireframe")["diff"].startswith("--- /dev/null")
    # The project links the style guide and wireframe the preview was built from.
    v1 = (await api.get(f"/api/v1/projects/{pid}/versions")).json()[0]["url"]
    assert project["design"] == {
        "style_guide_url": f"{v1}_design/style-guide.html",
        "wireframe_url": f"{v1}_design/wireframe.html",
    }
    assert "Contrast" in await page(settings, v1, "/_design/style-guide.html")

    await revise(api, pid, "Change the primary colour to navy", requested_by="Ana")
    await settled(api, pid, 1)
    after = await history(api, pid)
    spec_2, guide_2 = latest(after, "spec"), latest(after, "style_guide")
    assert (spec_2["artifact_version"], guide_2["artifact_version"]) == (2, 2)
    assert spec_2["author"] == "Ana" and spec_2["message"] == "Change the primary colour to navy"
    assert f'+    "primary": "{NAVY}"' in spec_2["diff"].lower()
    assert NAVY in guide_2["diff"].lower() and guide_2["diff"].startswith("--- style_guide v1")
    # Copy and structure did not change: no new versions of them.
    assert latest(after, "content")["artifact_version"] == 1
    assert latest(after, "wireframe")["artifact_version"] == 1
    one = await api.get(f"/api/v1/projects/{pid}/history/{guide_2['version']}")
    assert one.status_code == 200 and one.json() == guide_2

    # Put the first style guide back: a revision, a new site version, the old colour live.
    guide_1 = latest(first, "style_guide")
    answer = await api.post(
        f"/api/v1/projects/{pid}/history/{guide_1['version']}/revert",
        json={"message": "The navy was too dark", "requested_by": "Ana"},
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["applied_as"] == "revision" and body["artifact"] == "style_guide"
    revisions = await settled(api, pid, 2)
    reverted = next(r for r in revisions if r["id"] == body["revision_id"])
    assert reverted["status"] == "applied", reverted
    versions = (await api.get(f"/api/v1/projects/{pid}/versions")).json()
    assert [v["kind"] for v in versions] == ["generation", "revision", "revision"]
    css = [await page(settings, v["url"], "/css/tokens.css") for v in versions]
    assert [NAVY in c.lower() for c in css] == [False, True, False]
    assert css[2] == css[0]  # the same palette as the first version, as a new version
    final = await history(api, pid)
    guide_3, spec_3 = latest(final, "style_guide"), latest(final, "spec")
    assert guide_3["artifact_version"] == 3 and guide_3["reverted_from"] == guide_1["version"]
    assert spec_3["artifact_version"] == 3 and spec_3["message"] == "The navy was too dark"
    assert f'-    "primary": "{NAVY}"' in spec_3["diff"].lower()
    # Nothing was rewritten: every earlier entry is as it was.
    assert final[: len(after)] == after
    assert project["preview_url"]

    # The sitemap is the plan the site was built from: reverting it is refused, with why.
    sitemap_1 = latest(first, "sitemap")
    refused = await api.post(
        f"/api/v1/projects/{pid}/history/{sitemap_1['version']}/revert", json={}
    )
    assert refused.status_code == 202
    revisions = await settled(api, pid, 3)
    gone = next(r for r in revisions if r["id"] == refused.json()["revision_id"])
    assert gone["status"] == "rejected" and "roll back" in gone["rejection_reason"]
    assert len((await api.get(f"/api/v1/projects/{pid}/versions")).json()) == 3

    # Putting back what is already live changes nothing, and says so.
    same = await api.post(f"/api/v1/projects/{pid}/history/{guide_1['version']}/revert", json={})
    revisions = await settled(api, pid, 4)
    unchanged = next(r for r in revisions if r["id"] == same.json()["revision_id"])
    assert unchanged["status"] == "rejected" and "already" in unchanged["rejection_reason"]

    missing = await api.post(f"/api/v1/projects/{pid}/history/999/revert", json={})
    assert missing.status_code == 404
    bad = await api.get(f"/api/v1/projects/{pid}/history", params={"artifact": "brief"})
    assert bad.status_code == 422 and "artifact" in bad.text
    for huge in ("3000000000", "0"):  # beyond what Postgres stores, or below 1: a 422
        assert (await api.get(f"/api/v1/projects/{pid}/history/{huge}")).status_code == 422
        posted = await api.post(f"/api/v1/projects/{pid}/history/{huge}/revert", json={})
        assert posted.status_code == 422 and "version" in posted.text

    # A version whose stored file no longer reads is refused with a reason, not a failed step.
    stored = f"projects/{pid}/artifacts/style_guide_v2.json"  # not the live one
    await make_storage(settings).put(stored, b'{"palette": "not this"}', "application/json")
    broken = await api.post(f"/api/v1/projects/{pid}/history/{guide_2['version']}/revert", json={})
    revisions = await settled(api, pid, 5)
    unusable = next(r for r in revisions if r["id"] == broken.json()["revision_id"])
    assert unusable["status"] == "rejected"
    assert "can no longer be put back" in unusable["rejection_reason"]
    assert (await api.get(f"/api/v1/projects/{pid}")).json()["status"] == "preview_ready"


async def test_a_revert_before_sign_off_changes_the_plan(api: httpx.AsyncClient) -> None:
    created = await order_site(api, unique_onboarding("ironbark-software"), plan_approval=True)
    pid, url = created["id"], f"/api/v1/projects/{created['id']}"

    async def awaiting() -> bool:
        return bool((await api.get(url)).json()["waiting_for"] == "plan approval")

    await wait_for(awaiting, 30)
    # A name as long as the API takes (255) is recorded as it is.
    long_name = "Ana " + "B" * 251
    changed = await api.post(
        f"{url}/plan/revisions",
        json={"message": "Change the primary colour to navy", "requested_by": long_name},
    )
    assert changed.status_code == 200 and changed.json()["plan_version"] == 2, changed.text
    entries = await history(api, pid)
    assert latest(entries, "style_guide")["artifact_version"] == 2
    assert latest(entries, "spec")["author"] == long_name
    guide_1 = next(e for e in entries if e["artifact"] == "style_guide")

    # Sent twice with one key (a retry): the plan changes once, and both answers say so.
    key = {"Idempotency-Key": "revert-guide-1"}
    revert_url = f"{url}/history/{guide_1['version']}/revert"
    answer = await api.post(revert_url, json={}, headers=key)
    assert answer.status_code == 202, answer.text
    assert answer.json()["applied_as"] == "plan" and answer.json()["plan_version"] == 3
    assert answer.json()["reason"] is None
    again = await api.post(revert_url, json={}, headers=key)
    assert again.status_code == 202 and again.json() == answer.json()
    entries = await history(api, pid)
    guide_3 = latest(entries, "style_guide")
    assert guide_3["artifact_version"] == 3 and guide_3["reverted_from"] == guide_1["version"]
    assert NAVY in guide_3["diff"].lower()

    # The plan the client signs off shows the wireframe and style guide, as pages to open.
    plan = (await api.get(f"{url}/plan")).json()
    assert (plan["style_guide_version"], plan["wireframe_version"]) == (3, 1)
    guide_page = await api.get(plan["design"]["style_guide_url"])
    assert guide_page.status_code == 200 and "text/html" in guide_page.headers["content-type"]
    assert NAVY not in guide_page.text.lower()  # the reverted palette, not the navy one
    frame_page = await api.get(plan["design"]["wireframe_url"])
    assert frame_page.status_code == 200 and "services" in frame_page.text.lower()

    # Before sign-off the sitemap comes from the spec: put back the spec instead.
    sitemap = latest(entries, "sitemap")
    refused = await api.post(f"{url}/history/{sitemap['version']}/revert", json={})
    assert refused.status_code == 202 and "spec" in refused.json()["reason"]

    approved = await api.post(f"{url}/plan/approve", json={"approved_by": "Ana"})
    assert approved.status_code == 200
    await wait_status(api, pid, ("preview_ready",))
    tokens = [e for e in await history(api, pid) if e["artifact"] == "style_guide"]
    assert len(tokens) == 3  # building the site made no new style guide


async def test_a_retried_store_records_each_version_once(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    """What a Temporal retry does after a worker died between storing an artifact and
    writing its entry, or after both: the same calls again, and one entry per version."""
    created = await order_site(api, unique_onboarding("ironbark-software"))
    await wait_status(api, created["id"])
    pid = uuid.UUID(created["id"])
    before = await history(api, created["id"])
    clients = build_clients(settings, engine)
    chain = DesignChain(ArtifactStore(clients.sessions, clients.storage))
    spec_entry = latest(before, "spec")
    spec = SiteSpec.model_validate_json(
        await clients.storage.get(f"projects/{pid}/artifacts/site_spec_v1.json")
    )
    note = HistoryNote(author="ai", message="again")
    for _ in range(2):
        await chain.spec_stored(pid, 1, f"projects/{pid}/artifacts/site_spec_v1.json", spec, note)
        ref = await chain.derived(pid, HistoryArtifact.STYLE_GUIDE, style_guide(spec.design), note)
        assert ref.version == 1
    after = await history(api, created["id"])
    assert after == before and latest(after, "spec") == spec_entry
    # The same version stored again with other bytes (an operator's retry of the step):
    # its entry takes the new diff and note, and keeps its number.
    renamed = spec.model_copy(
        update={"business": spec.business.model_copy(update={"name": "Ironbark Two"})}
    )
    key = f"projects/{pid}/artifacts/site_spec_v1.json"
    await clients.storage.put(key, renamed.model_dump_json(indent=2).encode(), "application/json")
    redo = HistoryNote(author="operator", message="the step run again")
    await chain.spec_stored(pid, 1, key, renamed, redo)
    entry = latest(await history(api, created["id"]), "spec")
    assert (entry["version"], entry["author"]) == (spec_entry["version"], "operator")
    assert "Ironbark Two" in entry["diff"]
    before = await history(api, created["id"])
    # Two writers at once (side-by-side steps) still get distinct, gapless numbers.
    guide = style_guide(spec.design.model_copy(update={"primary": NAVY}))
    frame = await chain.current_wireframe(pid)
    assert frame is not None
    narrower = frame.model_copy(update={"pages": frame.pages[:1]})
    await asyncio.gather(
        chain.derived(pid, HistoryArtifact.STYLE_GUIDE, guide, note),
        chain.derived(pid, HistoryArtifact.WIREFRAME, narrower, note),
    )
    numbers = [e["version"] for e in await history(api, created["id"])]
    assert numbers == list(range(1, len(before) + 3))
