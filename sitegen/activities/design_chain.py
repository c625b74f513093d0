"""The design chain's bookkeeping for the activities that store a project's artifacts: each
new spec, sitemap or copy version gets its `version_history` entry (who, why, and a diff from
the version before), and the wireframe and style guide follow the sitemap, layout and spec
they are made from, each as a new version only when it changed."""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import uuid

from pydantic import BaseModel

from sitegen.activities.support import ArtifactStore
from sitegen.contracts.activities import ArtifactRef
from sitegen.contracts.design import HistoryArtifact, HistoryNote, StyleGuide, Wireframe
from sitegen.contracts.site import LayoutPlan, SiteContent, Sitemap, SiteSpec
from sitegen.contracts.status import ArtifactType
from sitegen.db import history
from sitegen.db.tables_history import VersionHistory
from sitegen.design.style_guide import style_guide
from sitegen.design.wireframe import wireframe, wireframe_from_layout
from sitegen.integrations.storage.base import ObjectNotFound
from sitegen.templates_registry import TemplateManifest

# A diff is for reading; a rewrite of a whole site's copy is cut here and says so.
MAX_DIFF = 200_000


def as_json(model: BaseModel) -> bytes:
    # The bytes ArtifactStore stores for a model: diffs compare like with like.
    return model.model_dump_json(indent=2).encode()


def unified_diff(old: bytes, new: bytes, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old.decode().splitlines(keepends=True),
        new.decode().splitlines(keepends=True),
        fromfile=old_name,
        tofile=new_name,
    )
    diff = "".join(lines)
    if len(diff) > MAX_DIFF:
        return diff[:MAX_DIFF] + "\n[diff cut at 200 kB]\n"
    return diff


class DesignChain:
    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts

    async def _read(self, key: str) -> bytes:
        try:
            return await self.artifacts.storage.get(key)
        except ObjectNotFound:
            return b""  # removed by retention: the diff shows the whole new version

    async def record(
        self,
        project_id: uuid.UUID,
        artifact: HistoryArtifact,
        version: int,
        key: str,
        data: bytes,
        note: HistoryNote,
        reverted_from: int | None = None,
        base_key: str | None = None,
    ) -> int:
        """The entry for a version just stored under `key`; its history number. The diff is
        from `base_key` (what a change started from) or else the version before."""
        if base_key is not None:
            old = await self._read(base_key)
            old_name = base_key.rsplit("/", 1)[-1]
        else:
            async with self.artifacts.sessions() as session:
                previous = await history.latest(session, project_id, artifact.value, version)
            old = b"" if previous is None else await self._read(previous.storage_ref)
            old_name = f"{artifact.value} v{previous.artifact_version}" if previous else "/dev/null"
        # A whole site's copy is a few hundred lines; diffing it is kept off the event loop.
        diff = await asyncio.to_thread(
            unified_diff, old, data, old_name, f"{artifact.value} v{version}"
        )
        async with self.artifacts.sessions() as session, session.begin():
            entry = await history.record(
                session,
                VersionHistory(
                    project_id=project_id,
                    version=0,
                    artifact=artifact.value,
                    artifact_version=version,
                    author=note.author,
                    message=note.message,
                    diff=diff,
                    storage_ref=key,
                    sha256=hashlib.sha256(data).hexdigest(),
                    reverted_from=reverted_from,
                ),
            )
            return entry.version

    async def derived(
        self,
        project_id: uuid.UUID,
        artifact: HistoryArtifact,
        model: StyleGuide | Wireframe,
        note: HistoryNote,
        reverted_from: int | None = None,
    ) -> ArtifactRef:
        """Store a wireframe or style guide as its next version, unless it is the same as
        the latest (a retry, or a change that did not touch it)."""
        data = as_json(model)
        async with self.artifacts.sessions() as session:
            latest = await history.latest(session, project_id, artifact.value)
        kind = ArtifactType(artifact.value)
        # The entry keeps its bytes' hash: nothing is read back from storage to compare.
        if latest is not None and latest.sha256 == hashlib.sha256(data).hexdigest():
            return ArtifactRef(
                type=kind,
                version=latest.artifact_version,
                storage_key=latest.storage_ref,
                size=len(data),
            )
        version = latest.artifact_version + 1 if latest else 1
        ref = await self.artifacts.save_model(project_id, kind, version, artifact.value, model)
        await self.record(project_id, artifact, version, ref.storage_key, data, note, reverted_from)
        return ref

    # --- what each storing activity calls ----------------------------------------------------

    async def spec_stored(
        self,
        project_id: uuid.UUID,
        version: int,
        key: str,
        spec: SiteSpec,
        note: HistoryNote,
        reverted_from: int | None = None,
        base_key: str | None = None,
    ) -> None:
        data = as_json(spec)
        await self.record(
            project_id, HistoryArtifact.SPEC, version, key, data, note, reverted_from, base_key
        )
        await self.derived(
            project_id, HistoryArtifact.STYLE_GUIDE, style_guide(spec.design), note, reverted_from
        )

    async def sitemap_stored(
        self,
        project_id: uuid.UUID,
        ref: ArtifactRef,
        site_map: Sitemap,
        template: TemplateManifest,
        note: HistoryNote,
    ) -> None:
        await self.record(
            project_id,
            HistoryArtifact.SITEMAP,
            ref.version,
            ref.storage_key,
            as_json(site_map),
            note,
        )
        await self.derived(
            project_id, HistoryArtifact.WIREFRAME, wireframe(site_map, template), note
        )

    async def content_stored(
        self,
        project_id: uuid.UUID,
        ref: ArtifactRef,
        content: SiteContent,
        note: HistoryNote,
        reverted_from: int | None = None,
        base_key: str | None = None,
    ) -> None:
        await self.record(
            project_id,
            HistoryArtifact.CONTENT,
            ref.version,
            ref.storage_key,
            as_json(content),
            note,
            reverted_from,
            base_key,
        )

    async def layout_stored(
        self,
        project_id: uuid.UUID,
        layout: LayoutPlan,
        template: TemplateManifest,
        note: HistoryNote,
        reverted_from: int | None = None,
    ) -> None:
        """A revision's layout can add a page or a section: the wireframe follows it."""
        current = await self.current_wireframe(project_id)
        titles = {p.page_id: p.title for p in current.pages} if current else {}
        frame = wireframe_from_layout(layout, template, titles)
        await self.derived(project_id, HistoryArtifact.WIREFRAME, frame, note, reverted_from)

    async def current_wireframe(self, project_id: uuid.UUID) -> Wireframe | None:
        async with self.artifacts.sessions() as session:
            latest = await history.latest(session, project_id, HistoryArtifact.WIREFRAME.value)
        if latest is None:
            return None
        return await self.artifacts.load(latest.storage_ref, Wireframe)
